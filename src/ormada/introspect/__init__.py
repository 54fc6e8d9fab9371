"""Database to model code: read an existing database's tables and write typed ormada models.

>>> from ormada import introspect
>>> info = introspect.describe("sqlite:///library.db")      # the tables, keys, indexes
>>> print(introspect.generate(info))                         # a module of models
>>> introspect.write_package(info, Path("app/models"), views=True, managers=True)

SQL databases are read through SQLAlchemy's reflection, DuckDB through its catalog functions,
Cassandra through ``system_schema``.
The ``ormada inspect`` command is the same thing from the command line.
"""

from __future__ import annotations

from ormada.introspect.description import (
    ColumnInfo,
    DatabaseInfo,
    ForeignKeyInfo,
    IndexInfo,
    TableInfo,
    TypeInfo,
    UserTypeInfo,
)
from ormada.introspect.output import Report, generate, write_file, write_package

__all__ = ["ColumnInfo", "DatabaseInfo", "ForeignKeyInfo", "IndexInfo", "Report", "TableInfo", "TypeInfo",
           "UserTypeInfo", "describe", "generate", "write_file", "write_package"]


def describe(url: str, tables: list[str] | None = None) -> DatabaseInfo:
    """The tables of the database at ``url``: SQL through SQLAlchemy's reflection, DuckDB
    through its catalog functions, Cassandra through ``system_schema``.

    Args:
        url: An ormada database URL.
        tables: Only these tables; every table by default.

    Raises:
        ConfigurationError: the URL is malformed, the database cannot be reached, or a
            table named in ``tables`` does not exist.
    """
    from ormada._url import parse_url

    parsed = parse_url(url)
    if parsed.backend == "cassandra":
        from ormada.introspect.cql import describe as describe_keyspace

        return describe_keyspace(parsed, tables)
    if parsed.backend == "duckdb":
        from ormada.introspect.duckdb_catalog import describe as describe_duckdb

        return describe_duckdb(parsed, tables)
    from ormada.introspect.sql import describe as describe_sql

    return describe_sql(parsed, tables)
