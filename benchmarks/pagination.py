"""Page 1 against page 1,000: numbered pages (OFFSET) and cursor pages (keyset), through ormada.

    .venv/bin/python benchmarks/pagination.py [--rows 100000] [--size 50] [--db sqlite,postgresql]

Fills a table of ``--rows`` rows (an index on ``(year, id)``), then times one page read
at page 1 and at page 1,000, for two orderings: the primary key,
and ``-year, -id`` (a non-unique indexed field, ties broken by the key). Cursor pages
reach page 1,000 by walking every page before it once (that walk is reported too). The
paginator's row count is read once beforehand, so a numbered page is one SELECT as a
cursor page is. Times are the best of several runs (the least disturbed by other work on
the machine). On PostgreSQL the buffers each page's statement touches (``EXPLAIN (ANALYZE,
BUFFERS)``, shared hits and reads) are printed too: a count of work that load does not
change. PostgreSQL runs in a schema of its own, dropped at the end. The last lines (one per
database and ordering, starting ``keyset vs offset:``) give page 1,000's two times and their
ratio; ``make bench`` runs this script (``--workload pagination``) and reports those lines.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import ormada
from ormada import Index, Model, Paginator, PrimaryKey

PG = "postgresql://postgres@127.0.0.1:5432/test"
REPEAT = 25
#: Starts the one line per database and ordering that ``make bench`` (the harness) reports.
SUMMARY = "keyset vs offset:"


class BenchPost(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    year: int
    title: str

    class Meta:
        indexes = [Index("year", "id")]


class LastStatement(logging.Handler):
    """Keeps the text and parameters of the last statement ormada logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.text, self.params = "", ""

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and len(record.args) == 4:
            self.text, self.params = str(record.args[2]), str(record.args[3])


LAST = LastStatement()


def best_ms(read: Callable[[], Any]) -> float:
    read()  # compiled and cached
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        read()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def buffers(db: ormada.Database, read: Callable[[], Any]) -> str:
    """The shared buffers PostgreSQL touches running the statement ``read`` sends (ints only)."""
    if db.backend.name != "postgresql":
        return ""
    read()
    params = ast.literal_eval(LAST.params.strip())
    text = re.sub(r"\$(\d+)::\w+", lambda m: str(int(params[int(m.group(1)) - 1])), LAST.text)
    (row,) = db.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}")
    plan = (row[0] if isinstance(row[0], list) else json.loads(row[0]))[0]["Plan"]
    return f"{plan['Shared Hit Blocks'] + plan['Shared Read Blocks']:>10}"


def run(url: str, label: str, rows: int, size: int, deep: int) -> None:
    db = ormada.connect(url)
    db.drop_all([BenchPost])
    db.create_all([BenchPost])
    batch = 5000
    for start in range(0, rows, batch):
        BenchPost.bulk_create([BenchPost(year=1900 + n % 120, title=f"post {n}")
                               for n in range(start, min(start + batch, rows))])
    if url.startswith("postgresql"):
        db.execute("ANALYZE bench_post")
    print(f"\n{label}: {rows:,} rows, {size} per page (page {deep:,} starts at row {(deep - 1) * size + 1:,})")
    pg = db.backend.name == "postgresql"
    summary: list[str] = []
    print(f"{'ordering':<14}{'kind':<9}{'page 1 (ms)':>13}{f'page {deep:,} (ms)':>17}{'ratio':>8}"
          + (f"{'buffers p.1':>14}{f'p.{deep:,}':>10}" if pg else ""))
    for ordering in (("id",), ("-year", "-id")):
        qs = BenchPost.query().order_by(*ordering)
        paginator = Paginator(qs, size)
        paginator.count()
        offset_first = best_ms(lambda p=paginator: p.page(1))
        offset_deep = best_ms(lambda p=paginator: p.page(deep))
        started = time.perf_counter()
        page = qs.paginate(size)
        for _ in range(deep - 2):
            page = qs.paginate(size, after=page.next_cursor)
        walk = time.perf_counter() - started
        cursor = page.next_cursor
        keyset_first = best_ms(lambda q=qs: q.paginate(size))
        keyset_deep = best_ms(lambda q=qs, c=cursor: q.paginate(size, after=c))
        work = [buffers(db, read) for read in (lambda p=paginator: p.page(1), lambda p=paginator: p.page(deep),
                                               lambda q=qs: q.paginate(size),
                                               lambda q=qs, c=cursor: q.paginate(size, after=c))]
        name = ",".join(ordering)
        print(f"{name:<14}{'offset':<9}{offset_first:>13.3f}{offset_deep:>17.3f}{offset_deep / offset_first:>8.1f}"
              f"{work[0]:>14}{work[1]}")
        print(f"{name:<14}{'keyset':<9}{keyset_first:>13.3f}{keyset_deep:>17.3f}{keyset_deep / keyset_first:>8.1f}"
              f"{work[2]:>14}{work[3]}   (walk of pages 1-{deep - 1}: {walk * 1000 / (deep - 1):.3f} ms a page)")
        summary.append(f"{SUMMARY} {label}, order_by({', '.join(repr(o) for o in ordering)}), page {deep:,}: "
                       f"offset {offset_deep:.3f} ms, keyset {keyset_deep:.3f} ms, "
                       f"keyset {offset_deep / keyset_deep:.1f}x faster")
    db.drop_all([BenchPost])
    db.close()
    print("\n".join(summary))


def main() -> None:
    logger = logging.getLogger("ormada")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(LAST)
    logger.propagate = False
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    for name in args.db.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite", args.rows, args.size, args.page)
        elif name == "postgresql":
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG, autocommit=True) as admin:
                admin.execute(f'CREATE SCHEMA "{schema}"')
                try:
                    run(f"{PG}?schema={schema}", "PostgreSQL", args.rows, args.size, args.page)
                finally:
                    admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        else:
            sys.exit(f"unknown --db {name!r}: sqlite or postgresql")


if __name__ == "__main__":
    main()
