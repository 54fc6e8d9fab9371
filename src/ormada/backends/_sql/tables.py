"""Translating :class:`TableSchema` into SQLAlchemy Core tables (for compiling and DDL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import UserDefinedType

from ormada.schema import ColumnSchema, Kind, LogicalType, TableSchema

# MySQL and MariaDB: the two names SQLAlchemy's dialect goes by.
MYSQL = ("mysql", "mariadb")
# A key on TEXT needs a prefix length on MySQL, so an unbounded text column that is part
# of a key or index is a VARCHAR there: 255 utf8mb4 characters (1,020 bytes) fit InnoDB's
# 3,072-byte key limit several times over.
MYSQL_KEYED_TEXT = 255

JSON_KINDS = frozenset({Kind.JSON, Kind.LIST, Kind.SET, Kind.MAP, Kind.TUPLE, Kind.USER_TYPE})


class PgVector(UserDefinedType[Any]):
    """pgvector's ``vector(n)``; its values travel as text (``'[1,2,3]'``), cast where bound."""

    cache_ok = True
    render_bind_cast = True  # $1::vector(n): the server never has to guess a parameter's type

    def __init__(self, dimensions: int | None) -> None:
        self.dimensions = dimensions

    def get_col_spec(self, **kw: Any) -> str:
        return "vector" if self.dimensions is None else f"vector({self.dimensions})"


class NamedType(UserDefinedType[Any]):
    """A column type named verbatim by ``DbType("...")``."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **kw: Any) -> str:
        return self.name


def sa_type(ltype: LogicalType, generated: bool = False, keyed: bool = False) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type for a logical type; dialects render it. ``keyed``: the column
    is part of a key or an index."""
    if ltype.db_type is not None:
        return NamedType(ltype.db_type)
    kind = ltype.kind
    if kind is Kind.INT16:
        return sa.SmallInteger().with_variant(sa.Integer(), "sqlite") if generated else sa.SmallInteger()
    if kind is Kind.INT32:
        return sa.Integer()
    if kind in (Kind.INT64, Kind.COUNTER):
        # SQLite only generates keys for a column declared exactly INTEGER.
        return sa.BigInteger().with_variant(sa.Integer(), "sqlite") if generated else sa.BigInteger()
    if kind is Kind.FLOAT64:
        return sa.Double()
    if kind is Kind.DECIMAL:
        numeric = sa.Numeric(ltype.precision, ltype.scale, asdecimal=True)
        # MySQL's bare DECIMAL is DECIMAL(10, 0), which would round every fraction away.
        return numeric if ltype.precision is not None else numeric.with_variant(mysql.DECIMAL(65, 30), *MYSQL)
    if kind is Kind.BOOL:
        return sa.Boolean()
    if kind is Kind.TEXT:
        if ltype.max_length:
            return sa.String(ltype.max_length)
        return sa.Text().with_variant(sa.String(MYSQL_KEYED_TEXT) if keyed else mysql.LONGTEXT(), *MYSQL)
    if kind is Kind.BYTES:
        return sa.LargeBinary().with_variant(mysql.LONGBLOB(), *MYSQL)
    if kind in (Kind.UUID, Kind.TIMEUUID):
        # MySQL has no UUID type (MariaDB's arrived in 10.7): the canonical 36-character text.
        return sa.Uuid(as_uuid=True).with_variant(sa.CHAR(36), *MYSQL)
    if kind is Kind.DATE:
        return sa.Date()
    if kind is Kind.TIME:
        return sa.Time().with_variant(mysql.TIME(fsp=6), *MYSQL)
    if kind is Kind.DATETIME:  # MySQL keeps whole seconds unless asked for microseconds
        return sa.DateTime(timezone=ltype.timezone).with_variant(mysql.DATETIME(fsp=6), *MYSQL)
    if kind is Kind.INET:
        return sa.String(45).with_variant(postgresql.INET(), "postgresql")
    if kind is Kind.DURATION:  # microseconds on SQLite, INTERVAL on PostgreSQL
        return sa.BigInteger().with_variant(postgresql.INTERVAL(), "postgresql")
    if kind is Kind.ENUM:
        assert ltype.enum_type is not None
        values = [member.value for member in ltype.enum_type]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return sa.Integer()
        return sa.String(max(len(str(v)) for v in values))
    if kind is Kind.VECTOR:  # float32 blobs on SQLite; JSON where there is no vector type
        return sa.JSON().with_variant(PgVector(ltype.dimensions), "postgresql").with_variant(sa.LargeBinary(),
                                                                                          "sqlite")
    if kind in JSON_KINDS:
        return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    raise AssertionError(f"no SQL type for {kind}")  # pragma: no cover - every kind is listed


def sa_column(column: ColumnSchema, keyed: bool = False) -> sa.Column[Any]:
    """The SQLAlchemy column for a schema column."""
    args: list[Any] = []
    keyed = keyed or column.key is not None or column.unique or column.indexed or column.foreign_key is not None
    if column.foreign_key is not None:
        table, target, on_delete = column.foreign_key
        # The target is a column name, which may differ from the field (the key) it belongs to.
        args.append(sa.ForeignKey(f"{table}.{target}", ondelete=on_delete, link_to_name=True))
    if column.generated:
        args.append(sa.Identity())
    # Keyed by field name, so every construct addresses ``table.c[field]`` while the SQL
    # names (and the dialect quotes) the column.
    return sa.Column(
        column.column_name,
        sa_type(column.type, column.generated, keyed),
        *args,
        primary_key=column.key is not None,
        nullable=column.nullable and column.key is None,
        autoincrement=column.generated if column.key is not None else "auto",
        # Named constraints and indexes are added to the table by build_table.
        unique=(column.unique and column.unique_name is None) or None,
        index=(column.indexed and not column.unique and column.index_name is None) or None,
        key=column.name,
    )


def build_table(schema: TableSchema, metadata: sa.MetaData) -> sa.Table:
    """Adds the table (with its indexes) to ``metadata`` and returns it."""
    existing = metadata.tables.get(schema.name)
    if existing is not None:
        return existing
    # RETURNING is asked for explicitly, never added behind the caller's back.
    in_indexes = {name for index in schema.indexes for name in index.columns}
    # utf8mb4_bin on MySQL/MariaDB: text compares as on PostgreSQL and SQLite, so ``exact``
    # and unique keys are case-sensitive (the i… lookups fold case themselves).
    table = sa.Table(schema.name, metadata, *(sa_column(c, c.name in in_indexes) for c in schema.columns),
                     implicit_returning=False, mysql_charset="utf8mb4", mysql_collate="utf8mb4_bin")
    for column in schema.columns:
        if column.unique and column.unique_name is not None:
            table.append_constraint(sa.UniqueConstraint(table.c[column.name], name=column.unique_name))
        elif column.indexed and column.index_name is not None:
            sa.Index(column.index_name, table.c[column.name])
    for index in schema.indexes:
        if index.vector:
            assert index.metric is not None
            # Created only where the dialect has vector indexes (see create_statements).
            sa.Index(index.name, table.c[index.columns[0]], info={VECTOR_INDEX: True},
                     postgresql_using=index.using or "hnsw", postgresql_with=dict(index.options),
                     postgresql_ops={index.columns[0]: PG_OPERATOR_CLASSES[index.metric]})
            continue
        sa.Index(index.name, *(table.c[name] for name in index.columns), unique=index.unique)
    return table


# The ``sa.Index.info`` key marking a nearest-neighbour index.
VECTOR_INDEX = "ormada.vector"
PG_OPERATOR_CLASSES = {"cosine": "vector_cosine_ops", "l2": "vector_l2_ops", "inner": "vector_ip_ops"}
