"""install_exception_handlers: ormada's errors as JSON answers, through a real server and real HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

import ormada
from ormada.contrib.fastapi import install_exception_handlers, ormada_lifespan
from tests.web.models import MODELS, ApiAuthor, ApiBook
from tests.web.server import serve


def _error_app(url: str) -> FastAPI:
    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS))
    install_exception_handlers(app)

    @app.get("/authors/{pk}")
    async def get_author(pk: int) -> dict[str, Any]:
        return (await ApiAuthor.aget(id=pk)).model_dump()

    @app.post("/authors")
    def create_author(name: str) -> dict[str, Any]:
        return ApiAuthor.create(name=name).model_dump()

    @app.get("/filter")
    async def bad_filter(field: str) -> int:
        return await ApiBook.filter(**{field: 1}).acount()

    @app.get("/page")
    async def page(cursor: str) -> int:
        return len(await ApiBook.query().order_by("year").apaginate(2, after=cursor))

    @app.get("/numbered")
    def numbered(n: int) -> int:
        return len(ormada.Paginator(ApiBook.query().order_by("year"), 2).page(n))

    @app.get("/not-supported")
    async def not_supported() -> int:
        raise ormada.NotSupported("Cassandra cannot join; denormalise instead")

    @app.get("/other")
    async def other() -> Any:
        return await ormada.get_database().aexecute("SELECT * FROM no_such_table WHERE secret = :s", {"s": 1})

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout", headers={"X-Kind": "teapot"})

    @app.get("/invalid-model")
    def invalid_model() -> Any:
        return ApiAuthor(name=["not", "a", "name"])  # type: ignore[arg-type]

    return app


def test_exception_handlers_map_ormada_errors(url: str) -> None:
    with serve(_error_app(url)) as client:
        missing = client.get("/authors/41")
        assert missing.status_code == 404
        assert missing.json()["error"] == "does-not-exist"
        assert "ApiAuthor" in missing.json()["detail"]

        assert client.post("/authors", params={"name": "Butler"}).status_code == 200
        duplicate = client.post("/authors", params={"name": "Butler"})
        assert duplicate.status_code == 409
        body = duplicate.json()
        assert body["error"] == "integrity"
        assert "INSERT" not in duplicate.text and "api_authors (" not in duplicate.text
        assert "Traceback" not in duplicate.text and 'File "' not in duplicate.text

        unknown = client.get("/filter", params={"field": "yeer__gte"})
        assert unknown.status_code == 400
        assert unknown.json()["error"] == "query"
        assert "year" in unknown.json()["detail"]  # ormada's hint names the closest field

        cursor = client.get("/page", params={"cursor": "forged"})
        assert cursor.status_code == 400 and cursor.json()["error"] == "cursor"

        empty = client.get("/numbered", params={"n": 9})
        assert empty.status_code == 400 and empty.json()["error"] == "empty-page"

        unsupported = client.get("/not-supported")
        assert unsupported.status_code == 501
        assert unsupported.json() == {"error": "not-supported", "detail": "Cassandra cannot join; denormalise instead"}

        other = client.get("/other")
        assert other.status_code == 500
        assert other.json()["error"] == "database"
        assert "SELECT" not in other.text and "secret" not in other.text and "Traceback" not in other.text

        teapot = client.get("/teapot")
        assert teapot.status_code == 418 and teapot.headers["x-kind"] == "teapot"
        assert teapot.json() == {"error": "http", "detail": "short and stout"}
        not_json = client.post("/authors", params={"name": "x"}, content=b"\xff", headers={"content-type": "text/x"})
        assert not_json.status_code in (200, 409)  # a query-parameter endpoint ignores the body

        too_big = client.get("/authors/99999999999")
        assert too_big.status_code == 400 and too_big.json()["error"] == "data"  # beyond the key's column

        invalid = client.get("/invalid-model")
        assert invalid.status_code == 422
        assert invalid.json()["error"] == "validation"
        assert invalid.json()["detail"][0]["loc"] == ["name"]

        request_invalid = client.get("/authors/not-a-number")
        assert request_invalid.status_code == 422
        assert request_invalid.json()["error"] == "validation"
        assert request_invalid.json()["detail"][0]["loc"] == ["path", "pk"]
