"""Reading an SQL database's tables through SQLAlchemy's reflection into a :class:`DatabaseInfo`.

SQLAlchemy reflects on the sync drivers ormada already depends on (pysqlite, psycopg,
PyMySQL), on connections the database's backend opens (with its password source, TLS and
session settings; see :mod:`ormada.backends._sql.engine`). Each reflected type is mapped to
the logical kind a model would declare, and that kind is checked by compiling the column
ormada would create for it in the same dialect: where the two differ (``REAL``, ``CHAR(3)``,
``TINYINT``), the column keeps the database's own spelling (``DbType``), so the models create
the very same table.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ormada._url import DatabaseURL
from ormada.backends._sql.engine import sqlalchemy_engine
from ormada.backends._sql.tables import PG_OPERATOR_CLASSES, PgVector, sa_type
from ormada.database import Database
from ormada.errors import ConfigurationError, NotSupported
from ormada.introspect._source import opened
from ormada.introspect.description import (
    ColumnInfo,
    DatabaseInfo,
    ForeignKeyInfo,
    IndexInfo,
    TableInfo,
    TypeInfo,
    chosen_tables,
)
from ormada.schema import Kind, LogicalType


def describe(database: str | DatabaseURL | Database, tables: list[str] | None = None) -> DatabaseInfo:
    """The tables of an SQL database (its ``schema=`` on PostgreSQL).

    Args:
        database: A :class:`~ormada.Database` (read on connections with its password source and
            TLS options, and left open), or an ormada URL (``sqlite:///app.db``,
            ``postgresql://…?schema=app&password_file=…``).
        tables: Only these tables (and none of the others); every table by default.

    Raises:
        NotSupported: the database is not one SQLAlchemy can reflect.
        ConnectionFailed: the server cannot be reached or refused the login.
        ConfigurationError: a table named in ``tables`` does not exist, or the database
            cannot be read.
    """
    with opened(database) as db:
        url = db.url
        try:
            engine = sqlalchemy_engine(db.backend)
        except NotSupported:
            raise NotSupported(f"SQLAlchemy cannot reflect a {url.backend} database: ormada.introspect.describe() "
                               "reads it from its own catalog") from None
        schema = url.query.get("schema")
        try:
            inspector = sa.inspect(engine)
            names = chosen_tables(url.render(), inspector.get_table_names(schema=schema), tables)
            reader = _Reader(inspector, engine.dialect, schema)
            described = tuple(reader.table(name) for name in names)
        except sa.exc.OperationalError as exc:
            raise ConfigurationError(f"cannot read the tables of {url.render()}: {exc.orig}") from None
        finally:
            engine.dispose()
        return DatabaseInfo(url.render(), url.backend, described)


class _Reader:
    """Reads one table at a time with the inspector, mapping types for its dialect."""

    def __init__(self, inspector: Any, dialect: sa.Dialect, schema: str | None) -> None:
        self.inspector = inspector
        self.dialect = dialect
        self.schema = schema
        self.mysql = dialect.name in ("mysql", "mariadb")

    def table(self, name: str) -> TableInfo:
        get = self.inspector
        pk = get.get_pk_constraint(name, schema=self.schema)
        key_columns = list(pk.get("constrained_columns") or ())
        foreign_keys = tuple(self._foreign_key(fk) for fk in get.get_foreign_keys(name, schema=self.schema))
        if self.dialect.name == "sqlite":
            foreign_keys = self._sqlite_actions(name, foreign_keys)
        fk_columns = {c for fk in foreign_keys for c in fk.columns}
        indexes = self._indexes(name, foreign_keys, tuple(key_columns))
        keyed = {c for index in indexes for c in index.columns} | fk_columns | set(key_columns)
        json_columns = self._json_columns(name)
        columns = tuple(self._column(raw, key_columns, keyed, json_columns)
                        for raw in get.get_columns(name, schema=self.schema))
        comment = None
        if self.dialect.supports_comments:
            comment = (get.get_table_comment(name, schema=self.schema) or {}).get("text")
        return TableInfo(name, columns, foreign_keys, indexes, comment=comment or None)

    def _json_columns(self, table: str) -> set[str]:
        """MariaDB's JSON columns: LONGTEXT with a ``json_valid()`` check, as it makes them
        (MySQL's JSON is a type of its own, which SQLAlchemy reflects)."""
        if not self.mysql or not getattr(self.dialect, "is_mariadb", False):
            return set()
        query = sa.text("SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                        "WHERE CONSTRAINT_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :table")
        with self.inspector.bind.connect() as connection:
            clauses = connection.execute(query, {"schema": self.schema, "table": table}).scalars().all()
        return {m.group(1) for clause in clauses for m in [re.fullmatch(r"json_valid\(`([^`]+)`\)", clause.strip())]
                if m}

    def _sqlite_actions(self, table: str, foreign_keys: tuple[ForeignKeyInfo, ...]) -> tuple[ForeignKeyInfo, ...]:
        """SQLAlchemy reads ``ON DELETE`` from table-level ``FOREIGN KEY`` clauses only; SQLite's
        own list has the action of a column's ``REFERENCES`` too."""
        quoted = self.dialect.identifier_preparer.quote_identifier(table)
        with self.inspector.bind.connect() as connection:
            rows = connection.exec_driver_sql(f"PRAGMA foreign_key_list({quoted})").fetchall()
        actions = {row[3]: row[6] for row in rows if row[6] and row[6].upper() != "NO ACTION"}
        return tuple(fk if fk.on_delete or len(fk.columns) != 1 or fk.columns[0] not in actions
                     else replace(fk, on_delete=" ".join(actions[fk.columns[0]].upper().split()))
                     for fk in foreign_keys)

    def _foreign_key(self, raw: dict[str, Any]) -> ForeignKeyInfo:
        on_delete = (raw.get("options") or {}).get("ondelete")
        on_delete = " ".join(on_delete.upper().split()) if on_delete else None
        if on_delete in ("NO ACTION", "RESTRICT") and self.mysql:
            on_delete = None  # MySQL names its default (RESTRICT) whether or not it was asked for
        return ForeignKeyInfo(raw.get("name"), tuple(raw["constrained_columns"]), raw["referred_table"],
                              tuple(raw["referred_columns"]), on_delete)

    def _indexes(self, table: str, foreign_keys: tuple[ForeignKeyInfo, ...],
                 primary_key: tuple[str, ...]) -> tuple[IndexInfo, ...]:
        found: list[IndexInfo] = []
        uniques = self.inspector.get_unique_constraints(table, schema=self.schema)
        constraint_names = {u.get("name") for u in uniques}
        for raw in uniques:
            found.append(IndexInfo(raw.get("name"), tuple(raw["column_names"]), unique=True, constraint=True))
        fk_shapes = {(name, fk.columns) for fk in foreign_keys for name in (fk.name, fk.columns[0])}
        # SQLite's own indexes include the one a column's UNIQUE makes, which SQLAlchemy
        # does not list as a unique constraint.
        options = {"include_auto_indexes": True} if self.dialect.name == "sqlite" else {}
        covered = {tuple(u["column_names"]) for u in uniques}
        for raw in self.inspector.get_indexes(table, schema=self.schema, **options):
            columns = tuple(c for c in raw["column_names"] if c is not None)
            if str(raw["name"]).startswith("sqlite_autoindex_"):
                if columns not in covered and columns != primary_key:
                    found.append(IndexInfo(None, columns, unique=True, constraint=True))
                continue
            if len(columns) != len(raw["column_names"]):
                continue  # an index on an expression: no model field says it
            if raw.get("duplicates_constraint") or raw["name"] in constraint_names:
                continue  # the index a unique constraint brings with it
            if self.mysql and (raw["name"], columns) in fk_shapes:
                continue  # the index MySQL adds for a foreign key by itself
            found.append(_vector_index(raw, columns) or IndexInfo(raw["name"], columns, unique=bool(raw.get("unique"))))
        return tuple(sorted(found, key=lambda i: (i.columns, i.name or "")))

    def _column(self, raw: dict[str, Any], key_columns: list[str], keyed: set[str],
                json_columns: set[str]) -> ColumnInfo:
        name = raw["name"]
        in_key = name in key_columns
        generated = self._generated(raw, key_columns)
        if name in json_columns:
            type_info = TypeInfo(Kind.JSON)
        else:
            type_info = self.type_info(raw["type"], generated, name in keyed)
        default, default_sql = literal_default(raw.get("default"), type_info) if not generated else (None, None)
        return ColumnInfo(
            name, type_info, nullable=bool(raw.get("nullable")) and not in_key, default=default,
            default_sql=default_sql, generated=generated, key="primary" if in_key else None,
            key_position=key_columns.index(name) if in_key else 0, comment=raw.get("comment") or None)

    def _generated(self, raw: dict[str, Any], key_columns: list[str]) -> bool:
        if key_columns != [raw["name"]] or not isinstance(raw["type"], sa.Integer):
            return False
        if self.dialect.name == "sqlite":  # INTEGER PRIMARY KEY is the rowid: generated when left out
            return raw["type"].compile(self.dialect) == "INTEGER"
        if raw.get("identity") is not None:
            return True
        default = str(raw.get("default") or "")
        return bool(raw.get("autoincrement") is True or default.startswith("nextval("))

    def type_info(self, reflected: Any, generated: bool = False, keyed: bool = False) -> TypeInfo:
        """The logical type of a reflected column type, with ``db_type`` where ormada's own
        column for that kind would be spelt otherwise."""
        spelt = self._spelling(reflected)
        if isinstance(reflected, sa.JSON):
            # JSON in any spelling (PostgreSQL's json beside jsonb): the values are what
            # matter, and ormada's JSON column reads them all.
            return TypeInfo(Kind.JSON)
        if isinstance(reflected, sa.Enum) and reflected.enums:
            # A database enum type: the model takes the values as a Literal and stores text.
            return TypeInfo(Kind.TEXT, choices=tuple(reflected.enums))
        for candidate in _candidates(reflected, self.dialect.name):
            if _normal(self._spelling(sa_type(_logical(candidate), generated, keyed))) == _normal(spelt):
                return candidate
        if isinstance(reflected, sa.types.NullType):
            # A type SQLAlchemy does not know (an extension's): its values as the driver gives them.
            return TypeInfo(Kind.JSON, db_type=None)
        fallback = _candidates(reflected, self.dialect.name)
        kind = fallback[0].kind if fallback else _python_kind(reflected)
        return TypeInfo(kind, db_type=spelt)

    def _spelling(self, type_: Any) -> str:
        """The type as the dialect writes it in DDL, without character set and collation
        (the table's, which models set themselves)."""
        if hasattr(type_, "collation") and getattr(type_, "collation", None):
            type_ = type_.copy()
            type_.collation = None
        if hasattr(type_, "charset") and getattr(type_, "charset", None):
            type_ = type_.copy()
            type_.charset = None
        try:
            text = str(type_.compile(self.dialect))
        except sa.exc.CompileError:
            text = str(type_)
        text = re.sub(r"\s+(CHARACTER SET|COLLATE)\s+\S+", "", text)
        # MariaDB shows integer display widths (INTEGER(11)), which change nothing.
        return re.sub(r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|INT|BIGINT)\(\d+\)", r"\1", text) \
            if self.mysql and not text.startswith("TINYINT(1)") else text


def _normal(spelling: str) -> str:
    """Spellings of one type made equal: ``NUMERIC`` is ``DECIMAL``, ``INT`` is ``INTEGER``."""
    text = re.sub(r"^NUMERIC\b", "DECIMAL", spelling.upper())
    text = re.sub(r"^(BOOL|TINYINT\(1\))$", "BOOLEAN", text)
    return re.sub(r"^INT\b", "INTEGER", text)


def _vector_index(raw: dict[str, Any], columns: tuple[str, ...]) -> IndexInfo | None:
    """A pgvector index (``USING hnsw``/``ivfflat`` with a vector operator class), or None."""
    options = raw.get("dialect_options") or {}
    operator_class = (options.get("postgresql_ops") or {}).get(columns[0]) if len(columns) == 1 else None
    metric = next((m for m, ops in PG_OPERATOR_CLASSES.items() if ops == operator_class), None)
    if metric is None and operator_class is None and options.get("postgresql_using") in ("hnsw", "ivfflat"):
        metric = "l2"  # vector_l2_ops, the default class, which PostgreSQL does not name
    if metric is None:
        return None
    built = tuple(sorted((str(k), int(v)) for k, v in (options.get("postgresql_with") or {}).items()))
    return IndexInfo(raw["name"], columns, using=options.get("postgresql_using"), metric=metric, options=built)


def _logical(info: TypeInfo) -> LogicalType:
    return LogicalType(info.kind, max_length=info.max_length, precision=info.precision, scale=info.scale,
                       timezone=info.timezone, dimensions=info.dimensions)


def _candidates(reflected: Any, dialect: str) -> list[TypeInfo]:
    """The logical types that may have made a reflected type, most likely first."""
    t = reflected
    if isinstance(t, sa.Boolean) or (dialect in ("mysql", "mariadb") and type(t).__name__ == "TINYINT"
                                     and getattr(t, "display_width", None) == 1):
        return [TypeInfo(Kind.BOOL)]
    if isinstance(t, sa.SmallInteger):
        return [TypeInfo(Kind.INT16)]
    if isinstance(t, sa.BigInteger):
        return [TypeInfo(Kind.INT64)]
    if isinstance(t, sa.Integer):
        return [TypeInfo(Kind.INT32), TypeInfo(Kind.INT64), TypeInfo(Kind.INT16)]
    if isinstance(t, PgVector):
        return [TypeInfo(Kind.VECTOR, dimensions=t.dimensions)]
    if isinstance(t, postgresql.INTERVAL):
        return [TypeInfo(Kind.DURATION)]
    if isinstance(t, postgresql.INET):
        return [TypeInfo(Kind.INET)]
    if isinstance(t, sa.Float):
        return [TypeInfo(Kind.FLOAT64)]
    if isinstance(t, sa.Numeric):
        exact = TypeInfo(Kind.DECIMAL, precision=t.precision, scale=t.scale)
        return [TypeInfo(Kind.DECIMAL), exact] if t.precision is not None else [exact]
    if isinstance(t, sa.Uuid):
        return [TypeInfo(Kind.UUID)]
    if isinstance(t, sa.JSON):
        return [TypeInfo(Kind.JSON)]
    if isinstance(t, sa.LargeBinary) or type(t).__name__.endswith("BLOB"):
        return [TypeInfo(Kind.BYTES)]
    if isinstance(t, sa.DateTime):
        # Aware first: where the database cannot tell (SQLite, MySQL), ormada's default.
        return [TypeInfo(Kind.DATETIME), TypeInfo(Kind.DATETIME, timezone=False)]
    if isinstance(t, sa.Date):
        return [TypeInfo(Kind.DATE)]
    if isinstance(t, sa.Time):
        return [TypeInfo(Kind.TIME)]
    if isinstance(t, sa.String):
        length = getattr(t, "length", None)
        found = []
        if isinstance(t, sa.CHAR) and length in (32, 36):
            found.append(TypeInfo(Kind.UUID))  # how SQLite and MySQL store UUIDs
        if length == 45:
            found.append(TypeInfo(Kind.INET))
        found += [TypeInfo(Kind.TEXT, max_length=length), TypeInfo(Kind.TEXT)] if length else [TypeInfo(Kind.TEXT)]
        return found
    return []


def _python_kind(reflected: Any) -> Kind:
    """The kind whose Python type holds a column of a type ormada has no kind for."""
    try:
        python = reflected.python_type
    except (NotImplementedError, AttributeError):
        return Kind.JSON  # unknown to SQLAlchemy too: the value as the driver gives it (typed Any)
    kinds = {int: Kind.INT64, float: Kind.FLOAT64, str: Kind.TEXT, bytes: Kind.BYTES, bool: Kind.BOOL}
    return kinds.get(python, Kind.JSON)


_NUMBER = re.compile(r"^\(?(-?\d+(\.\d+)?)\)?$")
_TEXT = re.compile(r"^'((?:[^']|'')*)'(::[\w\s.\"]+)?$")


def literal_default(text: str | None, type_info: TypeInfo) -> tuple[Any, str | None]:
    """A server default as a Python literal where it is one (``0``, ``'x'``, ``true``), else
    its SQL text."""
    if text is None:
        return None, None
    raw = text.strip()
    kind = type_info.kind
    if kind is Kind.BOOL and raw.lower() in ("true", "false", "0", "1", "'0'", "'1'"):
        return raw.strip("'").lower() in ("true", "1"), None
    number = _NUMBER.match(raw.strip("'"))
    if number and kind in (Kind.INT16, Kind.INT32, Kind.INT64):
        return int(float(number.group(1))), None
    if number and kind is Kind.FLOAT64:
        return float(number.group(1)), None
    if number and kind is Kind.DECIMAL:
        return Decimal(number.group(1)), None
    text_match = _TEXT.match(raw)
    if text_match and kind is Kind.TEXT:
        return text_match.group(1).replace("''", "'"), None
    if raw.upper() == "NULL":
        return None, None
    return None, raw

