"""Backend-neutral description of tables: columns with logical types, keys and indexes.

Backends translate a :class:`LogicalType` into their own column type; models never
name a database type unless they ask to (``DbType``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal


class Kind(enum.StrEnum):
    """The logical kind of a column's values."""

    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT64 = "float64"
    DECIMAL = "decimal"
    BOOL = "bool"
    TEXT = "text"
    BYTES = "bytes"
    UUID = "uuid"
    TIMEUUID = "timeuuid"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    JSON = "json"
    ENUM = "enum"
    LIST = "list"
    SET = "set"
    MAP = "map"
    TUPLE = "tuple"
    USER_TYPE = "user_type"
    VECTOR = "vector"
    COUNTER = "counter"
    INET = "inet"
    DURATION = "duration"


INT_BOUNDS: dict[Kind, tuple[int, int]] = {
    Kind.INT16: (-(2**15), 2**15 - 1),
    Kind.INT32: (-(2**31), 2**31 - 1),
    Kind.INT64: (-(2**63), 2**63 - 1),
    Kind.COUNTER: (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class LogicalType:
    """A column's type, independent of any database.

    Attributes:
        kind: What the values are.
        python_type: The Python annotation the field declares (without ``None``);
            JSON columns use it to rebuild nested models from stored documents.
        max_length: For ``TEXT``, the ``VARCHAR`` limit, if any.
        precision / scale: For ``DECIMAL``, from pydantic's ``max_digits`` / ``decimal_places``.
        timezone: For ``DATETIME``, whether values are aware (stored as UTC).
        items: Element types for collections (``LIST``/``SET``: one; ``MAP``: key and
            value; ``TUPLE``: one per position).
        enum_type: For ``ENUM``, the Python enum class.
        frozen: A frozen collection or user type (Cassandra).
        dimensions: For ``VECTOR``, the length.
        user_type: For ``USER_TYPE``, the pydantic model that declares it.
        db_type: A database type named explicitly with ``DbType``.
    """

    kind: Kind
    python_type: Any = None
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = True
    items: tuple[LogicalType, ...] = ()
    enum_type: type[enum.Enum] | None = None
    frozen: bool = False
    dimensions: int | None = None
    user_type: Any = None
    db_type: str | None = None

    @property
    def int_bounds(self) -> tuple[int, int] | None:
        """The inclusive range an integer kind can hold, or ``None``."""
        return INT_BOUNDS.get(self.kind)


KeyRole = Literal["primary", "partition", "clustering"]


@dataclass(frozen=True)
class ColumnSchema:
    """One column of a table.

    Attributes:
        name: The model's field name, which queries, rows and errors use.
        column_name: The name of the column in the database (``Column("…")``);
            the field name when not given.
        type: Its logical type.
        nullable: Whether ``None`` is allowed.
        key: Its role in the primary key, if any.
        key_position: Order within its key role (declaration order).
        clustering_order: ``"asc"`` or ``"desc"`` for clustering columns.
        generated: The database generates the value (auto-increment).
        unique: A single-column unique constraint.
        indexed: A single-column index (``index_using`` names its kind).
        static: A Cassandra static column.
        foreign_key: ``(table, column, on_delete)`` when the column references another.
        has_default: The model gives a default, so inserts may leave it out.
    """

    name: str
    type: LogicalType
    nullable: bool = False
    key: KeyRole | None = None
    key_position: int = 0
    clustering_order: Literal["asc", "desc"] = "asc"
    generated: bool = False
    unique: bool = False
    unique_name: str | None = None
    indexed: bool = False
    index_name: str | None = None
    index_using: str | None = None
    static: bool = False
    foreign_key: tuple[str, str, str | None] | None = None
    has_default: bool = False
    column_name: str = ""

    def __post_init__(self) -> None:
        if not self.column_name:
            object.__setattr__(self, "column_name", self.name)


@dataclass(frozen=True)
class IndexSchema:
    """An index over one or more columns, named by field.

    Attributes:
        using: The index method (``"sai"`` on Cassandra; ``"hnsw"``/``"ivfflat"`` for a
            vector index).
        metric: For a vector index, the distance it serves (``"cosine"``, ``"l2"``, ``"inner"``).
        options: For a vector index, its build options (``(("m", 16),)``).
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    using: str | None = None
    metric: str | None = None
    options: tuple[tuple[str, int], ...] = ()

    @property
    def vector(self) -> bool:
        """Whether this is a nearest-neighbour index (``VectorIndex``)."""
        return self.metric is not None


@dataclass(frozen=True)
class RelationSchema:
    """A foreign-key relation from this table's ``columns`` to another table."""

    name: str
    columns: tuple[str, ...]
    target_table: str
    target_columns: tuple[str, ...]
    on_delete: str | None = None


@dataclass(frozen=True)
class TableSchema:
    """A table: its columns in declaration order, keys, indexes and options."""

    name: str
    columns: tuple[ColumnSchema, ...]
    indexes: tuple[IndexSchema, ...] = ()
    relations: tuple[RelationSchema, ...] = ()
    keyspace: str | None = None
    default_ttl: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    by_name: dict[str, ColumnSchema] = field(init=False, repr=False, compare=False)

    _generated: ColumnSchema | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})
        object.__setattr__(self, "_generated", next((c for c in self.columns if c.generated), None))

    @property
    def primary_key(self) -> tuple[ColumnSchema, ...]:
        """Every key column: partition (or primary) columns first, then clustering."""
        keyed = [c for c in self.columns if c.key is not None]
        role_order = {"partition": 0, "primary": 0, "clustering": 1}
        return tuple(sorted(keyed, key=lambda c: (role_order[c.key or "primary"], c.key_position)))

    @property
    def partition_key(self) -> tuple[ColumnSchema, ...]:
        """The partition-key columns (the primary-key columns on SQL)."""
        return tuple(c for c in self.primary_key if c.key in ("partition", "primary"))

    @property
    def clustering_key(self) -> tuple[ColumnSchema, ...]:
        """The clustering columns, in order."""
        return tuple(c for c in self.primary_key if c.key == "clustering")

    @property
    def generated_column(self) -> ColumnSchema | None:
        """The column the database generates on insert, if any."""
        return self._generated
