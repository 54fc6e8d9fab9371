"""CRUDRouter's list endpoint under load, against a hand-written FastAPI endpoint on asyncpg.

    benchmarks/.venv/bin/python benchmarks/crud_throughput.py [--seconds 20] [--connections 50] [--rounds 2]

Both applications serve ``GET /books?year__gte=1950&size=20``: the first page of the books of
1950 or later by key, 20 a page, with the cursor of the next page. One is ormada's
``CRUDRouter`` (``ormada_lifespan``, the async pool of 10 connections, a signed cursor); the
other is what a FastAPI user writes by hand on asyncpg: a pool of 10 connections, one SELECT of
21 rows, a response model of the same fields and a cursor that is the last key. Each runs
under uvicorn in a process of its own on a free loopback port, and a second process loads it:
``--connections`` httpx clients of one keep-alive connection each, on one event loop, each sending
its next request when its last one is answered, for ``--seconds`` after a one-second warm-up.
Every answer must be a 200 with 20 items. ``--rounds`` rounds run both, raw first in odd rounds
and ormada first in even ones; the report is requests per second of each over all rounds and
the ratio ormada ÷ raw (the target is 0.8 or more). Both read the same table, in a PostgreSQL
schema of its own, dropped at the end. Server, load and database share the machine's CPUs, so
the ratio means more than the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

PG = os.environ.get("BENCH_THROUGHPUT_PG", "postgresql://postgres@127.0.0.1:5432/test")
PATH = "/books?year__gte=1950&size=20"
POOL = 10  # ormada's default async pool size on PostgreSQL
#: Starts the line make bench (the harness's throughput workload) reports.
SUMMARY = "CRUDRouter vs raw asyncpg:"


def ormada_app(url: str) -> Any:
    """CRUDRouter's list endpoint, as the README shows it."""
    from fastapi import FastAPI

    from ormada import Indexed, Model, PrimaryKey
    from ormada.contrib.fastapi import CRUDRouter, install_exception_handlers, ormada_lifespan

    class ThroughputBook(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        title: str
        year: Annotated[int, Indexed()]

        class Meta:
            table = "throughput_book"

    app = FastAPI(lifespan=ormada_lifespan(url))
    install_exception_handlers(app)
    app.include_router(CRUDRouter(ThroughputBook, prefix="/books", filters={"year": ["gte"]}, read_only=True))
    return app


def raw_app(url: str) -> Any:
    """The same page by hand: asyncpg's pool, one SELECT, a response model."""
    import asyncpg
    from fastapi import FastAPI, Query
    from pydantic import BaseModel

    class BookOut(BaseModel):
        id: int
        title: str
        year: int

    class BookPage(BaseModel):
        items: list[BookOut]
        next: str | None
        previous: str | None

    dsn, _, schema = url.partition("?schema=")
    pools: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pools["pg"] = await asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL,
                                                server_settings={"search_path": schema})
        yield
        await pools["pg"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/books", response_model=BookPage)
    async def books(year__gte: int, size: int = Query(20, ge=1, le=100)) -> Any:
        rows = await pools["pg"].fetch(
            "SELECT id, title, year FROM throughput_book WHERE year >= $1 ORDER BY id LIMIT $2", year__gte, size + 1)
        more = len(rows) > size
        return {"items": [dict(row) for row in rows[:size]], "next": str(rows[size - 1]["id"]) if more else None,
                "previous": None}

    return app


def serve(kind: str, url: str, port: int) -> None:
    import uvicorn

    app = ormada_app(url) if kind == "ormada" else raw_app(url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def load(port: int, seconds: float, connections: int) -> dict[str, Any]:
    """``connections`` clients, each sending its next request when the last is answered."""
    import httpx

    url = f"http://127.0.0.1:{port}{PATH}"
    counts = {"ok": 0, "bad": 0}
    # A client (one keep-alive connection) per simulated user: httpx's pool, shared by many
    # concurrent requests, costs more per request as they grow and would cap the load itself.
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=30) for _ in range(connections)]

    async def client_loop(client: httpx.AsyncClient, until: float, count: bool) -> None:
        while time.perf_counter() < until:
            answer = await client.get(url)
            good = answer.status_code == 200 and len(answer.json()["items"]) == 20
            if count:
                counts["ok" if good else "bad"] += 1

    try:
        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(client_loop(client, warm, False) for client in clients))
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client, started + seconds, True) for client in clients))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return {"requests": counts["ok"], "errors": counts["bad"], "seconds": elapsed, "rate": counts["ok"] / elapsed}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{PATH}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer on port {port} within {timeout:.0f} s")


def measure(kind: str, url: str, seconds: float, connections: int) -> dict[str, Any]:
    """One server process of ``kind`` and one load process against it."""
    port = free_port()
    script = os.path.abspath(__file__)
    server = subprocess.Popen([sys.executable, script, "serve", kind, "--url", url, "--port", str(port)])
    try:
        wait_ready(port, server)
        out = subprocess.run([sys.executable, script, "load", "--port", str(port), "--seconds", str(seconds),
                              "--connections", str(connections)], capture_output=True, text=True, check=True,
                             timeout=seconds + 120)
        result: dict[str, Any] = json.loads(out.stdout)
        return result
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def fill(url: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(url.partition("?schema=")[0], autocommit=True) as conn:
        schema = url.partition("?schema=")[2]
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute("CREATE TABLE throughput_book (id SERIAL PRIMARY KEY, title TEXT NOT NULL, year INTEGER NOT NULL)")
        conn.execute("CREATE INDEX ix_throughput_book_year ON throughput_book (year)")
        with conn.cursor().copy("COPY throughput_book (title, year) FROM STDIN") as copy:
            for n in range(rows):
                copy.write_row((f"book {n}", 1900 + n % 120))
        conn.execute("ANALYZE throughput_book")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="(internal) serve one application")
    serve_cmd.add_argument("kind", choices=("ormada", "raw"))
    serve_cmd.add_argument("--url", required=True)
    serve_cmd.add_argument("--port", type=int, required=True)
    load_cmd = sub.add_parser("load", help="(internal) load a server, print the result as JSON")
    load_cmd.add_argument("--port", type=int, required=True)
    load_cmd.add_argument("--seconds", type=float, required=True)
    load_cmd.add_argument("--connections", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=20.0, help="timed load per application (default 20)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the table (default 10,000)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of both applications, in alternating order (default 2)")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.kind, args.url, args.port)
        return 0
    if args.command == "load":
        print(json.dumps(asyncio.run(load(args.port, args.seconds, args.connections))))
        return 0

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG}?schema={schema}"
    try:
        fill(url, args.rows)
        print(f"{args.rows:,} rows; GET {PATH}; {args.connections} connections, {args.rounds} rounds of "
              f"{args.seconds:g} s each")
        results = {kind: {"requests": 0, "errors": 0, "seconds": 0.0} for kind in ("raw", "ormada")}
        for round_ in range(args.rounds):
            # raw, ormada, then ormada, raw: a drift in the machine's load favours neither.
            for kind in ("raw", "ormada") if round_ % 2 == 0 else ("ormada", "raw"):
                r = measure(kind, url, args.seconds, args.connections)
                print(f"round {round_ + 1} {kind:<7}{r['rate']:>10,.0f} requests/s ({r['requests']:,} in "
                      f"{r['seconds']:.1f} s, {r['errors']} errors)", flush=True)
                for key in ("requests", "errors", "seconds"):
                    results[kind][key] += r[key]
        for r in results.values():
            r["rate"] = r["requests"] / r["seconds"]
        ratio = results["ormada"]["rate"] / results["raw"]["rate"]
        print(f"{SUMMARY} {results['ormada']['rate']:,.0f} / {results['raw']['rate']:,.0f} requests/s = "
              f"{ratio:.2f} (target 0.80)")
        return 0 if not any(r["errors"] for r in results.values()) else 1
    finally:
        with psycopg.connect(PG, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    sys.exit(main())
