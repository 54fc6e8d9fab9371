"""Reading a DuckDB database's tables from its own catalog (``duckdb_columns()``,
``duckdb_constraints()``, ``duckdb_indexes()``) into a :class:`DatabaseInfo`.

SQLAlchemy has no DuckDB reflection (ormada's DuckDB dialect only compiles), so the
catalog functions are read directly. DuckDB keeps no ``VARCHAR`` length and no
``ON DELETE`` action, so neither comes back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ormada._url import DatabaseURL
from ormada.backends._duckdb_dialect import DEFAULT_DECIMAL
from ormada.errors import ConfigurationError
from ormada.introspect.description import (
    ColumnInfo,
    DatabaseInfo,
    ForeignKeyInfo,
    IndexInfo,
    TableInfo,
    TypeInfo,
    chosen_tables,
    rows_by_table,
)
from ormada.introspect.sql import literal_default
from ormada.schema import Kind

_TYPES = {"INTEGER": Kind.INT32, "BIGINT": Kind.INT64, "SMALLINT": Kind.INT16, "DOUBLE": Kind.FLOAT64,
          "BOOLEAN": Kind.BOOL, "VARCHAR": Kind.TEXT, "BLOB": Kind.BYTES, "UUID": Kind.UUID, "DATE": Kind.DATE,
          "TIME": Kind.TIME, "TIMESTAMP WITH TIME ZONE": Kind.DATETIME, "JSON": Kind.JSON}
# Types no ormada kind creates on DuckDB: the nearest kind, the type kept verbatim (DbType).
_OTHER = {"FLOAT": Kind.FLOAT64, "REAL": Kind.FLOAT64, "TINYINT": Kind.INT16, "HUGEINT": Kind.INT64,
          "INTERVAL": Kind.DURATION, "TIMESTAMP_NS": Kind.DATETIME, "TIMESTAMP_MS": Kind.DATETIME}
_MAIN = "schema_name = 'main' AND database_name = current_database() AND NOT internal"


def describe(url: DatabaseURL, tables: Sequence[str] | None = None) -> DatabaseInfo:
    """The tables of the DuckDB file at ``url``.

    Raises:
        ConfigurationError: the URL names an in-memory database (another connection cannot
            see its tables), or a table named in ``tables`` does not exist.
    """
    import duckdb

    if url.is_memory:
        raise ConfigurationError("an in-memory DuckDB database cannot be inspected from another connection: "
                                 "give the path of a database file")
    try:
        connection = duckdb.connect(url.database or "")
    except duckdb.Error as exc:
        raise ConfigurationError(f"cannot read the tables of {url.render()}: {exc}") from None
    try:
        columns = connection.execute(
            f"SELECT table_name, column_name, data_type, is_nullable, column_default FROM duckdb_columns() "
            f"WHERE {_MAIN} ORDER BY table_name, column_index").fetchall()
        constraints = connection.execute(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            "referenced_column_names, constraint_name FROM duckdb_constraints() "
            "WHERE schema_name = 'main' AND database_name = current_database() "
            "ORDER BY table_name, constraint_index").fetchall()
        indexes = connection.execute(
            "SELECT table_name, index_name, is_unique, expressions FROM duckdb_indexes() "
            "WHERE schema_name = 'main' AND database_name = current_database() ORDER BY index_name").fetchall()
    finally:
        connection.close()
    return from_rows(url.render(), columns, constraints, indexes, tables)


def from_rows(source: str, columns: Sequence[Sequence[Any]], constraints: Sequence[Sequence[Any]],
              indexes: Sequence[Sequence[Any]], tables: Sequence[str] | None = None) -> DatabaseInfo:
    """The description of a DuckDB database from its catalog rows (no I/O)."""
    by_table = rows_by_table(columns)
    names = chosen_tables(source, by_table, tables)
    return DatabaseInfo(source, "duckdb", tuple(_table(name, by_table[name], [c for c in constraints if c[0] == name],
                                                       [i for i in indexes if i[0] == name]) for name in names))


def _table(name: str, rows: list[Sequence[Any]], constraints: list[Sequence[Any]],
           index_rows: list[Sequence[Any]]) -> TableInfo:
    key = next((list(c[2]) for c in constraints if c[1] == "PRIMARY KEY"), [])
    foreign_keys = tuple(ForeignKeyInfo(c[5], tuple(c[2]), str(c[3]), tuple(c[4]))
                         for c in constraints if c[1] == "FOREIGN KEY")
    found = [IndexInfo(c[5], tuple(c[2]), unique=True, constraint=True) for c in constraints if c[1] == "UNIQUE"]
    for _, index_name, unique, expressions in index_rows:
        found.append(IndexInfo(str(index_name), _index_columns(str(expressions)), unique=bool(unique)))
    described = []
    for _, column, data_type, nullable, default in rows:
        type_info = type_info_of(str(data_type))
        generated = key == [column] and type_info.kind in (Kind.INT16, Kind.INT32, Kind.INT64) \
            and str(default or "").startswith("nextval(")
        value, sql = (None, None) if generated else literal_default(default, type_info)
        described.append(ColumnInfo(
            str(column), type_info, nullable=bool(nullable) and column not in key, default=value, default_sql=sql,
            generated=generated, key="primary" if column in key else None,
            key_position=key.index(column) if column in key else 0))
    ordered = tuple(sorted(found, key=lambda i: (i.columns, i.name or "")))
    return TableInfo(name, tuple(described), foreign_keys, ordered)


def _index_columns(expressions: str) -> tuple[str, ...]:
    """``[isbn, '"year"']`` (how DuckDB lists an index's columns) → ``("isbn", "year")``."""
    inner = expressions.strip().removeprefix("[").removesuffix("]")
    names = []
    for item in re.findall(r"'(?:[^']|'')*'|[^,]+", inner):
        name = item.strip()
        if name.startswith("'"):
            name = name[1:-1].replace("''", "'")
        if name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        names.append(name)
    return tuple(names)


def type_info_of(data_type: str) -> TypeInfo:
    """A DuckDB column type as a :class:`TypeInfo`."""
    text = data_type.upper().strip()
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", text)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        if (precision, scale) == DEFAULT_DECIMAL:  # what ormada gives an unbounded Decimal
            return TypeInfo(Kind.DECIMAL)
        return TypeInfo(Kind.DECIMAL, precision=precision, scale=scale)
    if text == "TIMESTAMP":
        return TypeInfo(Kind.DATETIME, timezone=False)
    if text in _TYPES:
        return TypeInfo(_TYPES[text])
    if text in _OTHER:
        return TypeInfo(_OTHER[text], db_type=data_type)
    return TypeInfo(Kind.JSON, db_type=data_type)
