"""CRUDRouter through a real server and real HTTP: SQLite and PostgreSQL, async and sync endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ormada.contrib.fastapi import CRUDRouter, install_exception_handlers, ormada_lifespan
from tests.web.models import MODELS, ApiAuthor, ApiBook, ApiBookView
from tests.web.server import serve

BOOKS = [("A Wizard of Earthsea", 1968), ("The Left Hand of Darkness", 1969), ("The Lathe of Heaven", 1971),
         ("The Dispossessed", 1974), ("Always Coming Home", 1985), ("Tehanu", 1990)]


@pytest.fixture(params=["async", "sync"])
def is_async(request: pytest.FixtureRequest) -> bool:
    return request.param == "async"


def _app(url: str, is_async: bool, **options: Any) -> FastAPI:
    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS))
    install_exception_handlers(app)
    app.include_router(CRUDRouter(ApiAuthor, prefix="/authors", filters=["name", "born"], is_async=is_async))
    app.include_router(CRUDRouter(ApiBook, prefix="/books", view=ApiBookView, filters=["year", "title", "author_id"],
                                  ordering=["year", "title"], page_size=2, max_page_size=5, is_async=is_async,
                                  **options))
    return app


def _seed(client: httpx.Client) -> int:
    author = client.post("/authors", json={"name": "Ursula K. Le Guin", "born": 1929})
    assert author.status_code == 201, author.text
    author_id: int = author.json()["id"]
    assert author.headers["location"].endswith(f"/authors/{author_id}")
    for title, year in BOOKS:
        created = client.post("/books", json={"title": title, "year": year, "author_id": author_id})
        assert created.status_code == 201, created.text
    return author_id


def test_crud_endpoints(url: str, is_async: bool) -> None:
    with serve(_app(url, is_async)) as client:
        author_id = _seed(client)

        book = client.get("/books/2").json()
        assert book == {"id": 2, "title": "The Left Hand of Darkness", "year": 1969,
                        "tags": [], "author": {"id": author_id, "name": "Ursula K. Le Guin", "born": 1929},
                        "label": "The Left Hand of Darkness (1969)"}
        assert client.get("/books/99").status_code == 404
        assert client.get("/books/99").json()["error"] == "does-not-exist"

        # PATCH changes only the fields sent.
        patched = client.patch("/books/2", json={"tags": ["classic"]})
        assert patched.status_code == 200, patched.text
        assert patched.json()["tags"] == ["classic"] and patched.json()["year"] == 1969
        assert client.patch("/books/2", json={"year": "not a year"}).status_code == 422
        assert client.patch("/books/2", json={"id": 7}).status_code == 422  # a generated key is read-only
        assert client.patch("/books/99", json={"year": 1}).status_code == 404

        # PUT replaces the row: fields not sent take their defaults.
        replaced = client.put("/books/2", json={"title": "The Left Hand of Darkness", "year": 1970,
                                                "author_id": author_id})
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["tags"] == [] and replaced.json()["year"] == 1970
        assert client.put("/books/2", json={"title": "no year"}).status_code == 422

        duplicate = client.post("/authors", json={"name": "Ursula K. Le Guin"})
        assert duplicate.status_code == 409 and "INSERT" not in duplicate.text
        missing_author = client.post("/books", json={"title": "x", "year": 1, "author_id": 999})
        assert missing_author.status_code == 409

        assert client.delete("/books/6").status_code == 204
        assert client.delete("/books/6").status_code == 404
        assert client.get("/books/6").status_code == 404


def test_list_filters_orders_and_pages(url: str, is_async: bool) -> None:
    with serve(_app(url, is_async)) as client:
        _seed(client)

        first = client.get("/books", params={"year__gte": 1969, "order": "-year"})
        assert first.status_code == 200, first.text
        body = first.json()
        assert [b["year"] for b in body["items"]] == [1990, 1985]
        assert body["previous"] is None and body["next"]
        assert body["items"][0]["author"]["name"] == "Ursula K. Le Guin"
        link = first.headers["link"]
        assert 'rel="next"' in link and "year__gte=1969" in link and "order=-year" in link

        # Following the Link header walks the pages.
        years = [b["year"] for b in body["items"]]
        next_url = link.split(">")[0].lstrip("<")
        while next_url:
            page = client.get(next_url)
            assert page.status_code == 200, page.text
            years += [b["year"] for b in page.json()["items"]]
            links = page.headers.get("link", "")
            next_url = next((part.split(">")[0].strip(" <") for part in links.split(",") if 'rel="next"' in part), "")
        assert years == [1990, 1985, 1974, 1971, 1969]

        back = client.get("/books", params={"year__gte": 1969, "order": "-year", "before": page.json()["previous"]})
        assert [b["year"] for b in back.json()["items"]] == [1974, 1971]

        assert [b["title"] for b in client.get("/books", params={"title__icontains": "the", "size": 5,
                                                                  "order": "title"}).json()["items"]] == \
            ["The Dispossessed", "The Lathe of Heaven", "The Left Hand of Darkness"]
        assert len(client.get("/books", params={"year__in": "1968,1990"}).json()["items"]) == 2
        assert client.get("/books", params={"year": 1974}).json()["items"][0]["title"] == "The Dispossessed"
        assert client.get("/authors", params={"born__isnull": "false"}).json()["items"][0]["born"] == 1929
        assert client.get("/authors", params={"born__isnull": "true"}).json()["items"] == []

        for params, error in [({"tags": "x"}, "cannot be filtered by 'tags'"),
                              ({"year__regex": "1"}, "cannot be filtered with 'regex'"),
                              ({"order": "-tags"}, "cannot be ordered by 'tags'"),
                              ({"year__gte": "soon"}, "invalid value 'soon'"),
                              ({"after": "forged"}, "")]:
            refused = client.get("/books", params=params)
            assert refused.status_code == 400, (params, refused.text)
            assert error in refused.json()["detail"]
        assert client.get("/books", params={"size": 6}).status_code == 422  # above max_page_size
        assert client.get("/books", params={"size": 0}).status_code == 422


def test_offset_pages_and_read_only(url: str, is_async: bool) -> None:
    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS))
    app.include_router(CRUDRouter(ApiAuthor, prefix="/authors", pagination="offset", page_size=2,
                                  ordering=["name"], is_async=is_async))
    app.include_router(CRUDRouter(ApiAuthor, prefix="/public/authors", read_only=True, is_async=is_async))
    with serve(app) as client:
        for name in ["Banks", "Butler", "Delany", "Jemisin", "Le Guin"]:
            assert client.post("/authors", json={"name": name}).status_code == 201
        page = client.get("/authors", params={"page": 2, "order": "-name"})
        assert page.status_code == 200, page.text
        body = page.json()
        assert [a["name"] for a in body["items"]] == ["Delany", "Butler"]
        assert (body["page"], body["pages"], body["count"], body["next"], body["previous"]) == (2, 3, 5, 3, 1)
        assert 'page=3>; rel="next"' in page.headers["link"] and 'page=1>; rel="prev"' in page.headers["link"]
        # Without install_exception_handlers, the router answers ormada's errors itself.
        empty = client.get("/authors", params={"page": 9})
        assert empty.status_code == 400 and empty.json()["error"] == "empty-page"

        assert client.get("/public/authors/1").json()["name"] == "Banks"
        assert client.post("/public/authors", json={"name": "x"}).status_code == 405
        assert client.delete("/public/authors/1").status_code == 405
