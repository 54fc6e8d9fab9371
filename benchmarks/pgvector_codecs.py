"""pgvector values as text (what ormada sends and reads) against the binary adapters of the
``pgvector`` package (which need numpy), on asyncpg.

    pip install pgvector numpy
    python benchmarks/pgvector_codecs.py    # ORMADA_PGVECTOR_URL, default the test server

Reads 2,000 vectors of 384 dimensions, runs a k=10 search and writes 500 vectors; medians, ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import numpy as np
from pgvector.asyncpg import register_vector

URL = os.environ.get("ORMADA_PGVECTOR_URL", "postgresql://postgres@127.0.0.1:5433/postgres")
N, DIM = 2000, 384
SELECT = "SELECT id, e FROM vb"
KNN = "SELECT id, e, e <=> $1::vector(384) AS d FROM vb ORDER BY d LIMIT 10"
INSERT_TEXT = "INSERT INTO vb VALUES ($1, $2::vector(384))"


async def median_ms(run: Callable[[], Awaitable[Any]], repeat: int = 5) -> float:
    await run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def as_text(values: list[float]) -> str:
    return "[" + ",".join(map(repr, values)) + "]"


def from_text(text: str) -> list[float]:
    return [float(x) for x in text[1:-1].split(",")]


async def main() -> None:
    rng = random.Random(1)
    rows = [[rng.gauss(0, 1) for _ in range(DIM)] for _ in range(N)]
    texts = [as_text(r) for r in rows]
    arrays = [np.array(r, dtype=np.float32) for r in rows]
    plain = await asyncpg.connect(URL)
    await plain.execute("CREATE EXTENSION IF NOT EXISTS vector")
    await plain.execute("DROP TABLE IF EXISTS vb")
    await plain.execute("CREATE TABLE vb (id int, e vector(384))")
    await plain.executemany(INSERT_TEXT, list(enumerate(texts)))
    adapted = await asyncpg.connect(URL)
    await register_vector(adapted)
    query = as_text(rows[0])

    async def read_text() -> None:
        [from_text(r[1]) for r in await plain.fetch(SELECT)]

    async def knn_text() -> None:
        [from_text(r[1]) for r in await plain.fetch(KNN, query)]

    async def write_text() -> None:
        await plain.executemany(INSERT_TEXT, list(enumerate(texts[:500])))

    async def read_binary() -> None:
        [r[1].to_list() for r in await adapted.fetch(SELECT)]

    async def knn_binary() -> None:
        [r[1].to_list() for r in await adapted.fetch(KNN, arrays[0])]

    async def write_binary() -> None:
        await adapted.executemany("INSERT INTO vb VALUES ($1, $2)", list(enumerate(arrays[:500])))

    for name, read, knn, write in (("text", read_text, knn_text, write_text),
                                   ("pgvector binary", read_binary, knn_binary, write_binary)):
        print(f"asyncpg {name}: read {N} {await median_ms(read):.1f} ms, k=10 search "
              f"{await median_ms(knn):.1f} ms, write 500 {await median_ms(write, 3):.1f} ms")
    await plain.execute("DROP TABLE vb")
    await plain.close()
    await adapted.close()


if __name__ == "__main__":
    asyncio.run(main())
