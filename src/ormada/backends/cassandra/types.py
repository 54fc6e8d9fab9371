"""Logical types → CQL type names, and the user-defined types a table needs.

CQL refuses a non-frozen collection or user type inside another collection, so
every nested collection, tuple and user type is written ``frozen<…>``. Top-level
columns stay unfrozen unless the field asks for ``Frozen()`` or is part of the key.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cassandra.metadata import maybe_escape_name
from cassandra.util import Duration
from pydantic import BaseModel

from ormada._meta import snake_case
from ormada._schema_builder import UnsupportedType, logical_type, split_optional
from ormada.errors import ConfigurationError
from ormada.schema import ColumnSchema, Kind, LogicalType, TableSchema

SCALAR_TYPES: dict[Kind, str] = {
    Kind.INT16: "smallint",
    Kind.INT32: "int",
    Kind.INT64: "bigint",
    Kind.COUNTER: "counter",
    Kind.FLOAT64: "double",
    Kind.DECIMAL: "decimal",
    Kind.BOOL: "boolean",
    Kind.TEXT: "text",
    Kind.BYTES: "blob",
    Kind.UUID: "uuid",
    Kind.TIMEUUID: "timeuuid",
    Kind.DATE: "date",
    Kind.TIME: "time",
    Kind.DATETIME: "timestamp",
    Kind.JSON: "text",
    Kind.INET: "inet",
    Kind.DURATION: "duration",
}

IP_TYPES: tuple[type, ...] = (ipaddress.IPv4Address, ipaddress.IPv6Address)
DURATION_TYPES: tuple[type, ...] = (dt.timedelta, Duration)
COLLECTION_KINDS = frozenset({Kind.LIST, Kind.SET, Kind.MAP, Kind.TUPLE, Kind.USER_TYPE, Kind.VECTOR})

# Every CQL type a ``DbType("…")`` may name for a scalar column.
KNOWN_SCALARS = frozenset({
    "ascii", "bigint", "blob", "boolean", "counter", "date", "decimal", "double", "duration", "float",
    "inet", "int", "smallint", "text", "time", "timestamp", "timeuuid", "tinyint", "uuid", "varchar", "varint",
})


def quote(name: str) -> str:
    """A CQL identifier, double-quoted only when it must be (case, reserved words)."""
    return str(maybe_escape_name(name))


def natural_type(ltype: LogicalType) -> str | None:
    """The CQL type a Python type asks for where the neutral schema has no kind for it."""
    python_type = ltype.python_type
    if isinstance(python_type, type):
        if issubclass(python_type, IP_TYPES):
            return "inet"
        if issubclass(python_type, DURATION_TYPES):
            return "duration"
    if _is_ip_union(python_type):
        return "inet"
    return None


def _is_ip_union(python_type: Any) -> bool:
    import typing

    args = typing.get_args(python_type)
    return bool(args) and all(isinstance(a, type) and issubclass(a, IP_TYPES) for a in args)


def cql_type(ltype: LogicalType, *, nested: bool = False, freeze: bool = False) -> str:
    """The CQL type for a logical type.

    Args:
        nested: The type sits inside a collection, tuple or user type (must be frozen).
        freeze: Freeze it even at the top level (``Frozen()`` fields and key columns).

    Raises:
        ConfigurationError: the type cannot be stored in CQL.
    """
    if ltype.db_type is not None:
        return ltype.db_type
    kind = ltype.kind
    frozen = nested or freeze or ltype.frozen
    if kind is Kind.LIST:
        inner = f"list<{cql_type(ltype.items[0], nested=True)}>"
        return f"frozen<{inner}>" if frozen else inner
    if kind is Kind.SET:
        inner = f"set<{cql_type(ltype.items[0], nested=True)}>"
        return f"frozen<{inner}>" if frozen else inner
    if kind is Kind.MAP:
        key, value = ltype.items
        inner = f"map<{cql_type(key, nested=True)}, {cql_type(value, nested=True)}>"
        return f"frozen<{inner}>" if frozen else inner
    if kind is Kind.TUPLE:
        # Tuples are always frozen in CQL; spelling it out keeps old servers happy.
        return f"frozen<tuple<{', '.join(cql_type(i, nested=True) for i in ltype.items)}>>"
    if kind is Kind.USER_TYPE:
        name = quote(udt_name(ltype.user_type))
        return f"frozen<{name}>" if frozen else name
    if kind is Kind.VECTOR:
        return f"vector<float, {ltype.dimensions}>"
    if kind is Kind.ENUM:
        assert ltype.enum_type is not None
        values = [m.value for m in ltype.enum_type]
        return "int" if values and all(isinstance(v, int) for v in values) else "text"
    natural = natural_type(ltype)
    if natural is not None:
        return natural
    try:
        return SCALAR_TYPES[kind]
    except KeyError:
        raise ConfigurationError(f"a {kind.value} value has no CQL type") from None


def column_type(column: ColumnSchema) -> str:
    """The CQL type of a table column; key columns freeze collections and user types."""
    return cql_type(column.type, freeze=column.key is not None)


def udt_name(model: Any) -> str:
    """The CQL name of a user type declared as a pydantic model (``__cql_type_name__`` or snake_case)."""
    explicit = getattr(model, "__cql_type_name__", None)
    return explicit if isinstance(explicit, str) else snake_case(model.__name__)


@lru_cache(maxsize=512)
def udt_fields(model: type[BaseModel]) -> tuple[tuple[str, LogicalType], ...]:
    """The fields of a user type with their logical types, in declaration order.

    Raises:
        ConfigurationError: a field of the user type cannot be stored.
    """
    out: list[tuple[str, LogicalType]] = []
    for name, info in model.model_fields.items():
        annotation, _ = split_optional(info.annotation)
        try:
            ltype = logical_type(annotation, list(info.metadata))
        except UnsupportedType as exc:
            raise ConfigurationError(f"user type {model.__name__}.{name} cannot be stored in CQL ({exc})") from None
        out.append((name, ltype))
    return tuple(out)


def _walk(ltype: LogicalType, seen: dict[str, type[BaseModel]], path: tuple[str, ...]) -> None:
    for item in ltype.items:
        _walk(item, seen, path)
    if ltype.kind is Kind.USER_TYPE:
        model = ltype.user_type
        name = udt_name(model)
        if name in path:
            chain = " → ".join((*path, name))
            raise ConfigurationError(f"user type {name} contains itself ({chain}); CQL cannot store it")
        if name in seen:
            if seen[name] is not model:
                raise ConfigurationError(
                    f"two user types are both called {name!r} ({seen[name].__qualname__}, {model.__qualname__}); "
                    "set __cql_type_name__ on one of them"
                )
            return
        for _, field_type in udt_fields(model):
            _walk(field_type, seen, (*path, name))
        seen[name] = model  # after its fields: dependency order


def user_types(tables: Iterable[TableSchema]) -> list[type[BaseModel]]:
    """Every user type the tables use, each after the types it contains."""
    seen: dict[str, type[BaseModel]] = {}
    for table in tables:
        for column in table.columns:
            _walk(column.type, seen, ())
    return list(seen.values())


def user_types_of(ltype: LogicalType) -> list[type[BaseModel]]:
    """The user types one logical type uses, in dependency order."""
    seen: dict[str, type[BaseModel]] = {}
    _walk(ltype, seen, ())
    return list(seen.values())
