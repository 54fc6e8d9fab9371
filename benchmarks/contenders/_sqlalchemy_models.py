"""SQLAlchemy declarative models built from a `ModelSpec` (shared by the sync and async contenders)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Double,
    Integer,
    Numeric,
    Sequence,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeEngine

from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec


def column_type(kind: Kind) -> TypeEngine[Any]:
    """The SQLAlchemy type for one logical kind."""
    types: dict[Kind, TypeEngine[Any]] = {
        Kind.INT: Integer(),
        Kind.SMALLINT: SmallInteger(),
        Kind.BIGINT: BigInteger(),
        Kind.FLOAT: Double(),
        Kind.VARCHAR: String(255),
        Kind.TEXT: Text(),
        Kind.DECIMAL: Numeric(10, 2),
        Kind.DATETIME: DateTime(timezone=True),
        Kind.JSON: JSON().with_variant(JSONB(), "postgresql"),
    }
    return types[kind]


def build_model(spec: ModelSpec, db: str = "") -> Any:
    """A fresh declarative base and one mapped class for ``spec``.

    On DuckDB the key takes its values from a sequence: DuckDB has no SERIAL or identity columns,
    and duckdb-engine asks for an explicit ``Sequence`` on an autoincrementing key. The sequence is
    also the column's server default, as in the raw baseline's DDL, so that rows inserted in plain
    SQL (the harness fills the stream's table that way) get keys too.
    """

    class Base(DeclarativeBase):
        pass

    if db == "duckdb":
        sequence = Sequence(f"{spec.table}_id_seq")
        key = mapped_column(Integer, sequence, server_default=sequence.next_value(), primary_key=True)
    else:
        key = mapped_column(Integer, primary_key=True)
    namespace: dict[str, Any] = {"__tablename__": spec.table, "id": key}
    for col in spec.columns:
        namespace[col.name] = mapped_column(column_type(col.kind), index=col.indexed, nullable=False)
    return type(spec.class_name, (Base,), namespace)


def url(target: Target, is_async: bool) -> str:
    """The SQLAlchemy URL: pysqlite / aiosqlite, psycopg / asyncpg, PyMySQL / asyncmy, duckdb-engine (sync only)."""
    if target.db == "duckdb":
        if is_async:
            raise ValueError("duckdb-engine has no async dialect")
        return f"duckdb:///{target.sqlite_path}"
    if target.db == "sqlite":
        return f"sqlite+{'aiosqlite' if is_async else 'pysqlite'}:///{target.sqlite_path}"
    if target.db == "mysql":
        return target.url.replace("mysql://", f"mysql+{'asyncmy' if is_async else 'pymysql'}://", 1)
    return target.url.replace("postgresql://", f"postgresql+{'asyncpg' if is_async else 'psycopg'}://", 1)
