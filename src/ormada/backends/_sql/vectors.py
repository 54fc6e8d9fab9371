"""Nearest-neighbour search in SQL: the distance expression each database computes, the
vector indexes it builds, and how distances read back become floats.

- PostgreSQL through pgvector: ``embedding <=> $1::vector(n)`` (cosine distance),
  ``<->`` (Euclidean), ``<#>`` (negative inner product); HNSW and IVFFlat indexes with the
  metric's operator class serve the same ORDER BY.
- SQLite: the exact distance, computed by functions every connection registers
  (:data:`ormada._vectors.SQLITE_FUNCTIONS`) over the stored ``float32`` blobs; there is no
  index, every search scans the rows its filters leave.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from ormada._vectors import SQLITE_FUNCTIONS, Metric
from ormada.backends._sql.tables import PgVector

PG_OPERATORS: dict[str, str] = {"cosine": "<=>", "l2": "<->", "inner": "<#>"}


def pg_distance(column: sa.ColumnElement[Any], metric: str, dimensions: int | None, bind: Any) -> Any:
    """pgvector's distance operator between ``column`` and the bound vector."""
    value = bind(PgVector(dimensions))
    return column.op(PG_OPERATORS[metric], return_type=sa.Double())(value)


def sqlite_distance(column: sa.ColumnElement[Any], metric: Metric, bind: Any) -> Any:
    """The registered exact-distance function of ``metric`` between ``column`` and the bound vector."""
    name = SQLITE_FUNCTIONS[metric][0]
    return getattr(sa.func, name)(column, bind(sa.LargeBinary()), type_=sa.Double())


def decode_distance(value: Any) -> float | None:
    """A distance as read: a float, or None where there is none (a NULL vector, or a zero
    vector's cosine, which pgvector gives as NaN and SQLite as NULL)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def register_sqlite_functions(create_function: Any) -> None:
    """Registers the distance functions on a SQLite connection (``connection.create_function``),
    its own: one connection is used by one thread at a time, so their cache needs no lock."""
    for name, make in SQLITE_FUNCTIONS.values():
        create_function(name, 2, make(), deterministic=True)
