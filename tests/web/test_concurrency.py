"""200 concurrent requests through a real server: every answer right, no connection left out."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from fastapi import FastAPI

import ormada
from ormada.contrib.fastapi import CRUDRouter, install_exception_handlers, ormada_lifespan
from tests.web.models import MODELS, ApiAuthor
from tests.web.server import serve

REQUESTS = 200


def test_concurrent_requests_leave_no_connection_checked_out(url: str) -> None:
    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS))
    install_exception_handlers(app)
    app.include_router(CRUDRouter(ApiAuthor, prefix="/async/authors", filters=["name"]))
    app.include_router(CRUDRouter(ApiAuthor, prefix="/sync/authors", filters=["name"], is_async=False))

    @app.get("/pools")
    async def pools() -> dict[str, Any]:
        db = ormada.get_database()
        return {"async": db.async_pool().checked_out(), "sync": db.sync_pool().checked_out(),
                "in_transaction": db.in_transaction()}

    async def burst(base_url: str) -> list[tuple[str, int]]:
        limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

            async def one(n: int) -> tuple[str, int]:
                mode = "async" if n % 2 else "sync"
                kind = n % 5
                if kind == 0:  # a new author: committed
                    response = await client.post(f"/{mode}/authors", json={"name": f"author {n}"})
                elif kind == 1:  # a duplicate: refused, rolled back
                    response = await client.post(f"/{mode}/authors", json={"name": "taken"})
                elif kind == 2:
                    response = await client.get(f"/{mode}/authors", params={"name__startswith": "author", "size": 5})
                elif kind == 3:  # a missing row
                    response = await client.patch(f"/{mode}/authors/{100000 + n}", json={"born": 1})
                else:
                    response = await client.get(f"/{mode}/authors", params={"nope": "x"})
                return f"{mode} {kind}", response.status_code

            return await asyncio.gather(*(one(n) for n in range(REQUESTS)))

    with serve(app) as client:
        assert client.post("/async/authors", json={"name": "taken"}).status_code == 201
        answers = asyncio.run(burst(str(client.base_url)))
        statuses = Counter(answers)
        assert statuses == Counter({
            **{(f"{mode} 0", 201): 20 for mode in ("async", "sync")},
            **{(f"{mode} 1", 409): 20 for mode in ("async", "sync")},
            **{(f"{mode} 2", 200): 20 for mode in ("async", "sync")},
            **{(f"{mode} 3", 404): 20 for mode in ("async", "sync")},
            **{(f"{mode} 4", 400): 20 for mode in ("async", "sync")},
        }), statuses
        assert client.get("/pools").json() == {"async": 0, "sync": 0, "in_transaction": False}
        # Only the new authors were written: the refused and failed requests left nothing behind.
        listed = client.get("/async/authors", params={"size": 100}).json()["items"]
        assert sorted(a["name"] for a in listed) == sorted(["taken", *(f"author {n}" for n in range(0, REQUESTS, 5))])
