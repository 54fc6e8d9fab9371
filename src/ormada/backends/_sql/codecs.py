"""Converting field values to what SQL drivers bind, and driver values back.

Values written by users have already been validated by pydantic; these functions
only change representation. Rows read back are trusted and never re-validated,
except JSON documents, which pydantic-core parses straight into the field's type.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from array import array
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError

from ormada._vectors import pack_float32, unpack_float32, vector_problem
from ormada.backends._sql.tables import JSON_KINDS
from ormada.errors import DataError
from ormada.schema import ColumnSchema, Kind, LogicalType

Codec = Callable[[Any], Any]
UTC = dt.UTC


@lru_cache(maxsize=1024)
def json_adapter(python_type: Any) -> TypeAdapter[Any]:
    """A cached TypeAdapter for (de)serialising a JSON column's values."""
    return TypeAdapter(python_type)


def not_json(value: Any, exc: Exception) -> DataError:
    """The error for a value pydantic cannot write as JSON (text holding a lone surrogate, say)."""
    return DataError(f"{value!r} cannot be written as JSON: {str(exc).splitlines()[0]}")


def json_text(python_type: Any, value: Any) -> str:
    """``value`` as JSON text, through the cached adapter of ``python_type``.

    Raises:
        DataError: pydantic cannot write it as JSON.
    """
    try:
        return json_adapter(python_type).dump_json(value).decode()
    except PydanticSerializationError as exc:
        raise not_json(value, exc) from None


def json_encoder(ltype: LogicalType) -> Codec:
    """Field value → JSON text."""
    # The serializer itself, not TypeAdapter.dump_json, whose keyword handling runs once
    # per row of a bulk insert: a small document took 0.58 µs through it, 0.23 µs without.
    dump = json_adapter(ltype.python_type).serializer.to_json

    def encode(value: Any) -> str:
        try:
            return dump(value).decode()
        except PydanticSerializationError as exc:
            raise not_json(value, exc) from None

    return encode


def json_decoder(ltype: LogicalType) -> Codec:
    """JSON text (or bytes) → the field's Python value, models and all."""
    return json_adapter(ltype.python_type).validate_json


class IntRangeCheck:
    """Refuses integers the column cannot hold, naming model, field and value."""

    __slots__ = ("column", "high", "low", "model")

    def __init__(self, model: str, column: ColumnSchema, low: int, high: int) -> None:
        self.model = model
        self.column = column
        self.low = low
        self.high = high

    def __call__(self, value: Any) -> Any:
        if self.low <= value <= self.high if type(value) is int else True:
            return value
        column = self.column
        raise DataError(
            f"{self.model}.{column.name}: {value!r} does not fit in a {column.type.kind.value} column "
            f"(range {self.low} to {self.high})" + ("; use BigInt() for larger values" if column.type.kind in
                                                    (Kind.INT16, Kind.INT32) else "")
        )

    def encode_column(self, values: list[Any]) -> list[Any]:
        """A whole column of a bulk write at once: min() and max() run in C (2,500 values:
        0.08 ms instead of 0.45 ms for a call per value, which on a model with a dozen
        integer columns was a fifth of the mapper's own bulk-insert work). A column holding
        a value out of range, a None or a value that does not compare with ints is checked
        value by value, so the error is the same."""
        try:
            if values and self.low <= min(values) and max(values) <= self.high:
                return values
        except TypeError:
            pass
        return [v if v is None else self(v) for v in values]


def int_range_check(model: str, column: ColumnSchema) -> Codec | None:
    """Refuses integers the column cannot hold, naming model, field and value."""
    bounds = column.type.int_bounds
    if bounds is None:
        return None
    return IntRangeCheck(model, column, *bounds)


def enum_encoder(_: LogicalType) -> Codec:
    return lambda value: value.value


def enum_decoder(ltype: LogicalType) -> Codec:
    assert ltype.enum_type is not None
    return ltype.enum_type


def aware_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetimes become UTC; naive ones are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# -- SQLite ---------------------------------------------------------------
#
# Datetimes are stored as the text Python's sqlite3 adapter, Django and SQLite's own
# CURRENT_TIMESTAMP and datetime() write: "YYYY-MM-DD HH:MM:SS", then ".ffffff" only
# when there are microseconds, and no offset (aware fields hold UTC). Within that form
# text order is time order: a whole second is a prefix of the same second with a
# fraction, and "." sorts before every digit. Earlier ormada versions always wrote six
# digits, and "+00:00" on aware fields; SQLITE_BOUNDS gives, for each instant, the
# lowest and highest text of any of these forms, so that a comparison written as a
# text range finds the rows of every form.

def _sqlite_naive(ltype: LogicalType) -> Callable[[dt.datetime], dt.datetime]:
    """The naive value whose text is stored: UTC for aware fields, the wall time for naive ones."""
    if ltype.timezone:
        def as_utc(value: dt.datetime) -> dt.datetime:
            if value.tzinfo is None:  # a naive value in an aware field is UTC already
                return value
            return value.astimezone(UTC).replace(tzinfo=None)

        return as_utc
    return lambda value: value if value.tzinfo is None else value.replace(tzinfo=None)


def _sqlite_datetime_encoder(ltype: LogicalType) -> Codec:
    if ltype.timezone:
        def utc_text(value: dt.datetime) -> str:
            if value.tzinfo is None:
                return value.isoformat(" ")
            if value.tzinfo is not UTC:  # skipping astimezone() for UTC values saves a quarter
                value = value.astimezone(UTC)
            return value.isoformat(" ")[:-6]  # drops "+00:00"

        return utc_text
    return lambda v: (v if v.tzinfo is None else v.replace(tzinfo=None)).isoformat(" ")


def sqlite_datetime_bounds(ltype: LogicalType) -> tuple[Codec, Codec]:
    """The lowest and highest stored text of a datetime, whatever wrote it.

    The lowest drops the fraction's trailing zeros (``.5`` sorts before ``.500`` and
    ``.500000``); the highest has six digits and a ``~``, which sorts after any offset
    suffix (``+00:00``, ``Z``) and before the text of the next microsecond."""
    naive = _sqlite_naive(ltype)

    def lowest(value: dt.datetime) -> str:
        value = naive(value)
        return value.isoformat(" ").rstrip("0") if value.microsecond else value.isoformat(" ")

    def highest(value: dt.datetime) -> str:
        return naive(value).isoformat(" ", "microseconds") + "~"

    return lowest, highest


def _sqlite_datetime_decoder(ltype: LogicalType) -> Codec:
    # fromisoformat() reads every form other programs write: " " or "T", no fraction
    # or any number of digits, no offset, "Z" or "+HH:MM".
    parse = dt.datetime.fromisoformat
    if ltype.timezone:
        def aware(text: str) -> dt.datetime:
            # Runs for every value of every row read, so the stored form comes first and
            # alone: parsing it with the offset appended is 7 times faster than
            # replace(tzinfo=), and this order took 0.15 µs a value where checking for
            # "+00:00" first took 0.21 (20,000 rows: 3 ms to 4 ms).
            try:
                value = parse(text + "+00:00")
            except ValueError:  # an offset of its own: "+00:00" as earlier versions wrote, "Z"
                value = parse(text)
                return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # a bare date

        return aware

    def naive(text: str) -> dt.datetime:
        value = parse(text)
        # As PostgreSQL's timestamp without time zone: an offset in the text is ignored.
        return value if value.tzinfo is None else value.replace(tzinfo=None)

    return naive


def _decimal_decoder(ltype: LogicalType) -> Codec:
    if ltype.scale is None:
        return lambda v: Decimal(str(v))
    quantum = Decimal(1).scaleb(-ltype.scale)
    return lambda v: Decimal(str(v)).quantize(quantum)


SQLITE_ENCODERS: dict[Kind, Callable[[LogicalType], Codec]] = {
    Kind.DECIMAL: lambda _: str,
    Kind.UUID: lambda _: lambda v: v.hex,
    Kind.TIMEUUID: lambda _: lambda v: v.hex,
    Kind.DATETIME: _sqlite_datetime_encoder,
    Kind.DATE: lambda _: lambda v: v.isoformat(),
    Kind.TIME: lambda _: lambda v: v.isoformat(timespec="microseconds"),
    Kind.ENUM: enum_encoder,
    Kind.INET: lambda _: str,
    Kind.DURATION: lambda _: lambda v: v // dt.timedelta(microseconds=1),
    Kind.VECTOR: lambda _: pack_float32,
}

def _sqlite_vector(value: bytes | str) -> list[float]:
    """A stored vector: float32 bytes, or the JSON text earlier versions (and other programs) wrote."""
    if isinstance(value, bytes):
        return unpack_float32(value)
    return unpack_float32(pack_float32([float(x) for x in json_adapter(list[float]).validate_json(value)]))


SQLITE_DECODERS: dict[Kind, Callable[[LogicalType], Codec]] = {
    Kind.BOOL: lambda _: bool,
    Kind.DECIMAL: _decimal_decoder,
    Kind.UUID: lambda _: lambda v: uuid.UUID(v) if isinstance(v, str) else uuid.UUID(bytes=v),
    Kind.TIMEUUID: lambda _: lambda v: uuid.UUID(v) if isinstance(v, str) else uuid.UUID(bytes=v),
    Kind.DATETIME: _sqlite_datetime_decoder,
    Kind.DATE: lambda _: dt.date.fromisoformat,
    Kind.TIME: lambda _: dt.time.fromisoformat,
    Kind.ENUM: enum_decoder,
    Kind.FLOAT64: lambda _: float,
    Kind.INET: lambda _: ipaddress.ip_address,
    Kind.DURATION: lambda _: lambda v: dt.timedelta(microseconds=v),
    Kind.VECTOR: lambda _: _sqlite_vector,
}

SQLITE_BOUNDS: dict[Kind, Callable[[LogicalType], tuple[Codec, Codec]]] = {
    Kind.DATETIME: sqlite_datetime_bounds,
}

# -- PostgreSQL (psycopg and asyncpg are set up to agree: JSON arrives as text) ---

def _pg_datetime_encoder(ltype: LogicalType) -> Codec | None:
    if ltype.timezone:
        return aware_utc
    return None


def _pg_vector_text(values: list[float]) -> str:
    """pgvector's text form of a vector (``[1.0,2.5]``), which both drivers send as it is."""
    return "[" + ",".join(map(repr, values)) + "]"


def _pg_vector_decoder(_: LogicalType) -> Codec:
    def decode(text: str) -> list[float]:
        # pgvector writes each float32 in its shortest text ("0.68045926"); through array("f")
        # it becomes the float32's exact value, as SQLite and Cassandra read it.
        return array("f", map(float, text[1:-1].split(","))).tolist() if text != "[]" else []

    return decode


POSTGRES_ENCODERS: dict[Kind, Callable[[LogicalType], Codec | None]] = {
    Kind.DATETIME: _pg_datetime_encoder,
    Kind.ENUM: enum_encoder,
    Kind.VECTOR: lambda _: _pg_vector_text,
}

POSTGRES_DECODERS: dict[Kind, Callable[[LogicalType], Codec]] = {
    Kind.ENUM: enum_decoder,
    Kind.VECTOR: _pg_vector_decoder,
}


def vector_encoder(model: str, column: ColumnSchema, form: Codec) -> Codec:
    """Checks a vector (its length, finite float32 values) before ``form`` makes it what the
    driver binds; a bad one is a DataError naming model, field and the fault."""
    dimensions = column.type.dimensions

    def encode(value: Any) -> Any:
        problem = vector_problem(value, dimensions)
        if problem is not None:
            raise DataError(f"{model}.{column.name}: {problem}")
        return form(value)

    return encode


def make_encoder(encoders: dict[Kind, Callable[[LogicalType], Codec | None]], model: str,
                 column: ColumnSchema) -> Codec | None:
    """The encoder for one column from a backend's table, with range checks for integers."""
    ltype = column.type
    if ltype.kind is Kind.VECTOR and ltype.db_type is None:
        form = encoders.get(Kind.VECTOR)
        return vector_encoder(model, column, form(ltype) if form is not None else json_encoder(ltype))  # type: ignore[arg-type]
    if ltype.kind in JSON_KINDS and ltype.db_type is None:
        return json_encoder(ltype)
    check = int_range_check(model, column)
    if check is not None:
        return check
    factory = encoders.get(ltype.kind)
    return factory(ltype) if factory is not None else None


def make_decoder(decoders: dict[Kind, Callable[[LogicalType], Codec]], column: ColumnSchema) -> Codec | None:
    """The decoder for one column from a backend's table."""
    ltype = column.type
    if ltype.kind in JSON_KINDS and ltype.db_type is None:
        return json_decoder(ltype)
    if ltype.kind is Kind.VECTOR and ltype.db_type is None and Kind.VECTOR not in decoders:
        return json_decoder(ltype)
    factory = decoders.get(ltype.kind)
    return factory(ltype) if factory is not None else None
