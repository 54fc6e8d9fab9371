"""What the compiler needs to know about one model's table, worked out once per model.

A :class:`CqlTable` holds the qualified name, the key roles, which columns an
index serves (and how), and the value codecs of every column. Polymorphic models
(a base with ``__discriminator__`` and subclasses with ``__discriminator_value__``)
share the base's table, whose columns are the union of every subclass's fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ormada.backends.cassandra import codecs
from ormada.backends.cassandra.codecs import Codec
from ormada.backends.cassandra.types import column_type, quote
from ormada.errors import ConfigurationError, NotSupported
from ormada.schema import ColumnSchema, IndexSchema, Kind, TableSchema

if TYPE_CHECKING:
    from ormada._info import ModelInfo

# Index kinds: "2i" (a regular secondary index), "sai", "sasi", or a 2i on a
# collection's "keys" / "values" / "entries" / "full" value.
SAI_NAMES = frozenset({"sai", "storageattachedindex"})
SASI_NAMES = frozenset({"sasi", "sasiindex"})
TARGETS = frozenset({"keys", "values", "entries", "full"})


def vector_index(model: str, index: IndexSchema) -> IndexSpec:
    """A ``VectorIndex`` as an SAI index whose similarity function is the metric's.

    Raises:
        NotSupported: an IVFFlat index or build options, which SAI does not take.
    """
    if index.using not in (None, "hnsw") or index.options:
        given = ", ".join(f"{k}={v}" for k, v in index.options) or f"method={index.using!r}"
        raise NotSupported(f"{model}.Meta.indexes: {index.name}: Cassandra's vector index is SAI's own graph "
                           f"(no {given}); declare VectorIndex({index.columns[0]!r}, metric={index.metric!r})")
    similarity = {"cosine": "COSINE", "l2": "EUCLIDEAN", "inner": "DOT_PRODUCT"}[index.metric or "cosine"]
    return IndexSpec(index.name, index.columns[0], "sai", {"similarity_function": similarity})


def index_kind(using: str | None) -> str:
    """Normalises ``Indexed(using=…)`` into an index kind.

    Raises:
        ConfigurationError: ``using`` names no index kind CQL knows.
    """
    if using is None:
        return "2i"
    key = using.lower()
    if key in SAI_NAMES:
        return "sai"
    if key in SASI_NAMES:
        return "sasi"
    if key in TARGETS:
        return key
    raise ConfigurationError(
        f"unknown index kind {using!r} for Cassandra: use None (secondary index), 'sai', 'sasi', "
        "or 'keys' / 'values' / 'entries' / 'full' for a collection"
    )


@dataclass(frozen=True)
class IndexSpec:
    """One single-column index: its name, column, kind and ``USING`` options."""

    name: str
    column: str
    kind: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class CqlTable:
    """A model's table as the CQL compiler sees it."""

    model_name: str
    schema: TableSchema
    keyspace: str | None
    columns: tuple[ColumnSchema, ...]
    by_name: dict[str, ColumnSchema]
    partition: tuple[str, ...]
    clustering: tuple[str, ...]
    indexes: tuple[IndexSpec, ...]
    discriminator: tuple[str, Any] | None = None
    view_of: str | None = None
    encoders: dict[str, Codec | None] = field(default_factory=dict)
    # Parts of write statements by shape (WHERE clauses, SET items), which do not
    # depend on the values: see ``where.render_write`` and ``writes._assignment``.
    write_parts: dict[Any, Any] = field(default_factory=dict)

    # Worked out on first use: the compiler asks for these on every statement.
    @cached_property
    def name(self) -> str:
        """The table name, as written in statements (keyspace-qualified when known)."""
        table = quote(self.schema.name)
        return f"{quote(self.keyspace)}.{table}" if self.keyspace else table

    @cached_property
    def primary_key(self) -> tuple[str, ...]:
        """Partition columns then clustering columns."""
        return (*self.partition, *self.clustering)

    @cached_property
    def is_counter_table(self) -> bool:
        """Every non-key column is a counter (CQL allows no mix)."""
        return any(c.type.kind is Kind.COUNTER for c in self.columns)

    @cached_property
    def multicell(self) -> frozenset[str]:
        """The non-frozen collection columns, whose every element is a cell of its own
        (so an empty value written would be a tombstone)."""
        return frozenset(c.name for c in self.columns if c.type.kind in (Kind.LIST, Kind.SET, Kind.MAP)
                         and not c.type.frozen and c.key is None)

    @cached_property
    def idents(self) -> dict[str, str]:
        """Field name → its column as statements write it (``Column("…")``, quoted where needed)."""
        return {c.name: quote(c.column_name) for c in self.columns}

    @cached_property
    def fields_by_column(self) -> dict[str, str]:
        """Column name as the database spells it → field name."""
        return {c.column_name: c.name for c in self.columns}

    def ident(self, field: str) -> str:
        """The column of ``field`` as statements write it."""
        ident = self.idents.get(field)
        return ident if ident is not None else quote(field)

    def index_kinds(self, column: str) -> set[str]:
        """The kinds of index that serve ``column``."""
        return {ix.kind for ix in self.indexes if ix.column == column}

    def encoder(self, column: str) -> Codec | None:
        """The value encoder for a column."""
        if column not in self.encoders:
            self.encoders[column] = codecs.column_encoder(self.model_name, self.by_name[column])
        return self.encoders[column]

    def column_types(self) -> dict[str, str]:
        """Column name (as the database spells it) → CQL type."""
        return {c.column_name: column_type(c) for c in self.columns}


def polymorphic_columns(info: ModelInfo) -> tuple[ColumnSchema, ...]:
    """The base's columns followed by every subclass's extra columns (one shared table)."""
    columns = list(info.table.columns)
    if getattr(info.model, "__discriminator__", None) is None:
        return tuple(columns)
    names = {c.name for c in columns}
    stack = list(info.model.__subclasses__())
    while stack:
        sub = stack.pop(0)
        stack.extend(sub.__subclasses__())
        schema = getattr(sub, "__table_schema__", None)
        for column in getattr(schema, "columns", ()):
            if column.name not in names:
                if column.key is not None:
                    raise ConfigurationError(
                        f"{sub.__name__}.{column.name}: a polymorphic subclass cannot add key columns; "
                        f"declare them on {info.name}"
                    )
                names.add(column.name)
                columns.append(column)
    return tuple(columns)


def polymorphic_root(info: ModelInfo) -> ModelInfo:
    """The model that declares ``__discriminator__`` (its table is shared), or ``info`` itself."""
    for klass in info.model.__mro__:
        if "__discriminator__" in vars(klass):
            root = getattr(klass, "__ormada__", None)
            return root if root is not None else info
    return info


def discriminator_of(info: ModelInfo) -> tuple[str, Any] | None:
    """``(column, value)`` for a polymorphic subclass, else None.

    Raises:
        ConfigurationError: the discriminator names no field.
    """
    column = getattr(info.model, "__discriminator__", None)
    value = getattr(info.model, "__discriminator_value__", None)
    if column is None:
        return None
    if column not in info.table.by_name:
        raise ConfigurationError(f"{info.name}.__discriminator__ names unknown field {column!r}")
    return (column, value) if value is not None else None


def build_table(info: ModelInfo, default_keyspace: str | None) -> CqlTable:
    """Works out a model's :class:`CqlTable` (callers cache it per backend)."""
    root = polymorphic_root(info)
    schema = root.table
    columns = polymorphic_columns(root)
    by_name = {c.name: c for c in columns}
    partition = tuple(c.name for c in schema.partition_key)
    clustering = tuple(c.name for c in schema.clustering_key)
    if not partition:
        raise ConfigurationError(
            f"{info.name} has no key: Cassandra tables need a PrimaryKey() or PartitionKey() field"
        )
    indexes: list[IndexSpec] = []
    for column in columns:
        if column.indexed:
            indexes.append(IndexSpec(column.index_name or _default_index_name(schema.name, column.column_name),
                                     column.name, index_kind(column.index_using)))
    for ix in schema.indexes:
        if len(ix.columns) != 1:
            raise ConfigurationError(
                f"{info.name}.Meta.indexes: {ix.name} spans {len(ix.columns)} columns; CQL indexes cover one "
                "column (query by the partition key, or add one index per column)"
            )
        if ix.unique:
            raise ConfigurationError(f"{info.name}: Cassandra has no unique indexes ({ix.name})")
        if ix.vector:
            indexes.append(vector_index(info.name, ix))
            continue
        indexes.append(IndexSpec(ix.name, ix.columns[0], index_kind(ix.using)))
    view_of = info.options.options.get("view_of")
    return CqlTable(
        model_name=info.name,
        schema=schema,
        keyspace=schema.keyspace or default_keyspace,
        columns=columns,
        by_name=by_name,
        partition=partition,
        clustering=clustering,
        indexes=tuple(indexes),
        discriminator=discriminator_of(info),
        view_of=_view_base(view_of),
    )


def _view_base(view_of: Any) -> str | None:
    if view_of is None:
        return None
    if isinstance(view_of, str):
        return view_of
    schema = getattr(view_of, "__table_schema__", None)
    if schema is None:
        raise ConfigurationError(f"Meta.options['view_of'] must be a model or a table name, not {view_of!r}")
    return str(schema.name)


def _default_index_name(table: str, column: str) -> str:
    """``<table>_<column>_idx`` as CQL stores an unquoted name: lower case, word characters only.

    Made from the column name, so renaming a field that keeps its ``Column()`` keeps the index.
    """
    return re.sub(r"\W", "_", f"{table}_{column}_idx").lower()
