"""The benchmark workload: model shapes, sizes and deterministic data, shared by every contender.

Every contender maps the same `ModelSpec` onto its own field types, so adding a model means
adding a spec here and one mapping per kind in each contender, nothing else.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

Row = dict[str, Any]

#: Every generated ``level`` is >= this, so ``level >= LEVEL_MIN`` selects the whole table.
LEVEL_MIN = 0
LEVEL_MAX = 999
#: Rows in the streaming read (small model only) and its resident-memory ceiling.
STREAM_ROWS = 200_000
STREAM_CHUNK = 2_000
STREAM_CEILING_MIB = 64.0
#: Streaming table fill: this many rows through the contender's bulk API, then doubled in SQL.
STREAM_SEED_ROWS = 3_125


class Kind(StrEnum):
    """Logical column kinds; each contender maps them to its own field types."""

    INT = "int"
    SMALLINT = "smallint"
    BIGINT = "bigint"
    FLOAT = "float"
    VARCHAR = "varchar"  # varchar(255)
    TEXT = "text"
    DECIMAL = "decimal"  # numeric(10, 2)
    DATETIME = "datetime"  # timezone-aware
    JSON = "json"


@dataclass(frozen=True)
class Column:
    """One non-key column of a benchmark model."""

    name: str
    kind: Kind
    indexed: bool = False


@dataclass(frozen=True)
class ModelSpec:
    """A benchmark model: table name, class name and its columns (the ``id`` key is implicit)."""

    key: str
    class_name: str
    table: str
    columns: tuple[Column, ...]
    #: Size multiplier applied to the per-operation counts (wide rows cost more).
    scale: float = 1.0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


SMALL = ModelSpec(
    key="small",
    class_name="BenchSmall",
    table="bench_small",
    columns=(
        Column("level", Kind.INT, indexed=True),
        Column("text", Kind.VARCHAR, indexed=True),
        Column("timestamp", Kind.DATETIME),
    ),
)


def _wide_columns() -> tuple[Column, ...]:
    groups: list[tuple[str, Kind, int]] = [
        ("float", Kind.FLOAT, 4),
        ("small", Kind.SMALLINT, 4),
        ("int", Kind.INT, 4),
        ("big", Kind.BIGINT, 4),
        ("char", Kind.VARCHAR, 5),
        ("text", Kind.TEXT, 4),
        ("dec", Kind.DECIMAL, 4),
    ]
    cols = [Column("level", Kind.INT, indexed=True)]
    for prefix, kind, count in groups:
        cols.extend(Column(f"{prefix}_{i}", kind) for i in range(1, count + 1))
    cols.append(Column("data", Kind.JSON))
    return tuple(cols)


#: 32 columns: id, level, 4 floats, 4 smallints, 4 ints, 4 bigints, 5 varchars, 4 texts, 4 decimals, 1 JSON.
WIDE = ModelSpec(key="wide", class_name="BenchWide", table="bench_wide", columns=_wide_columns(), scale=0.5)

MODELS: dict[str, ModelSpec] = {m.key: m for m in (SMALL, WIDE)}


@dataclass(frozen=True)
class Sizes:
    """Per-repetition operation counts before a model's ``scale`` is applied."""

    repetitions: int
    insert_single: int  # A
    insert_txn: int  # B
    bulk_insert: int  # C
    pages: int  # E
    gets: int  # F
    update_all: int  # I
    update_one: int  # J
    delete: int  # K
    warmup_fraction: float = 0.1
    stream_rows: int = STREAM_ROWS

    def scaled(self, spec: ModelSpec) -> Sizes:
        """Counts for one model, never below 10 per operation."""

        def s(n: int) -> int:
            return max(10, int(n * spec.scale))

        return Sizes(
            repetitions=self.repetitions,
            insert_single=s(self.insert_single),
            insert_txn=s(self.insert_txn),
            bulk_insert=s(self.bulk_insert),
            pages=s(self.pages),
            gets=s(self.gets),
            update_all=s(self.update_all),
            update_one=s(self.update_one),
            delete=s(self.delete),
            warmup_fraction=self.warmup_fraction,
            stream_rows=self.stream_rows,
        )


FULL = Sizes(
    repetitions=5,
    insert_single=500,
    insert_txn=1_000,
    bulk_insert=5_000,
    pages=300,
    gets=1_000,
    update_all=500,
    update_one=500,
    delete=500,
)
QUICK = Sizes(
    repetitions=3,
    insert_single=30,
    insert_txn=100,
    bulk_insert=500,
    pages=20,
    gets=50,
    update_all=30,
    update_one=50,
    delete=30,
    warmup_fraction=0.2,
    stream_rows=STREAM_SEED_ROWS * 2**3,
)
SIZES: dict[str, Sizes] = {"full": FULL, "quick": QUICK}

_BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
_ALPHABET = string.ascii_letters + string.digits + " "


def _text(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choices(_ALPHABET, k=rng.randint(low, high)))


def _value(rng: random.Random, kind: Kind) -> Any:
    if kind is Kind.INT:
        return rng.randint(LEVEL_MIN, LEVEL_MAX)
    if kind is Kind.SMALLINT:
        return rng.randint(0, 32_000)
    if kind is Kind.BIGINT:
        return rng.randint(0, 2**50)
    if kind is Kind.FLOAT:
        return rng.random() * 1_000.0
    if kind is Kind.VARCHAR:
        return _text(rng, 10, 60)
    if kind is Kind.TEXT:
        return _text(rng, 100, 300)
    if kind is Kind.DECIMAL:
        return Decimal(rng.randint(0, 9_999_999)).scaleb(-2)
    if kind is Kind.DATETIME:
        return _BASE_TIME + timedelta(seconds=rng.randint(0, 10**8), microseconds=rng.randint(0, 999_999))
    if kind is Kind.JSON:
        return {"n": rng.randint(0, 1000), "tag": _text(rng, 3, 10), "ok": rng.random() < 0.5}
    raise ValueError(f"unknown column kind {kind!r}")


def make_rows(spec: ModelSpec, count: int, seed: int) -> list[Row]:
    """``count`` rows of ``spec`` (without ``id``), identical for every contender given the same seed."""
    rng = random.Random(seed)
    return [{c.name: _value(rng, c.kind) for c in spec.columns} for _ in range(count)]


def make_levels(count: int, seed: int) -> list[int]:
    """New ``level`` values for the update-one-field operation."""
    rng = random.Random(seed)
    return [rng.randint(LEVEL_MIN, LEVEL_MAX) for _ in range(count)]
