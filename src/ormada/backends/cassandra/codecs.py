"""Field values → what cassandra-driver binds, and driver values → field values.

Encoders run on values pydantic has already validated, so they only change
representation. Decoders run on trusted rows and never re-validate; they also
accept ``None``, because CQL reads an empty collection or an unwritten counter as
null.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import reprlib
import typing
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cassandra.util import Duration, OrderedMap
from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError

from ormada.backends.cassandra.types import cql_type, udt_fields
from ormada.errors import DataError
from ormada.schema import ColumnSchema, Kind, LogicalType

Codec = Callable[[Any], Any]
UTC = dt.UTC
NANOS_PER_DAY = 86_400 * 10**9

INT_BOUNDS: dict[str, tuple[int, int]] = {
    "tinyint": (-(2**7), 2**7 - 1),
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
    "counter": (-(2**63), 2**63 - 1),
}


class UDTValue:
    """A user-type value as the driver binds it: fields read by name, in any order.

    It has no ``__getitem__`` on purpose: the driver tries ``value[i]`` first and
    falls back to ``getattr(value, field)``, so binding by name stays correct even
    when the server's field order differs from the model's.
    """

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UDTValue) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self.__dict__.items())))

    def __repr__(self) -> str:
        return f"UDTValue({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


@lru_cache(maxsize=1024)
def _adapter(python_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(python_type)


def _container(ltype: LogicalType, default: type) -> type:
    origin = typing.get_origin(ltype.python_type) or ltype.python_type
    return origin if isinstance(origin, type) and origin in (list, tuple, set, frozenset) else default


# -- encoding ---------------------------------------------------------------

def _range_check(name: str, ctype: str) -> Codec | None:
    bounds = INT_BOUNDS.get(ctype)
    if bounds is None:
        return None
    low, high = bounds

    def check(value: Any) -> Any:
        if type(value) is int and not low <= value <= high:
            raise DataError(f"{name}: {value!r} does not fit in a CQL {ctype} (range {low} to {high}); "
                            "use BigInt() or DbType('varint') for larger values")
        return value

    return check


def _timestamp(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.microsecond % 1000:
        # CQL keeps milliseconds. Cut the rest here: the driver converts through a float
        # and rounds instead, up into the next millisecond before 1970, and up into year
        # 10000 (which no driver reads back) for 9999-12-31 23:59:59.999999.
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def _ascii_check(name: str) -> Codec:
    def check(value: Any) -> Any:
        # The driver would fail inside its serializer with a bare UnicodeEncodeError.
        if isinstance(value, str) and not value.isascii():
            raise DataError(f"{name}: {reprlib.repr(value)} is not ASCII, which a CQL ascii column requires; "
                            "declare the field as str (text) to store any Unicode")
        return value

    return check


def _timeuuid_check(name: str) -> Codec:
    def check(value: Any) -> Any:
        # The server refuses other versions, and its message names neither field nor value.
        if isinstance(value, uuid.UUID) and value.version != 1:
            raise DataError(f"{name}: {value} is a version-{value.version} UUID; a CQL timeuuid takes version 1 "
                            "only (uuid.uuid1() or cassandra.util.uuid_from_time())")
        return value

    return check


def _vector(name: str, dimensions: int | None) -> Codec:
    def encode(value: Any) -> list[float]:
        floats = [float(x) for x in value]
        if dimensions is not None and len(floats) != dimensions:
            raise DataError(f"{name}: a vector<float, {dimensions}> takes exactly {dimensions} values, "
                            f"got {len(floats)}: {reprlib.repr(value)}")
        return floats

    return encode


def _duration(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        # A timedelta keeps only its days negative (-1 s is -1 day + 86399 s), but CQL
        # refuses a duration whose parts differ in sign: encode the magnitude, then negate.
        sign = -1 if value < dt.timedelta(0) else 1
        size = abs(value)
        nanos = (size.seconds * 10**6 + size.microseconds) * 1000
        return Duration(0, sign * size.days, sign * nanos)
    return value


def encoder(ltype: LogicalType, name: str = "value") -> Codec | None:
    """The function that turns a field value into what the driver binds (None: as is).

    Args:
        name: ``Model.field`` for error messages.
    """
    kind = ltype.kind
    ctype = cql_type(ltype)
    if ctype == "inet":
        return str
    if ctype == "duration":
        return _duration
    if ctype == "timestamp":
        return _timestamp
    if ctype == "ascii":
        return _ascii_check(name)
    if ctype == "timeuuid":
        return _timeuuid_check(name)
    if kind is Kind.ENUM:
        return lambda v: v.value
    if kind is Kind.JSON:
        dump = _adapter(ltype.python_type).dump_json

        def encode(value: Any) -> str:
            try:
                return dump(value).decode()
            except PydanticSerializationError as exc:  # text holding a lone surrogate, say
                raise DataError(f"{name}: {value!r} cannot be written as JSON: {str(exc).splitlines()[0]}") from None

        return encode
    if kind in (Kind.LIST, Kind.SET, Kind.VECTOR):
        if kind is Kind.VECTOR:
            return _vector(name, ltype.dimensions)
        item = encoder(ltype.items[0], name)
        # Always a new collection, even when the items go out as they are: the model keeps the
        # encoded value as its snapshot, and the field's own object would change with it.
        if item is None:
            return set if kind is Kind.SET else list
        # Sets go out as lists: encoded items (user types) need not be hashable.
        return lambda v: [item(x) if x is not None else None for x in v]
    if kind is Kind.MAP:
        key_enc, value_enc = encoder(ltype.items[0], name), encoder(ltype.items[1], name)
        if key_enc is None and value_enc is None:
            return dict  # a copy, for the same reason
        k = key_enc or (lambda x: x)
        w = value_enc or (lambda x: x)
        return lambda v: _mapping([(k(a), w(b) if b is not None else None) for a, b in v.items()])
    if kind is Kind.TUPLE:
        encs = [encoder(i, name) for i in ltype.items]
        if all(e is None for e in encs):
            return tuple
        return lambda v: tuple(e(x) if e is not None and x is not None else x for e, x in zip(encs, v, strict=True))
    if kind is Kind.USER_TYPE:
        return udt_encoder(ltype.user_type)
    return _range_check(name, ctype)


def _mapping(pairs: list[tuple[Any, Any]]) -> Any:
    try:
        return dict(pairs)
    except TypeError:  # encoded user-type keys are not hashable; the driver's OrderedMap takes them
        return OrderedMap(pairs)


def udt_encoder(model: type[BaseModel]) -> Codec:
    """A user-type instance (or dict) → :class:`UDTValue` with encoded fields."""
    fields = [(n, encoder(t, f"{model.__name__}.{n}")) for n, t in udt_fields(model)]

    def encode(value: Any) -> UDTValue:
        get: Callable[[str], Any] = value.get if isinstance(value, dict) else lambda n: getattr(value, n, None)
        out: dict[str, Any] = {}
        for n, enc in fields:
            x = get(n)
            out[n] = enc(x) if enc is not None and x is not None else x
        return UDTValue(**out)

    return encode


def column_encoder(model_name: str, column: ColumnSchema) -> Codec | None:
    """The encoder for one column's values."""
    return encoder(column.type, f"{model_name}.{column.name}")


def item_encoder(model_name: str, column: ColumnSchema, position: int = 0) -> Codec | None:
    """The encoder for one element (list/set item, map key or value) of a collection column."""
    items = column.type.items
    if not items:
        return column_encoder(model_name, column)
    return encoder(items[min(position, len(items) - 1)], f"{model_name}.{column.name}")


# -- decoding ---------------------------------------------------------------

def _maybe(fn: Codec) -> Codec:
    return lambda v: None if v is None else fn(v)


def _datetime(timezone: bool) -> Codec:
    """Decodes a timestamp (None stays None): aware in UTC, or naive for a naive field.

    The driver decodes timestamps through a float, which strays by some microseconds
    far from 1970 (9999-12-31 23:59:59.999 reads as …59.998993); CQL keeps whole
    milliseconds, so the nearest one is the stored value. One function, not a chain
    of small ones: it runs once per timestamp of every row read.
    """
    millisecond = dt.timedelta(microseconds=1000)

    def decode(value: Any) -> Any:
        if value is None:
            return None
        extra = value.microsecond % 1000
        if extra:
            value += millisecond - dt.timedelta(microseconds=extra) if extra >= 500 else \
                -dt.timedelta(microseconds=extra)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC) if timezone else value
        return value.astimezone(UTC) if timezone else value.replace(tzinfo=None)

    return decode


def _to_timedelta(value: Any) -> Any:
    if isinstance(value, Duration):
        if value.months:
            raise DataError(f"CQL duration {value} has months, which a timedelta cannot hold; declare the field "
                            "as cassandra.util.Duration")
        return dt.timedelta(days=value.days, microseconds=value.nanoseconds // 1000)
    return value


def decoder(ltype: LogicalType, nullable: bool = True) -> Codec | None:
    """The function that turns a driver value into the field's Python value (None: as is)."""
    kind = ltype.kind
    ctype = cql_type(ltype)
    if ctype == "inet":
        return _maybe(ipaddress.ip_address)
    if ctype == "duration":
        wants_duration = isinstance(ltype.python_type, type) and issubclass(ltype.python_type, Duration)
        return None if wants_duration else _maybe(_to_timedelta)
    if kind is Kind.DATETIME:
        return _datetime(ltype.timezone)
    if kind is Kind.DATE:
        return _maybe(lambda v: v.date() if hasattr(v, "date") and not isinstance(v, dt.date) else v)
    if kind is Kind.TIME:
        return _maybe(lambda v: v.time() if hasattr(v, "time") and not isinstance(v, dt.time) else v)
    if kind is Kind.ENUM:
        assert ltype.enum_type is not None
        return _maybe(ltype.enum_type)
    if kind is Kind.JSON:
        return _maybe(_adapter(ltype.python_type).validate_json)
    if kind is Kind.COUNTER:
        return lambda v: 0 if v is None else v
    if kind in (Kind.LIST, Kind.SET, Kind.VECTOR):
        container = _container(ltype, set if kind is Kind.SET else list)
        item = decoder(ltype.items[0])
        # A new empty container per row (never one shared by every row); None when nullable.
        empty: Callable[[], Any] = (lambda: None) if nullable else container
        if item is None:
            return lambda v: empty() if v is None else container(v)
        return lambda v: empty() if v is None else container(item(x) for x in v)
    if kind is Kind.MAP:
        dk = decoder(ltype.items[0]) or (lambda x: x)
        dv = decoder(ltype.items[1]) or (lambda x: x)
        empty_map: Callable[[], Any] = (lambda: None) if nullable else dict
        return lambda v: empty_map() if v is None else {dk(a): dv(b) for a, b in v.items()}
    if kind is Kind.TUPLE:
        decs = [decoder(i) or (lambda x: x) for i in ltype.items]
        return _maybe(lambda v: tuple(d(x) for d, x in zip(decs, v, strict=False)))
    if kind is Kind.USER_TYPE:
        return _maybe(udt_decoder(ltype.user_type))
    return None


def udt_decoder(model: type[BaseModel]) -> Codec:
    """A driver user-type value (named tuple or mapped object) → the pydantic model, unvalidated."""
    fields = [(n, decoder(t) or (lambda x: x)) for n, t in udt_fields(model)]

    def decode(value: Any) -> BaseModel:
        get: Callable[[str], Any] = value.get if isinstance(value, dict) else lambda n: getattr(value, n, None)
        return model.model_construct(**{n: dec(get(n)) for n, dec in fields})

    return decode


def column_decoder(column: ColumnSchema) -> Codec | None:
    """The decoder for one column's values."""
    return decoder(column.type, column.nullable)
