"""The Cassandra workload: one table, one counter table, sizes, the key plan and deterministic rows.

Every contender maps the same two tables::

    bench_rows (part int, seq int, level int, note text, created timestamp, PRIMARY KEY ((part), seq))
    bench_counters (id int PRIMARY KEY, hits counter)

The reads run on data the harness writes once, untimed, before the first contender: partitions
``0 .. READ_PARTITIONS-1`` of ``ROWS_PER_PARTITION`` rows each (get by primary key, filter one
partition) and partition ``PAGED_PARTITION`` of ``PAGED_ROWS`` rows (the paged read). Each
contender writes into partitions of its own (``write_base``), so the harness can count what each
write operation left behind.
"""

from __future__ import annotations

import os
import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

KEYSPACE = os.environ.get("BENCH_CASSANDRA_KEYSPACE", "ormada_bench")
ROWS_TABLE = "bench_rows"
COUNTERS_TABLE = "bench_counters"
COLUMNS = ("part", "seq", "level", "note", "created")

READ_PARTITIONS = 200
ROWS_PER_PARTITION = 50
PAGED_PARTITION = 999_999
PAGED_ROWS = 10_000
#: Rows per page in the paged read, the same for every contender.
FETCH_SIZE = 1_000
PAGE_LIMIT = 20
BATCH_ROWS = 100
#: Counter increments cycle over this many keys per contender, round and repetition set.
COUNTER_KEYS = 100

Row = dict[str, Any]


@dataclass(frozen=True)
class CqlOperation:
    """One measured operation; times are per ``unit`` (one statement, one batch, one paged read)."""

    key: str
    method: str
    title: str
    unit: str


CQL_OPERATIONS: tuple[CqlOperation, ...] = (
    CqlOperation("insert", "insert_one", "insert one row", "row"),
    CqlOperation("get", "get_by_pk", "get by primary key", "get"),
    CqlOperation("partition", "filter_partition", f"one partition, limit {PAGE_LIMIT}", "query"),
    CqlOperation("batch", "batch_insert", f"batch of {BATCH_ROWS} inserts", "batch"),
    CqlOperation("counter", "increment", "counter increment", "update"),
    CqlOperation("paged", "paged_read", f"paged read of {PAGED_ROWS:,} rows (fetch_size {FETCH_SIZE:,})", "read"),
)


@dataclass(frozen=True)
class CqlSizes:
    """How much each contender process does per operation and repetition.

    ``rounds`` processes run per contender, interleaved with the other contenders (round 1 of
    everyone, then round 2, ...), so that a slow spell of the node or the machine is shared out
    instead of landing on one contender.
    """

    rounds: int
    repetitions: int  # timed repetitions per round, after one warm-up
    inserts: int
    gets: int
    partitions: int
    batches: int
    increments: int
    warmup_fraction: float = 0.2


CQL_SIZES: dict[str, CqlSizes] = {
    "full": CqlSizes(rounds=2, repetitions=2, inserts=500, gets=500, partitions=150, batches=10,
                     increments=500),
    "quick": CqlSizes(rounds=1, repetitions=2, inserts=150, gets=150, partitions=50, batches=4,
                      increments=150, warmup_fraction=0.34),
}

_BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
_ALPHABET = string.ascii_letters + string.digits + " "


def write_base(slot: int, round_index: int) -> int:
    """The first partition key (and counter id) one contender writes in one round."""
    return (slot + 1) * 1_000_000 + round_index * 10_000


def make_row(rng: random.Random, part: int, seq: int) -> Row:
    """One row; ``created`` has millisecond precision, what a CQL timestamp keeps."""
    created = _BASE_TIME + timedelta(seconds=rng.randint(0, 10**8), milliseconds=rng.randint(0, 999))
    note = "".join(rng.choices(_ALPHABET, k=rng.randint(10, 60)))
    return {"part": part, "seq": seq, "level": rng.randint(0, 999), "note": note, "created": created}


def make_rows(part: int, count: int, seed: int, first_seq: int = 0) -> list[Row]:
    """``count`` rows of one partition, identical for every contender given the same seed."""
    rng = random.Random(seed)
    return [make_row(rng, part, first_seq + i) for i in range(count)]


def read_rows() -> list[Row]:
    """The rows the reads run on: the small partitions, then the paged partition."""
    rows: list[Row] = []
    for part in range(READ_PARTITIONS):
        rows += make_rows(part, ROWS_PER_PARTITION, seed=part)
    rows += make_rows(PAGED_PARTITION, PAGED_ROWS, seed=PAGED_PARTITION)
    return rows
