"""Page 1 against page 1,000: numbered pages (OFFSET) and cursor pages (keyset), through ormada,
the raw driver, SQLAlchemy, Django and Tortoise.

    benchmarks/.venv/bin/python benchmarks/pagination.py [--rows 100000] [--size 50] [--page 1000]
        [--db sqlite,postgresql] [--peers sqlalchemy,django,tortoise]

Fills a table of ``--rows`` rows (an index on ``(year, id)``), then times one page read
at page 1 and at page 1,000, for two orderings: the primary key,
and ``-year, -id`` (a non-unique indexed field, ties broken by the key). Cursor pages
reach page 1,000 by walking every page before it once (that walk is reported too). The
paginator's row count is read once beforehand, so a numbered page is one SELECT as a
cursor page is. Times are the best of several runs, page 1 and the deep page taken in turns
(the least disturbed by other work on the machine, and disturbed alike). On PostgreSQL the
buffers each page's statement touches (``EXPLAIN (ANALYZE, BUFFERS)``, shared hits and reads)
are printed too: a count of work that load does not change. The same pages are then read by
hand-written SQL on the driver (keyset by a row comparison, ``(year, id) < (?, ?)``) and by the
other mappers (``benchmarks.pagination_peers``, a process each), every keyset page checked to
hold the OFFSET page's rows. PostgreSQL runs in a schema of its own, dropped at the end. The
last lines (one per database and ordering, starting ``keyset vs offset:``) give page 1,000's
times, keyset's page 1,000 ÷ page 1 against the 2x target, and the others' figures;
``make bench`` runs this script (``--workload pagination``) and reports those lines.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import ormada
from ormada import Index, Model, Paginator, PrimaryKey

try:
    from benchmarks.pagination_peers import PEERS, best_ms
except ModuleNotFoundError:  # run as a script: benchmarks/ is on the path, the repository is not
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.pagination_peers import PEERS, best_ms

PG = "postgresql://postgres@127.0.0.1:5432/test"
#: Starts the one line per database and ordering that ``make bench`` (the harness) reports.
SUMMARY = "keyset vs offset:"
#: The target for a cursor page deep in the table: at most this many times the first page's time.
DEEP_TARGET = 2.0


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


def buffers(db: ormada.Database, read: Callable[[], Any]) -> str:
    """The shared buffers PostgreSQL touches running the statement ``read`` sends (ints only)."""
    if db.backend.name != "postgresql":
        return ""
    # The statement is logged (with its values) for this read only: logging costs time the others must not pay.
    logger = logging.getLogger("ormada")
    logger.setLevel(logging.DEBUG)
    try:
        read()
    finally:
        logger.setLevel(logging.WARNING)
    params = ast.literal_eval(LAST.params.strip())
    text = re.sub(r"\$(\d+)::\w+", lambda m: str(int(params[int(m.group(1)) - 1])), LAST.text)
    (row,) = db.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}")
    plan = (row[0] if isinstance(row[0], list) else json.loads(row[0]))[0]["Plan"]
    return f"{plan['Shared Hit Blocks'] + plan['Shared Read Blocks']:>10}"


Reads = tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any], Callable[[], Any]]


def raw_reads(connection: Any, pg: bool, ordering: tuple[str, ...], size: int, deep: int) -> Reads:
    """The same four page reads (OFFSET page 1 and ``deep``, keyset page 1 and ``deep``) in SQL written
    by hand, on the driver ormada uses (sqlite3, psycopg): keyset pages by a row comparison over the
    ordering (``(year, id) < (?, ?)``), which SQLite and PostgreSQL both read as an index range, from
    the last row of the page before. Each returns the page's rows as tuples."""
    ph = "%s" if pg else "?"
    columns = "id, year, title"
    order = ", ".join(f"{o.lstrip('-')} DESC" if o.startswith("-") else o for o in ordering)
    keys = [o.lstrip("-") for o in ordering]
    op = "<" if ordering[0].startswith("-") else ">"
    where = f"({', '.join(keys)}) {op} ({', '.join([ph] * len(keys))})"
    offset_sql = f"SELECT {columns} FROM bench_post ORDER BY {order} LIMIT {ph} OFFSET {ph}"
    first_sql = f"SELECT {columns} FROM bench_post ORDER BY {order} LIMIT {ph}"
    after_sql = f"SELECT {columns} FROM bench_post WHERE {where} ORDER BY {order} LIMIT {ph}"
    fetch = connection.execute
    last = fetch(offset_sql, (1, (deep - 1) * size - 1)).fetchall()[0]
    boundary = tuple(last[("id", "year", "title").index(k)] for k in keys)
    return (lambda: fetch(offset_sql, (size, 0)).fetchall(),
            lambda: fetch(offset_sql, (size, (deep - 1) * size)).fetchall(),
            lambda: fetch(first_sql, (size,)).fetchall(),
            lambda: fetch(after_sql, (*boundary, size)).fetchall())


def peer_times(peer: str, where: list[str], ordering: tuple[str, ...], size: int, deep: int) -> dict[str, Any]:
    """One other mapper's four page reads (``benchmarks.pagination_peers``, a process of its own):
    ``{"offset": [p.1, deep], "keyset": [p.1, deep]}`` in ms, or ``{"error": ...}``."""
    cmd = [sys.executable, "-m", "benchmarks.pagination_peers", f"--peer={peer}", *where,
           f"--ordering={','.join(ordering)}", f"--size={size}", f"--page={deep}"]
    proc = subprocess.run(cmd, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(url: str, label: str, rows: int, size: int, deep: int, raw_connect: Callable[[], Any],
        where: list[str], peers: list[str]) -> None:
    db = ormada.connect(url, log_params=True)
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
    raw = raw_connect()
    summary: list[str] = []
    print(f"{'ordering':<14}{'kind':<9}{'page 1 (ms)':>13}{f'page {deep:,} (ms)':>17}{'ratio':>8}"
          + (f"{'buffers p.1':>14}{f'p.{deep:,}':>10}" if pg else ""))
    for ordering in (("id",), ("-year", "-id")):
        qs = BenchPost.query().order_by(*ordering)
        paginator = Paginator(qs, size)
        paginator.count()
        offset_first, offset_deep = best_ms(lambda p=paginator: p.page(1), lambda p=paginator: p.page(deep))
        started = time.perf_counter()
        page = qs.paginate(size)
        for _ in range(deep - 2):
            page = qs.paginate(size, after=page.next_cursor)
        walk = time.perf_counter() - started
        cursor = page.next_cursor
        keyset_first, keyset_deep = best_ms(lambda q=qs: q.paginate(size),
                                            lambda q=qs, c=cursor: q.paginate(size, after=c))
        work = [buffers(db, read) for read in (lambda p=paginator: p.page(1), lambda p=paginator: p.page(deep),
                                               lambda q=qs: q.paginate(size),
                                               lambda q=qs, c=cursor: q.paginate(size, after=c))]
        by_hand = raw_reads(raw, pg, ordering, size, deep)
        if [row[0] for row in by_hand[3]()] != page_rows(qs, size, cursor):
            raise SystemExit(f"{label} {ordering}: the hand-written keyset page {deep} is not ormada's")
        raw_times = [*best_ms(*by_hand[:2]), *best_ms(*by_hand[2:])]
        name = ",".join(ordering)
        print(f"{name:<14}{'offset':<9}{offset_first:>13.3f}{offset_deep:>17.3f}{offset_deep / offset_first:>8.1f}"
              f"{work[0]:>14}{work[1]}")
        print(f"{name:<14}{'keyset':<9}{keyset_first:>13.3f}{keyset_deep:>17.3f}{keyset_deep / keyset_first:>8.1f}"
              f"{work[2]:>14}{work[3]}   (walk of pages 1-{deep - 1}: {walk * 1000 / (deep - 1):.3f} ms a page)")
        for kind, first, deep_ms in (("raw off.", *raw_times[:2]), ("raw key.", *raw_times[2:])):
            print(f"{name:<14}{kind:<9}{first:>13.3f}{deep_ms:>17.3f}{deep_ms / first:>8.1f}")
        others = []
        for peer in peers:
            got = peer_times(peer, where, ordering, size, deep)
            if "error" in got:
                print(f"{name:<14}{peer}: {got['error']}")
                others.append(f"{peer} failed")
                continue
            for kind in ("offset", "keyset"):
                first, deep_ms = got[kind]
                print(f"{name:<14}{peer[:4] + ' ' + kind[:3] + '.':<9}{first:>13.3f}{deep_ms:>17.3f}"
                      f"{deep_ms / first:>8.1f}")
            others.append(f"{peer} keyset {got['keyset'][1]:.3f} ms (page {deep:,} / page 1 "
                          f"{got['keyset'][1] / got['keyset'][0]:.2f}), OFFSET {got['offset'][1]:.3f} ms")
        ratio = keyset_deep / keyset_first
        summary.append(f"{SUMMARY} {label}, order_by({', '.join(repr(o) for o in ordering)}), page {deep:,}: "
                       f"offset {offset_deep:.3f} ms, keyset {keyset_deep:.3f} ms, "
                       f"keyset {offset_deep / keyset_deep:.1f}x faster; keyset page {deep:,} / page 1 "
                       f"{ratio:.2f} ({'within' if ratio <= DEEP_TARGET else 'over'} {DEEP_TARGET:g}x); "
                       f"raw SQL keyset page {deep:,} {raw_times[3]:.3f} ms "
                       f"(ormada / raw {keyset_deep / raw_times[3]:.2f}), raw OFFSET {raw_times[1]:.3f} ms"
                       + "".join(f"; {other}" for other in others))
    raw.close()
    db.drop_all([BenchPost])
    db.close()
    print("\n".join(summary))


def page_rows(qs: Any, size: int, cursor: str | None) -> list[Any]:
    """The keys of one cursor page, to check the hand-written SQL reads the same rows."""
    return [post.id for post in qs.paginate(size, after=cursor).items]


def main() -> None:
    logger = logging.getLogger("ormada")
    logger.setLevel(logging.WARNING)
    logger.addHandler(LAST)
    logger.propagate = False
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="other mappers to time the same pages with (comma-separated; empty for none)")
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    for name in args.db.split(","):
        if name == "sqlite":
            import sqlite3

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "bench.db"
                run(f"sqlite:///{path}", "SQLite", args.rows, args.size, args.page,
                    lambda p=path: sqlite3.connect(p, isolation_level=None),
                    ["--db=sqlite", f"--sqlite-path={path}"], peers)
        elif name == "postgresql":
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG, autocommit=True) as admin:
                admin.execute(f'CREATE SCHEMA "{schema}"')
                try:
                    run(f"{PG}?schema={schema}", "PostgreSQL", args.rows, args.size, args.page,
                        lambda s=schema: psycopg.connect(PG, autocommit=True, options=f"-c search_path={s}"),
                        ["--db=postgresql", f"--schema={schema}"], peers)
                finally:
                    admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        else:
            sys.exit(f"unknown --db {name!r}: sqlite or postgresql")


if __name__ == "__main__":
    main()
