"""ormada_lifespan, through a real server and real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI

import ormada
from ormada.contrib.fastapi import ormada_lifespan
from tests.web.models import MODELS, ApiAuthor
from tests.web.server import serve


def test_lifespan_opens_creates_and_closes(url: str) -> None:
    events: list[str] = []
    pools: list[Any] = []

    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        # The databases are open while the application's own lifespan runs.
        database = ormada.get_database()
        pools.append(database.async_pool())
        events.append(f"start {database.name} {database.in_transaction()}")
        yield
        events.append("stop")

    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS, lifespan=own))

    @app.post("/authors")
    async def create(name: str) -> dict[str, Any]:
        author = await ApiAuthor.acreate(name=name)
        pool = ormada.get_database().async_pool()
        # The pool opened at start-up serves the requests: it belongs to the server's loop.
        return {"id": author.id, "same_pool": pool is pools[0] and pool.loop is asyncio.get_running_loop()}

    @app.get("/count")
    def count() -> int:  # a sync endpoint, on the sync pool, in FastAPI's thread pool
        return ApiAuthor.count()

    with serve(app) as client:
        assert events == ["start default False"]
        assert app.state.ormada["default"] is ormada.get_database()
        created = client.post("/authors", params={"name": "Le Guin"})
        assert created.status_code == 200
        assert created.json() == {"id": 1, "same_pool": True}
        assert client.get("/count").json() == 1
        database = ormada.get_database()
    assert events == ["start default False", "stop"]
    # Shutdown closed the pools: the next use opens new ones.
    assert database._async_pool is None and database._sync_pool is None


def test_lifespan_composes_inside_an_application_lifespan(url: str) -> None:
    @asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[None]:
        async with ormada_lifespan(databases={"default": url}, create_all=True, models=MODELS)(app):
            await ApiAuthor.acreate(name="seeded at start-up")
            yield

    app = FastAPI(lifespan=own)

    @app.get("/names")
    async def names() -> list[str]:
        return await ApiAuthor.values_list("name", flat=True).order_by("name")

    with serve(app) as client:
        assert client.get("/names").json() == ["seeded at start-up"]


def test_lifespan_refuses_bad_arguments() -> None:
    with pytest.raises(ormada.ConfigurationError, match="exactly one"):
        ormada_lifespan()
    with pytest.raises(ormada.ConfigurationError, match="exactly one"):
        ormada_lifespan("sqlite://:memory:", databases={"x": "sqlite://:memory:"})


def test_a_failing_start_up_stops_the_server() -> None:
    app = FastAPI(lifespan=ormada_lifespan("postgresql://nobody@127.0.0.1:1/none"))
    with pytest.raises(RuntimeError, match="start-up"), serve(app):
        pass  # pragma: no cover - never reached


