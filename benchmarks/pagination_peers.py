"""The pagination workload's other mappers: page 1 and a deep page, by OFFSET and by keyset.

    python -m benchmarks.pagination_peers --peer sqlalchemy --db sqlite --sqlite-path /tmp/x/bench.db \
        --ordering=-year,-id --size 50 --page 1000

``benchmarks/pagination.py`` fills ``bench_post`` (id, year, title; an index on ``(year, id)``)
and runs this once per mapper, each in a fresh process (Django's settings are set once a
process). Each mapper reads the same four pages as objects, the way its documentation shows:

- SQLAlchemy ORM (sync ``Session``, one per read): ``select(Post).order_by(...).limit(n).offset(k)``;
  keyset ``.where(tuple_(Post.year, Post.id) < tuple_(y, i))`` (a row comparison).
- Django ORM: ``Post.objects.order_by(...)[k:k + n]``; keyset ``filter(Q(year__lt=y) | Q(year=y,
  id__lt=i))`` (Django has no public row comparison).
- Tortoise ORM (async, on asyncio's loop): ``Post.all().order_by(...).offset(k).limit(n)``; keyset with
  the same ``Q``.

The keyset page starts after the last row of the page before it, read once by OFFSET, as an
application carries it in its cursor; the keyset page's keys must equal the OFFSET page's, or
the run fails. It prints one JSON line: the best times in ms of ``offset`` and ``keyset``, each
``[page 1, deep page]``, measured in turns by :func:`best_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

PG = {"user": "postgres", "host": "127.0.0.1", "port": 5432, "database": "test"}
REPEAT = 40
#: The mappers this module runs, in the order the report lists them.
PEERS = ("sqlalchemy", "django", "tortoise")

Read = Callable[[int, tuple[Any, ...] | None], list[Any]]


def best_ms(first: Callable[[], Any], deep: Callable[[], Any]) -> tuple[float, float]:
    """The best times of two reads taken in turns (page 1, then the deep page, and again), so that a
    burst of other work on the machine falls on both rather than on one: their ratio is what counts."""
    first(), deep()  # compiled and cached
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEAT):
        for read, out in ((first, times[0]), (deep, times[1])):
            start = time.perf_counter()
            read()
            out.append(time.perf_counter() - start)
    return min(times[0]) * 1000, min(times[1]) * 1000


def measure(offset: Read, keyset: Read, keys: tuple[str, ...], size: int, deep: int) -> dict[str, list[float]]:
    """``offset(k, None)`` reads the page starting at row k; ``keyset(0, boundary)`` the page after
    ``boundary`` (None: the first page). Both return objects with ``id`` and the key attributes."""
    last = offset((deep - 1) * size - 1, None)[0]
    boundary = tuple(getattr(last, k) for k in keys)
    by_offset = [p.id for p in offset((deep - 1) * size, None)]
    by_keyset = [p.id for p in keyset(0, boundary)]
    if by_offset != by_keyset or len(by_keyset) != size:
        raise SystemExit(f"keyset page {deep} ({by_keyset[:3]}...) is not the OFFSET page ({by_offset[:3]}...)")
    return {"offset": list(best_ms(lambda: offset(0, None), lambda: offset((deep - 1) * size, None))),
            "keyset": list(best_ms(lambda: keyset(0, None), lambda: keyset(0, boundary)))}


def sqlalchemy_reads(db: str, path: str, schema: str, ordering: tuple[str, ...], size: int) -> tuple[Read, Read]:
    from sqlalchemy import Integer, String, create_engine, select, tuple_
    from sqlalchemy.orm import DeclarativeBase, Session, mapped_column

    class Base(DeclarativeBase):
        pass

    class Post(Base):
        __tablename__ = "bench_post"
        id = mapped_column(Integer, primary_key=True)
        year = mapped_column(Integer)
        title = mapped_column(String)

    if db == "sqlite":
        engine = create_engine(f"sqlite:///{path}")
    else:
        engine = create_engine(f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{PG['database']}",
                               connect_args={"options": f"-c search_path={schema}"})
    columns = [getattr(Post, o.lstrip("-")) for o in ordering]
    order = [c.desc() if o.startswith("-") else c for c, o in zip(columns, ordering, strict=True)]
    base = select(Post).order_by(*order)
    descending = ordering[0].startswith("-")

    def offset(k: int, _: tuple[Any, ...] | None) -> list[Any]:
        with Session(engine) as session:
            return list(session.scalars(base.limit(size).offset(k)).all())

    def keyset(_: int, boundary: tuple[Any, ...] | None) -> list[Any]:
        query = base
        if boundary is not None:
            row, bound = tuple_(*columns), tuple_(*boundary)
            query = query.where(row < bound if descending else row > bound)
        with Session(engine) as session:
            return list(session.scalars(query.limit(size)).all())

    return offset, keyset


def _after(keys: tuple[str, ...], boundary: tuple[Any, ...], descending: bool) -> Any:
    """``Q(a__gt=x) | Q(a=x, b__gt=y)``: the rows after ``boundary``, in Django's and Tortoise's ``Q``."""
    op = "lt" if descending else "gt"
    if len(keys) == 1:
        return {f"{keys[0]}__{op}": boundary[0]}
    return ({f"{keys[0]}__{op}": boundary[0]}, {keys[0]: boundary[0], f"{keys[1]}__{op}": boundary[1]})


def django_reads(db: str, path: str, schema: str, ordering: tuple[str, ...], size: int) -> tuple[Read, Read]:
    import django
    from django.conf import settings

    if db == "sqlite":
        database: dict[str, Any] = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    else:
        database = {"ENGINE": "django.db.backends.postgresql", "NAME": PG["database"], "USER": PG["user"],
                    "HOST": PG["host"], "PORT": str(PG["port"]), "OPTIONS": {"options": f"-c search_path={schema}"}}
    settings.configure(DATABASES={"default": database}, INSTALLED_APPS=["benchmarks.contenders.django_app"],
                       USE_TZ=True, TIME_ZONE="UTC", DEFAULT_AUTO_FIELD="django.db.models.AutoField")
    django.setup()
    from django.db import models

    meta = type("Meta", (), {"app_label": "django_app", "db_table": "bench_post", "managed": False})
    post: Any = type("PagePost", (models.Model,), {
        "__module__": "benchmarks.contenders.django_app.models", "Meta": meta,
        "year": models.IntegerField(), "title": models.CharField(max_length=255)})
    keys = tuple(o.lstrip("-") for o in ordering)
    base = post.objects.order_by(*ordering)

    def offset(k: int, _: tuple[Any, ...] | None) -> list[Any]:
        return list(base[k:k + size])

    def keyset(_: int, boundary: tuple[Any, ...] | None) -> list[Any]:
        if boundary is None:
            return list(base[:size])
        after = _after(keys, boundary, ordering[0].startswith("-"))
        q = models.Q(**after) if isinstance(after, dict) else models.Q(**after[0]) | models.Q(**after[1])
        return list(base.filter(q)[:size])

    return offset, keyset


async def tortoise_measure(db: str, path: str, schema: str, ordering: tuple[str, ...], size: int,
                           deep: int) -> dict[str, list[float]]:
    """Tortoise's four pages, awaited one after the other on one event loop (``measure``'s protocol)."""
    import types

    from tortoise import Tortoise, fields
    from tortoise.expressions import Q
    from tortoise.models import Model

    name = "benchmarks._pagination_tortoise"
    module = types.ModuleType(name)
    meta = type("Meta", (), {"table": "bench_post"})
    post: Any = type("Post", (Model,), {"__module__": name, "Meta": meta, "id": fields.IntField(primary_key=True),
                                        "year": fields.IntField(), "title": fields.CharField(max_length=255)})
    module.Post = post  # type: ignore[attr-defined]
    sys.modules[name] = module
    url = (f"sqlite://{path}" if db == "sqlite" else
           f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{PG['database']}?schema={schema}")
    await Tortoise.init(db_url=url, modules={"models": [name]})
    keys = tuple(o.lstrip("-") for o in ordering)

    async def offset(k: int) -> list[Any]:
        return list(await post.all().order_by(*ordering).offset(k).limit(size))

    async def keyset(boundary: tuple[Any, ...] | None) -> list[Any]:
        query = post.all()
        if boundary is not None:
            after = _after(keys, boundary, ordering[0].startswith("-"))
            query = query.filter(Q(**after) if isinstance(after, dict) else Q(**after[0]) | Q(**after[1]))
        return list(await query.order_by(*ordering).limit(size))

    async def best(first: Callable[[], Any], deep_read: Callable[[], Any]) -> list[float]:
        await first(), await deep_read()
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(REPEAT):
            for read, out in ((first, times[0]), (deep_read, times[1])):
                start = time.perf_counter()
                await read()
                out.append(time.perf_counter() - start)
        return [min(times[0]) * 1000, min(times[1]) * 1000]

    try:
        last = (await offset((deep - 1) * size - 1))[0]
        boundary = tuple(getattr(last, k) for k in keys)
        by_offset = [p.id for p in await offset((deep - 1) * size)]
        by_keyset = [p.id for p in await keyset(boundary)]
        if by_offset != by_keyset or len(by_keyset) != size:
            raise SystemExit(f"keyset page {deep} is not the OFFSET page")
        return {"offset": await best(lambda: offset(0), lambda: offset((deep - 1) * size)),
                "keyset": await best(lambda: keyset(None), lambda: keyset(boundary))}
    finally:
        await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", required=True, choices=PEERS)
    parser.add_argument("--db", required=True, choices=("sqlite", "postgresql"))
    parser.add_argument("--sqlite-path", default="")
    parser.add_argument("--schema", default="public")
    parser.add_argument("--ordering", required=True, help="comma-separated, e.g. -year,-id")
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args(argv)
    ordering = tuple(args.ordering.split(","))
    keys = tuple(o.lstrip("-") for o in ordering)
    if args.peer == "sqlalchemy":
        result = measure(*sqlalchemy_reads(args.db, args.sqlite_path, args.schema, ordering, args.size), keys,
                         args.size, args.page)
    elif args.peer == "django":
        result = measure(*django_reads(args.db, args.sqlite_path, args.schema, ordering, args.size), keys,
                         args.size, args.page)
    else:
        result = asyncio.run(tortoise_measure(args.db, args.sqlite_path, args.schema, ordering, args.size, args.page))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
