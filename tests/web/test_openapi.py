"""The OpenAPI document a CRUDRouter adds, read from a running server."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ormada.contrib.fastapi import CRUDRouter, ormada_lifespan
from tests.web.models import MODELS, ApiAuthor, ApiBook, ApiBookView
from tests.web.server import serve


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return _resolve(document, node)


def test_openapi_document(url: str) -> None:
    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS))
    app.include_router(CRUDRouter(ApiBook, prefix="/books", view=ApiBookView, filters=["year", "title"],
                                  ordering=["year"], max_page_size=50))
    app.include_router(CRUDRouter(ApiAuthor, prefix="/authors", read_only=True, pagination="offset"))
    with serve(app) as client:
        document = client.get("/openapi.json").json()

    paths = document["paths"]
    assert set(paths) == {"/books", "/books/{id}", "/authors", "/authors/{id}"}
    assert set(paths["/books"]) == {"get", "post"}
    assert set(paths["/books/{id}"]) == {"get", "put", "patch", "delete"}
    assert set(paths["/authors"]) == {"get"} and set(paths["/authors/{id}"]) == {"get"}
    # Every reference points at a component that exists.
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [*([node["$ref"]] if "$ref" in node else []), *(r for v in node.values() for r in refs(v))]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref

    listing = paths["/books"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert {"size", "after", "before", "order", "year", "year__gte", "year__in", "title__icontains"} <= set(parameters)
    assert parameters["size"]["schema"]["maximum"] == 50 and parameters["size"]["schema"]["minimum"] == 1
    assert parameters["year__gte"]["schema"] == {"type": "integer"} and parameters["year__gte"]["in"] == "query"
    assert "tags" not in parameters  # only the allowed filters
    page = _resolve(document, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(page["properties"]) == {"items", "next", "previous"}
    item = _resolve(document, page["properties"]["items"]["items"])
    assert set(item["properties"]) == {"id", "title", "year", "tags", "author", "label"}  # the view's shape
    author = _resolve(document, next(s for s in item["properties"]["author"]["anyOf"] if "$ref" in s))
    assert set(author["properties"]) == {"id", "name", "born"}

    create = _resolve(document, paths["/books"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    assert set(create["properties"]) == {"title", "year", "tags", "author_id"}  # no generated key; relation by key
    assert set(create["required"]) == {"title", "year", "author_id"}
    assert create["additionalProperties"] is False
    assert set(paths["/books"]["post"]["responses"]) >= {"201", "409", "422"}
    patch = _resolve(document, paths["/books/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"])
    assert set(patch["properties"]) == {"title", "year", "tags", "author_id"} and "required" not in patch
    key = next(p for p in paths["/books/{id}"]["get"]["parameters"] if p["in"] == "path")
    assert key["name"] == "id" and key["schema"]["type"] == "integer" and key["required"] is True
    assert "204" in paths["/books/{id}"]["delete"]["responses"]
    numbered = _resolve(document, paths["/authors"]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(numbered["properties"]) == {"items", "page", "pages", "count", "next", "previous"}
