"""k nearest neighbours on SQLite: ormada's exact search next to the alternatives.

    python benchmarks/vector_search.py [--rows 10000] [--dimensions 384] [--k 10] [--repeat 5]

Compares, on one file of ``rows`` random float32 vectors:

- ``ormada``: ``Doc.nearest("embedding", q)[:k].all()``, sync, hydrated instances;
- ``sqlite3 + create_function``: the same SQL on the raw driver, with the distance
  functions ormada registers (:mod:`ormada._vectors`);
- ``sqlite-vec``: ``vec_distance_cosine``/``vec_distance_l2`` of the sqlite-vec extension,
  loaded into ``sqlean.py`` (this Python's sqlite3 cannot load extensions); skipped when
  ``sqlite-vec`` or ``sqlean.py`` is not installed;
- ``python``: reading every vector and ranking them in Python (``heapq.nsmallest``).

Prints the median time of a search, milliseconds, per metric.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import ormada
from ormada import Model, PrimaryKey, Vector
from ormada._vectors import SQLITE_FUNCTIONS, pack_float32, python_distance, unpack_float32
from ormada.backends._sql.vectors import register_sqlite_functions


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    run()  # warm: caches, pages
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--dimensions", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, k = args.dimensions, args.k

    class BenchDoc(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        embedding: Annotated[list[float], Vector(n)]

        class Meta:
            table = "bench_doc"

    rng = random.Random(7)
    path = Path(tempfile.mkdtemp()) / "vectors.db"
    db = ormada.connect(f"sqlite:///{path}")
    db.create_all([BenchDoc])
    BenchDoc.bulk_create([BenchDoc(embedding=[rng.gauss(0, 1) for _ in range(n)]) for _ in range(args.rows)])
    query = [rng.gauss(0, 1) for _ in range(n)]
    blob = pack_float32(query)
    raw = sqlite3.connect(path)
    register_sqlite_functions(raw.create_function)
    vec: Any = None
    try:
        import sqlean  # type: ignore[import-not-found]
        import sqlite_vec  # type: ignore[import-not-found]

        vec = sqlean.connect(str(path))
        vec.enable_load_extension(True)
        sqlite_vec.load(vec)
    except ImportError as exc:
        print(f"sqlite-vec not measured: {exc}")
    sql = f"SELECT id, {{}}(embedding, ?) AS d FROM bench_doc ORDER BY d LIMIT {k}"
    print(f"{args.rows} vectors of {n} dimensions, k={k}, median of {args.repeat} (ms)")
    for metric, vec_function in (("cosine", "vec_distance_cosine"), ("l2", "vec_distance_l2"), ("inner", None)):
        function = SQLITE_FUNCTIONS[metric][0]  # type: ignore[index]
        figures = {
            "ormada": median_ms(lambda m=metric: BenchDoc.nearest("embedding", query, metric=m)[:k].all(),
                                args.repeat),
            "sqlite3+create_function": median_ms(lambda f=function: raw.execute(sql.format(f), (blob,)).fetchall(),
                                                 args.repeat),
        }
        if vec is not None and vec_function is not None:
            figures["sqlite-vec"] = median_ms(lambda f=vec_function: vec.execute(sql.format(f), (blob,)).fetchall(),
                                              args.repeat)

        def in_python(m: str = metric) -> list[Any]:
            rows = raw.execute("SELECT id, embedding FROM bench_doc").fetchall()
            return heapq.nsmallest(k, ((python_distance(m, unpack_float32(e), query), i) for i, e in rows))

        figures["python"] = median_ms(in_python, args.repeat)
        print(metric.ljust(7), "  ".join(f"{name} {ms:.1f}" for name, ms in figures.items()))
    db.close()


if __name__ == "__main__":
    main()
