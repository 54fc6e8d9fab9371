"""Building a :class:`TableSchema` from a model class's pydantic fields."""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import types
import typing
import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Any

import annotated_types
from pydantic import AwareDatetime, BaseModel, NaiveDatetime
from pydantic.fields import FieldInfo

from ormada import fields as m
from ormada._meta import ModelOptions
from ormada.errors import ConfigurationError
from ormada.schema import ColumnSchema, IndexSchema, Kind, LogicalType, RelationSchema, TableSchema

_SCALARS: tuple[tuple[type, Kind], ...] = (
    (bool, Kind.BOOL),  # before int: bool is an int subclass
    (int, Kind.INT32),
    (float, Kind.FLOAT64),
    (Decimal, Kind.DECIMAL),
    (str, Kind.TEXT),
    (bytes, Kind.BYTES),
    (uuid.UUID, Kind.UUID),
    (dt.datetime, Kind.DATETIME),  # before date: datetime is a date subclass
    (dt.date, Kind.DATE),
    (dt.time, Kind.TIME),
    (dt.timedelta, Kind.DURATION),
    (ipaddress.IPv4Address, Kind.INET),
    (ipaddress.IPv6Address, Kind.INET),
)


class UnsupportedType(Exception):
    """Internal: the annotation has no logical type; turned into a ConfigurationError."""


def split_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` → ``(X, True)``; anything else → ``(annotation, False)``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = tuple(a for a in args if a is not type(None))
        if len(rest) < len(args):
            if len(rest) == 1:
                return rest[0], True
            return typing.Union[rest], True
    return annotation, False


def _strip_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    extra: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        annotation, extra = args[0], [*extra, *args[1:]]
    return annotation, extra


def logical_type(annotation: Any, metadata: list[Any]) -> LogicalType:
    """Maps a Python annotation (``None`` already removed) and its markers to a logical type.

    Raises:
        UnsupportedType: nothing can store values of this annotation.
    """
    annotation, extra = _strip_annotated(annotation)
    metadata = [*metadata, *extra]
    markers = {type(x): x for x in metadata if isinstance(x, m.Marker)}
    if m.DbType in markers:
        db_type = markers[m.DbType]
        assert isinstance(db_type, m.DbType)
        inner = _safe_logical(annotation, metadata)
        return LogicalType(inner.kind, python_type=annotation, db_type=db_type.type_name)
    if m.Json in markers:
        return LogicalType(Kind.JSON, python_type=annotation)
    if m.Counter in markers:
        return LogicalType(Kind.COUNTER, python_type=int)
    if m.Vector in markers:
        vector = markers[m.Vector]
        assert isinstance(vector, m.Vector)
        return LogicalType(Kind.VECTOR, python_type=annotation, dimensions=vector.dimensions,
                           items=(LogicalType(Kind.FLOAT64, python_type=float),))
    frozen = m.Frozen in markers
    if annotation is AwareDatetime:
        return LogicalType(Kind.DATETIME, python_type=dt.datetime, timezone=True)
    if annotation is NaiveDatetime:
        return LogicalType(Kind.DATETIME, python_type=dt.datetime, timezone=False)
    if annotation is typing.Any or annotation is object:
        return LogicalType(Kind.JSON, python_type=typing.Any)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and all(
            a in (ipaddress.IPv4Address, ipaddress.IPv6Address) for a in typing.get_args(annotation)):
        return LogicalType(Kind.INET, python_type=annotation)
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        base = type(values[0])
        if all(type(v) is base for v in values) and base in (str, int):
            kind = Kind.TEXT if base is str else Kind.INT32
            return LogicalType(kind, python_type=annotation)
        raise UnsupportedType(f"Literal{list(values)!r} mixes value types")
    if origin in (list, set, frozenset, tuple, dict) or annotation in (list, set, frozenset, tuple, dict):
        return _collection(annotation, origin or annotation, frozen)
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return LogicalType(Kind.ENUM, python_type=annotation, enum_type=annotation)
        if issubclass(annotation, BaseModel):
            return LogicalType(Kind.USER_TYPE, python_type=annotation, user_type=annotation, frozen=frozen)
        for py_type, kind in _SCALARS:
            if issubclass(annotation, py_type):
                return _refine(kind, annotation, metadata, markers)
    raise UnsupportedType(f"{annotation!r} has no column type")


def _safe_logical(annotation: Any, metadata: list[Any]) -> LogicalType:
    try:
        return logical_type(annotation, [x for x in metadata if not isinstance(x, m.DbType)])
    except UnsupportedType:
        return LogicalType(Kind.JSON, python_type=annotation)


def _refine(kind: Kind, annotation: type, metadata: list[Any], markers: dict[type, Any]) -> LogicalType:
    if kind is Kind.INT32:
        if m.BigInt in markers:
            kind = Kind.INT64
        elif m.SmallInt in markers:
            kind = Kind.INT16
        return LogicalType(kind, python_type=int)
    if kind is Kind.TEXT:
        max_length = None
        for item in metadata:
            if (isinstance(item, m.Text) and item.max_length is not None) or isinstance(item, annotated_types.MaxLen):
                max_length = item.max_length
        return LogicalType(Kind.TEXT, python_type=str, max_length=max_length)
    if kind is Kind.DECIMAL:
        precision = next((x.max_digits for x in metadata if getattr(x, "max_digits", None) is not None), None)
        scale = next((x.decimal_places for x in metadata if getattr(x, "decimal_places", None) is not None), None)
        return LogicalType(Kind.DECIMAL, python_type=Decimal, precision=precision, scale=scale)
    if kind is Kind.UUID and m.TimeUUID in markers:
        return LogicalType(Kind.TIMEUUID, python_type=uuid.UUID)
    if kind is Kind.DATETIME:
        return LogicalType(Kind.DATETIME, python_type=dt.datetime, timezone=True)
    return LogicalType(kind, python_type=annotation)


def _collection(annotation: Any, origin: Any, frozen: bool) -> LogicalType:
    args = typing.get_args(annotation)

    def item(arg: Any) -> LogicalType:
        inner, _ = split_optional(arg)
        try:
            return logical_type(inner, [])
        except UnsupportedType:
            return LogicalType(Kind.JSON, python_type=inner)

    if origin is list:
        items = (item(args[0]),) if args else (LogicalType(Kind.JSON, python_type=typing.Any),)
        return LogicalType(Kind.LIST, python_type=annotation, items=items, frozen=frozen)
    if origin in (set, frozenset):
        items = (item(args[0]),) if args else (LogicalType(Kind.JSON, python_type=typing.Any),)
        return LogicalType(Kind.SET, python_type=annotation, items=items, frozen=frozen)
    if origin is dict:
        if not args:
            return LogicalType(Kind.JSON, python_type=annotation)
        return LogicalType(Kind.MAP, python_type=annotation, items=(item(args[0]), item(args[1])), frozen=frozen)
    if not args or (len(args) == 2 and args[1] is Ellipsis):
        inner = (item(args[0]),) if args else (LogicalType(Kind.JSON, python_type=typing.Any),)
        return LogicalType(Kind.LIST, python_type=annotation, items=inner, frozen=frozen)
    return LogicalType(Kind.TUPLE, python_type=annotation, items=tuple(item(a) for a in args), frozen=True)


def build_table_schema(model_name: str, model_fields: dict[str, FieldInfo], options: ModelOptions) -> TableSchema:
    """Builds the table a model maps to.

    Raises:
        ConfigurationError: a field's type cannot be stored, keys are inconsistent,
            or ``Meta`` names a field that does not exist.
    """
    columns: list[ColumnSchema] = []
    positions = {"primary": 0, "partition": 0, "clustering": 0}
    extra_indexes: list[IndexSchema] = []
    relations: list[RelationSchema] = []
    for name, info in model_fields.items():
        annotation, nullable = split_optional(info.annotation)
        try:
            ltype = logical_type(annotation, list(info.metadata))
        except UnsupportedType as exc:
            raise ConfigurationError(
                f"{model_name}.{name}: type {_type_name(info.annotation)} cannot be stored ({exc}); "
                "use a supported type (int, float, bool, str, bytes, Decimal, UUID, datetime, date, time, "
                "Enum, list, dict, a pydantic model) or mark it Json()"
            ) from None
        markers = [x for x in info.metadata if isinstance(x, m.Marker)]
        key: Any = None
        order: Any = "asc"
        auto: bool | None = None
        for marker in markers:
            if isinstance(marker, m.PrimaryKey):
                key, auto = "primary", marker.autoincrement
            elif isinstance(marker, m.PartitionKey):
                key = "partition"
            elif isinstance(marker, m.ClusteringKey):
                key, order = "clustering", marker.order
        position = 0
        if key is not None:
            position = positions[key]
            positions[key] += 1
        has_default = not info.is_required()
        generated = (
            key == "primary"
            and ltype.kind in (Kind.INT16, Kind.INT32, Kind.INT64)
            and auto is not False
            and (auto is True or (nullable and info.default is None))
        )
        unique = next((x for x in markers if isinstance(x, m.Unique)), None)
        indexed = next((x for x in markers if isinstance(x, m.Indexed)), None)
        fk = next((x for x in markers if isinstance(x, m.ForeignKey)), None)
        column_name = _column_name(model_name, name, markers)
        foreign_key = None
        if fk is not None and fk.db_constraint:  # without one, a plain key column
            table, column = _fk_target(model_name, name, fk)
            foreign_key = (table, column, fk.on_delete)
            relations.append(
                RelationSchema(f"fk_{options.table}_{column_name}", (name,), table, (column,), fk.on_delete)
            )
        columns.append(ColumnSchema(
            name=name,
            type=ltype,
            nullable=nullable,
            key=key,
            key_position=position,
            clustering_order=order,
            generated=generated,
            unique=unique is not None or isinstance(fk, m.OneToOne),  # one row per target row
            unique_name=unique.name if unique else None,
            indexed=indexed is not None,
            index_name=indexed.name if indexed else None,
            index_using=indexed.using if indexed else None,
            static=any(isinstance(x, m.Static) for x in markers),
            foreign_key=foreign_key,
            has_default=has_default or generated,
            column_name=column_name,
        ))
    if positions["primary"] and (positions["partition"] or positions["clustering"]):
        raise ConfigurationError(
            f"{model_name}: use either PrimaryKey() or PartitionKey()/ClusteringKey(), not both"
        )
    if positions["clustering"] and not positions["partition"]:
        raise ConfigurationError(f"{model_name}: ClusteringKey() needs at least one PartitionKey() field")
    if sum(c.generated for c in columns) > 1 or (any(c.generated for c in columns) and positions["primary"] > 1):
        columns = [_replace(c, generated=False) for c in columns]
    _check_column_names(model_name, columns)
    # Default names are made of column names, so renaming a field that keeps its Column()
    # leaves the database (and its migrations) untouched.
    sql_names = {c.name: c.column_name for c in columns}
    for index in options.indexes:
        _check_fields(model_name, "indexes", index.fields, sql_names)
        default = f"ix_{options.table}_{'_'.join(sql_names[f] for f in index.fields)}"
        if index.metric is not None:
            _check_vector_index(model_name, index.fields, columns)
        extra_indexes.append(IndexSchema(index.name or default, index.fields, index.unique, index.using,
                                         index.metric, index.options))
    for group in options.unique_together:
        _check_fields(model_name, "unique_together", group, sql_names)
        unique_name = f"uq_{options.table}_{'_'.join(sql_names[f] for f in group)}"
        extra_indexes.append(IndexSchema(unique_name, group, unique=True))
    return TableSchema(
        name=options.table,
        columns=tuple(columns),
        indexes=tuple(extra_indexes),
        relations=tuple(relations),
        keyspace=options.keyspace,
        default_ttl=options.default_ttl,
        options=dict(options.options),
    )


def _check_vector_index(model_name: str, fields: tuple[str, ...], columns: list[ColumnSchema]) -> None:
    field = fields[0]
    column = next(c for c in columns if c.name == field)
    if column.type.kind is not Kind.VECTOR:
        raise ConfigurationError(f"{model_name}.Meta.indexes: VectorIndex({field!r}) needs a Vector(n) field; "
                                 f"{field} holds {column.type.kind.value}")


def _replace(column: ColumnSchema, **changes: Any) -> ColumnSchema:
    from dataclasses import replace

    return replace(column, **changes)


def _fk_target(model_name: str, field: str, fk: m.ForeignKey) -> tuple[str, str]:
    """The table and column a foreign key refers to: a model's key field (or the field
    ``fk.column`` names), or a ``"table.column"`` string for a table ormada does not manage."""
    target = fk.target
    if isinstance(target, str):
        table, _, column = target.partition(".")
        return table, fk.column or column or "id"
    # Read from the target's options and fields, not its table: the target may itself
    # still wait for a model it refers to.
    options = target.__dict__.get("__ormada_options__") if isinstance(target, type) else None
    fields: dict[str, FieldInfo] = getattr(target, "model_fields", {})
    if not isinstance(options, ModelOptions) or options.abstract:
        raise ConfigurationError(f"{model_name}.{field}: ForeignKey target {target!r} is not a model or 'table.column'")
    name = fk.column or m.key_field(fields) or "id"
    referenced = fields.get(name)
    if referenced is None:
        raise ConfigurationError(f"{model_name}.{field}: ForeignKey refers to {target.__name__}.{name}, "
                                 f"which does not exist")
    markers = [x for x in referenced.metadata if isinstance(x, m.Marker)]
    return options.table, _column_name(target.__name__, name, markers)


def _column_name(model_name: str, field: str, markers: list[m.Marker]) -> str:
    chosen = [x for x in markers if isinstance(x, m.Column)]
    if not chosen:
        return field
    if len(chosen) > 1:
        raise ConfigurationError(f"{model_name}.{field} has {len(chosen)} Column() markers; give it one")
    name = chosen[0].name
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{model_name}.{field}: Column() needs a non-empty column name, not {name!r}")
    return name


def _check_column_names(model_name: str, columns: list[ColumnSchema]) -> None:
    # Without case: SQLite (and MySQL) take "AlbumId" and "albumid" for one column, and a
    # model is not tied to one backend when it is defined.
    owners: dict[str, ColumnSchema] = {}
    for column in columns:
        other = owners.setdefault(column.column_name.casefold(), column)
        if other is not column:
            raise ConfigurationError(
                f"{model_name}.{column.name} and {model_name}.{other.name} both map to column "
                f"{other.column_name!r}; give one of them another Column(\"...\")"
            )


def _check_fields(model_name: str, option: str, wanted: tuple[str, ...], names: Collection[str]) -> None:
    import difflib

    for name in wanted:
        if name not in names:
            hint = difflib.get_close_matches(name, names, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigurationError(f"{model_name}.Meta.{option} names unknown field {name!r}{suggestion}")


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)
