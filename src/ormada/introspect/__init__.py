"""Database to model code: read an existing database's tables and write typed ormada models.

>>> from ormada import introspect
>>> info = introspect.describe("sqlite:///library.db")      # the tables, keys, indexes
>>> print(introspect.generate(info))                         # a module of models
>>> introspect.write_package(info, Path("app/models"), views=True, managers=True)
>>> db = ormada.Database("postgresql://app@db/shop?sslmode=verify-full", password_file="/run/secrets/db")
>>> info = introspect.describe(db)                            # with the database's credentials and TLS

SQL databases are read through SQLAlchemy's reflection, DuckDB through its catalog functions,
Cassandra through ``system_schema``.
The ``ormada inspect`` command is the same thing from the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ormada.database import Database

__all__ = ["ColumnInfo", "DatabaseInfo", "ForeignKeyInfo", "IndexInfo", "Report", "TableInfo", "TypeInfo",
           "UserTypeInfo", "describe", "generate", "write_file", "write_package"]


def describe(database: str | Database, tables: list[str] | None = None) -> DatabaseInfo:
    """The tables of a database: SQL through SQLAlchemy's reflection, DuckDB through its
    catalog functions, Cassandra through ``system_schema``.

    Args:
        database: A :class:`~ormada.Database`, read with its ``password=`` / ``password_file=``
            and TLS options (and left open), or an ormada database URL (which may carry
            ``?password_file=`` and the TLS options).
        tables: Only these tables; every table by default.

    Raises:
        ConfigurationError: the URL is malformed, the database cannot be read, or a table
            named in ``tables`` does not exist.
        ConnectionFailed: the server cannot be reached or refused the login (naming the user
            and host, never the password).
    """
    from ormada.introspect._source import opened

    with opened(database) as db:
        if db.url.backend == "cassandra":
            from ormada.introspect.cql import describe as describe_keyspace

            return describe_keyspace(db, tables)
        if db.url.backend == "duckdb":
            from ormada.introspect.duckdb_catalog import describe as describe_duckdb

            return describe_duckdb(db.url, tables)
        from ormada.introspect.sql import describe as describe_sql

        return describe_sql(db, tables)
