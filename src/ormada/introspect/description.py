"""What a database holds, described apart from any database: the input of code generation.

The readers (:mod:`ormada.introspect.sql`, :mod:`ormada.introspect.cql`) fill these plain
values; :mod:`ormada.introspect.codegen` turns them into model source. Every value is
hashable and has a canonical JSON form (:func:`canonical`), whose digest is the checksum
that tells an unchanged table from a changed one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ormada.errors import ConfigurationError
from ormada.schema import Kind


@dataclass(frozen=True)
class TypeInfo:
    """A column's type: a logical kind with its parameters, and the database's own spelling
    (``db_type``) where no ormada type gives the same column.

    Attributes:
        kind: The logical kind (``Kind``); a collection's items are in ``items``.
        max_length: For text, the ``VARCHAR`` limit.
        precision / scale: For decimals.
        timezone: For datetimes, whether values are aware.
        items: Element types of collections (Cassandra).
        frozen: A frozen collection or user type (Cassandra).
        dimensions: A vector's length.
        user_type: The name of a user-defined type (Cassandra).
        choices: The values of a database enum type.
        db_type: The type as the database names it, when the kind alone would create another.
    """

    kind: Kind
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = True
    items: tuple[TypeInfo, ...] = ()
    frozen: bool = False
    dimensions: int | None = None
    user_type: str | None = None
    choices: tuple[str, ...] = ()
    db_type: str | None = None


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the database has it.

    Attributes:
        default: A literal default (number, text, bool) the database gives, as a Python value.
        default_sql: A default that is an expression (``now()``), kept for the comment.
        generated: The database generates the value (identity, auto-increment, rowid).
        key: ``"primary"``, ``"partition"`` or ``"clustering"`` with ``key_position``.
        clustering_order: ``"asc"``/``"desc"`` for clustering columns.
        static / counter: Cassandra's static and counter columns.
    """

    name: str
    type: TypeInfo
    nullable: bool = False
    default: Any = None
    default_sql: str | None = None
    generated: bool = False
    key: Literal["primary", "partition", "clustering"] | None = None
    key_position: int = 0
    clustering_order: Literal["asc", "desc"] = "asc"
    static: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class ForeignKeyInfo:
    """A foreign key from ``columns`` to ``target_columns`` of ``target_table``."""

    name: str | None
    columns: tuple[str, ...]
    target_table: str
    target_columns: tuple[str, ...]
    on_delete: str | None = None


@dataclass(frozen=True)
class IndexInfo:
    """An index, or a unique constraint (``constraint=True``), over ``columns``.

    Attributes:
        using: The kind of index where the database has several (``"sai"`` on Cassandra).
        metric: For a nearest-neighbour index, the distance it serves (``"cosine"``…).
        options: For a nearest-neighbour index, its build options (``(("m", 16),)``).
    """

    name: str | None
    columns: tuple[str, ...]
    unique: bool = False
    constraint: bool = False
    using: str | None = None
    metric: str | None = None
    options: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class UserTypeInfo:
    """A Cassandra user-defined type: its fields in order."""

    name: str
    fields: tuple[tuple[str, TypeInfo], ...]


@dataclass(frozen=True)
class TableInfo:
    """A table: its columns in the database's order, keys, indexes and options.

    Attributes:
        options: Table options that the model's ``Meta`` can carry (``default_ttl`` and
            the like on Cassandra).
    """

    name: str
    columns: tuple[ColumnInfo, ...]
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    indexes: tuple[IndexInfo, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    comment: str | None = None

    @property
    def primary_key(self) -> tuple[str, ...]:
        """The key columns: partition (or primary) ones first, then clustering, each in order."""
        order = {"partition": 0, "primary": 0, "clustering": 1}
        keyed = sorted((c for c in self.columns if c.key), key=lambda c: (order[c.key or "primary"], c.key_position))
        return tuple(c.name for c in keyed)

    def checksum(self) -> str:
        """A digest of everything the generated model depends on: equal for an unchanged table."""
        return digest(self)


@dataclass(frozen=True)
class DatabaseInfo:
    """The tables (and user types) of one database, schema or keyspace, sorted by name.

    Attributes:
        source: The database's URL without its password, for the generated file's header.
        backend: ``"sqlite"``, ``"postgresql"``, ``"mysql"``, ``"duckdb"`` or ``"cassandra"``.
    """

    source: str
    backend: str
    tables: tuple[TableInfo, ...]
    user_types: tuple[UserTypeInfo, ...] = ()

    def table(self, name: str) -> TableInfo:
        """The table called ``name``."""
        return next(t for t in self.tables if t.name == name)


def canonical(value: Any) -> Any:
    """``value`` as plain JSON-ready data, the same for equal descriptions."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [canonical(v) for v in value]
    if isinstance(value, Kind):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def digest(value: Any) -> str:
    """The first 16 hex digits of the SHA-256 of ``value``'s canonical JSON."""
    text = json.dumps(canonical(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def chosen_tables(source: str, names: Iterable[str], tables: Sequence[str] | None) -> list[str]:
    """The database's table ``names`` (sorted) that ``tables`` asks for; all of them without it.

    Raises:
        ConfigurationError: a table in ``tables`` is not among ``names`` (the message lists them).
    """
    known = sorted(names)
    if tables is None:
        return known
    missing = [t for t in tables if t not in known]
    if missing:
        raise ConfigurationError(f"{source} has no table {', '.join(map(repr, missing))} "
                                 f"(tables: {', '.join(known) or 'none'})")
    return [n for n in known if n in tables]


def rows_by_table(rows: Iterable[Sequence[Any]]) -> dict[str, list[Sequence[Any]]]:
    """Catalog rows grouped by their first value, the table's name."""
    grouped: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row[0]), []).append(row)
    return grouped
