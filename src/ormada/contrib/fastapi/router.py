"""``CRUDRouter``: the list, retrieve, create, replace, patch and delete endpoints of a model.

>>> app.include_router(CRUDRouter(Book, prefix="/books", filters=["year", "title"],
...                               ordering=["year", "title"], view=BookView))

``GET /books?year__gte=1970&title__icontains=dark&order=-year&size=20`` answers
``{"items": [...], "next": <cursor>, "previous": <cursor>}`` with a ``Link`` header
naming the next and previous pages; ``GET /books?after=<cursor>`` reads the next page.
"""

# No ``from __future__ import annotations`` here: the endpoints' annotations name types made
# per router (the create schema, the key's type), which FastAPI must see as objects.
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from ormada import Model, ModelView, Paginator, QuerySet
from ormada.contrib.fastapi._schemas import (
    allowed_filters,
    base_type,
    generated_keys,
    key_fields,
    page_schemas,
    read_schema,
    write_schemas,
)
from ormada.contrib.fastapi.errors import ErrorBody, error_response
from ormada.contrib.fastapi.transactions import atransaction, transaction
from ormada.errors import ConfigurationError, OrmadaError, QueryError

#: Query parameters of the list endpoint that are not filters.
RESERVED = frozenset({"order", "size", "after", "before", "page"})
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


class _OrmadaRoute(APIRoute):
    """A route that answers ormada's errors and validation errors as
    ``install_exception_handlers`` would, so a router works without them."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except (OrmadaError, ValidationError) as exc:  # the transaction was rolled back on the way
                return error_response(request, exc)
            except HTTPException as exc:  # FastAPI's own (a body that is not JSON), in the same shape
                if exc.status_code < 400:
                    raise
                return error_response(request, exc)

        return answer


class CRUDRouter(APIRouter):
    """An ``APIRouter`` with the CRUD endpoints of ``model``.

    Args:
        model: The model served (one primary key field).
        prefix: The path of the collection (default: ``/<table>``).
        view: A ``ModelView`` of the model that shapes every answer; without one the
            answer holds the model's fields.
        filters: The fields the list may be filtered by, each with the lookups of its type
            (``["year"]``: ``?year=``, ``?year__gte=``, ``?year__in=1969,1974``…), or a
            mapping of field to the lookups allowed. Another field or lookup is a 400.
        ordering: The fields ``?order=-year,title`` may sort by; another is a 400.
        default_order: The list's order when none is asked (default: the primary key).
        page_size: Rows of a page when ``?size=`` is not given.
        max_page_size: The largest ``?size=`` accepted.
        pagination: ``"cursor"`` (keyset: ``?after=`` / ``?before=``, the same cost at any
            depth) or ``"offset"`` (numbered: ``?page=``).
        read_only: Only the list and retrieve endpoints.
        dependencies: Dependencies of every endpoint (authentication, say).
        is_async: Async endpoints on the async drivers (default), or sync ones that FastAPI
            runs in its thread pool, on the sync drivers.
        tags: OpenAPI tags (default: the model's name).

    Writes run in a request transaction (see :mod:`ormada.contrib.fastapi.transactions`):
    a PATCH or PUT reads and writes the row in one transaction.

    Raises:
        ConfigurationError: a filter or ordering field is not a field of the model, the
            model has a composite primary key, or a page size is out of range.
    """

    def __init__(self, model: type[Model], *, prefix: str | None = None, view: type[ModelView] | None = None,
                 filters: Sequence[str] | Mapping[str, Sequence[str]] = (), ordering: Sequence[str] = (),
                 default_order: Sequence[str] = (), page_size: int = 20, max_page_size: int = 100,
                 pagination: Literal["cursor", "offset"] = "cursor", read_only: bool = False,
                 dependencies: Sequence[DependsParam] | None = None, is_async: bool = True,
                 tags: list[str] | None = None) -> None:
        name = model.__name__
        keys = key_fields(model)
        if len(keys) != 1:
            raise ConfigurationError(f"CRUDRouter({name}): a model with one primary key field, not {keys}")
        if not 1 <= page_size <= max_page_size:
            raise ConfigurationError(f"CRUDRouter({name}): page_size must be from 1 to max_page_size "
                                     f"({max_page_size}), not {page_size}")
        if pagination not in ("cursor", "offset"):
            raise ConfigurationError(f"CRUDRouter({name}): pagination is 'cursor' or 'offset', not {pagination!r}")
        if view is not None and view.model is not model:
            raise ConfigurationError(f"CRUDRouter({name}): {view.__name__} is a view of {view.model.__name__}")
        for field in [*ordering, *(f.lstrip("-") for f in default_order)]:
            if field not in model.model_fields:
                raise ConfigurationError(f"CRUDRouter({name}): ordering names {field!r}, which is not a field")
        super().__init__(prefix=prefix if prefix is not None else f"/{model.__table_schema__.name}",
                         tags=list(tags) if tags is not None else [name], dependencies=list(dependencies or ()),
                         route_class=_OrmadaRoute)
        self.model, self.view, self.is_async = model, view, is_async
        self.key = keys[0]
        self.filters = allowed_filters(model, filters)
        self.ordering = tuple(ordering)
        self.default_order = tuple(default_order) or (self.key,)
        self.page_size, self.max_page_size, self.pagination = page_size, max_page_size, pagination
        self.read_only = read_only
        self.output: type[BaseModel] = view.output if view is not None else read_schema(model)
        self.create_schema, self.patch_schema = write_schemas(model)
        self.cursor_page, self.numbered_page = page_schemas(self.output, name)
        self._generated = generated_keys(model)
        self._add_routes()

    # -- reading ---------------------------------------------------------------------
    def queryset(self, request: Request) -> QuerySet[Any]:
        """The rows the list answers with: filtered and ordered by the query parameters.

        Raises:
            QueryError: a parameter names a field or lookup that is not allowed, or an
                ordering that is not.
        """
        name = self.model.__name__
        lookups: dict[str, Any] = {}
        for key, value in request.query_params.multi_items():
            if key in RESERVED:
                continue
            field, _, lookup = key.partition("__")
            allowed = self.filters.get(field)
            if allowed is None:
                offered = ", ".join(self.filters) or "none"
                raise QueryError(f"{name} cannot be filtered by {field!r} (filters: {offered})")
            lookup = lookup or "exact"
            if lookup not in allowed:
                raise QueryError(f"{name}.{field} cannot be filtered with {lookup!r} (lookups: {', '.join(allowed)})")
            lookups[f"{field}__{lookup}"] = _lookup_value(name, field, lookup, value)
        qs = self.model.filter(**lookups) if lookups else self.model.query()
        return qs.order_by(*self._order(request.query_params.get("order")))

    def _order(self, asked: str | None) -> tuple[str, ...]:
        if not asked:
            return self.default_order
        fields = tuple(part.strip() for part in asked.split(",") if part.strip())
        for field in fields:
            if field.lstrip("-") not in self.ordering:
                offered = ", ".join(self.ordering) or "none"
                raise QueryError(f"{self.model.__name__} cannot be ordered by {field.lstrip('-')!r} "
                                 f"(ordering: {offered})")
        return fields

    def _read(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.prefetch_related(*self.view.prefetch) if self.view is not None and self.view.prefetch else qs

    def _shape(self, rows: Sequence[Model]) -> list[Any]:
        if self.view is not None:
            return self.view.apply_all(rows)
        return [self.output.model_validate(_values(row, self.output)) for row in rows]

    async def _ashape(self, rows: Sequence[Model]) -> list[Any]:
        if self.view is not None:
            return await self.view.aapply_all(rows)
        return self._shape(rows)

    # -- the routes ---------------------------------------------------------------------
    def _add_routes(self) -> None:
        model, key_type = self.model, base_type(self.model.model_fields[self.key].annotation)
        Key = Annotated[key_type, Path(alias=self.key, description=f"The {model.__name__}'s {self.key}")]  # type: ignore[valid-type]
        Size = Annotated[int, Query(ge=1, le=self.max_page_size, description="Rows per page")]
        Create = Annotated[self.create_schema, Body()]  # type: ignore[name-defined]
        Patch = Annotated[self.patch_schema, Body()]  # type: ignore[name-defined]
        tx = Depends(atransaction if self.is_async else transaction, scope="function")
        item = f"/{{{self.key}}}"
        page = self.cursor_page if self.pagination == "cursor" else self.numbered_page
        extra = {"parameters": self._filter_parameters()}
        size_default = self.page_size

        if self.is_async:
            async def list_rows(request: Request, response: Response, size: Size = size_default,
                                after: str | None = None, before: str | None = None, page: int = 1,
                                order: str | None = None) -> Any:
                qs = self._read(self.queryset(request))
                if self.pagination == "cursor":
                    got = await qs.apaginate(size, after=after or None, before=before or None)
                    return self._cursor_body(request, response, got.next_cursor, got.previous_cursor,
                                             await self._ashape(got.items))
                numbered = await Paginator(qs, size).apage(page)
                return self._numbered_body(request, response, numbered, await self._ashape(numbered.items))

            async def retrieve(pk: Key) -> Any:
                return (await self._ashape([await self._read(model.query()).aget(**{self.key: pk})]))[0]

            async def create(data: Create, request: Request, response: Response, _: Any = tx) -> Any:
                row = await model.acreate(**data.model_dump())
                response.headers["Location"] = self._location(request, row)
                return (await self._ashape([await self._reread(row)]))[0]

            async def replace(pk: Key, data: Create, _: Any = tx) -> Any:
                row = await model.aget(**{self.key: pk})
                await row.aupdate(**data.model_dump())
                return (await self._ashape([await self._reread(row)]))[0]

            async def patch(pk: Key, data: Patch, _: Any = tx) -> Any:
                row = await model.aget(**{self.key: pk})
                changes = data.model_dump(exclude_unset=True)
                if changes:
                    await row.aupdate(**changes)
                return (await self._ashape([await self._reread(row)]))[0]

            async def delete(pk: Key, _: Any = tx) -> Response:
                if not await model.filter(**{self.key: pk}).adelete():
                    raise model.DoesNotExist(f"{model.__name__} matching {self.key}={pk!r} does not exist")
                return Response(status_code=204)
        else:
            def list_rows(request: Request, response: Response, size: Size = size_default,  # type: ignore[misc]
                          after: str | None = None, before: str | None = None, page: int = 1,
                          order: str | None = None) -> Any:
                qs = self._read(self.queryset(request))
                if self.pagination == "cursor":
                    got = qs.paginate(size, after=after or None, before=before or None)
                    return self._cursor_body(request, response, got.next_cursor, got.previous_cursor,
                                             self._shape(got.items))
                numbered = Paginator(qs, size).page(page)
                return self._numbered_body(request, response, numbered, self._shape(numbered.items))

            def retrieve(pk: Key) -> Any:  # type: ignore[misc]
                return self._shape([self._read(model.query()).get(**{self.key: pk})])[0]

            def create(data: Create, request: Request, response: Response, _: Any = tx) -> Any:  # type: ignore[misc]
                row = model.create(**data.model_dump())
                response.headers["Location"] = self._location(request, row)
                return self._shape([self._reread_sync(row)])[0]

            def replace(pk: Key, data: Create, _: Any = tx) -> Any:  # type: ignore[misc]
                row = model.get(**{self.key: pk})
                row.update(**data.model_dump())
                return self._shape([self._reread_sync(row)])[0]

            def patch(pk: Key, data: Patch, _: Any = tx) -> Any:  # type: ignore[misc]
                row = model.get(**{self.key: pk})
                changes = data.model_dump(exclude_unset=True)
                if changes:
                    row.update(**changes)
                return self._shape([self._reread_sync(row)])[0]

            def delete(pk: Key, _: Any = tx) -> Response:  # type: ignore[misc]
                if not model.filter(**{self.key: pk}).delete():
                    raise model.DoesNotExist(f"{model.__name__} matching {self.key}={pk!r} does not exist")
                return Response(status_code=204)

        name, noun = model.__name__, model.__name__.lower()
        bad = {"description": "A value that does not fit its column, or a body that is not JSON",
               "model": ErrorBody}
        errors: dict[int | str, dict[str, Any]] = {400: bad, 404: {"description": f"No such {name}",
                                                                   "model": ErrorBody}}
        self.add_api_route("", list_rows, methods=["GET"], response_model=page, name=f"list_{noun}",
                           summary=f"List {name} rows", openapi_extra=extra,
                           responses={400: {"description": "A filter, ordering or cursor that is not allowed",
                                            "model": ErrorBody}})
        self.add_api_route(item, retrieve, methods=["GET"], response_model=self.output, name=f"get_{noun}",
                           summary=f"Read one {name}", responses=errors)
        if self.read_only:
            return
        conflict: dict[int | str, dict[str, Any]] = {409: {"description": "A constraint refused the write",
                                                           "model": ErrorBody}}
        self.add_api_route("", create, methods=["POST"], response_model=self.output, status_code=201,
                           name=f"create_{noun}", summary=f"Create a {name}", responses={400: bad, **conflict})
        self.add_api_route(item, replace, methods=["PUT"], response_model=self.output, name=f"replace_{noun}",
                           summary=f"Replace a {name}", responses={**errors, **conflict})
        self.add_api_route(item, patch, methods=["PATCH"], response_model=self.output, name=f"patch_{noun}",
                           summary=f"Change fields of a {name}", responses={**errors, **conflict})
        self.add_api_route(item, delete, methods=["DELETE"], status_code=204, response_class=Response,
                           name=f"delete_{noun}", summary=f"Delete a {name}", responses=errors)

    def _location(self, request: Request, row: Model) -> str:
        return str(request.url_for(f"get_{self.model.__name__.lower()}", **{self.key: str(getattr(row, self.key))}))

    async def _reread(self, row: Model) -> Model:
        return await self._read(self.model.query()).aget(**{self.key: getattr(row, self.key)}) \
            if self.view is not None else row

    def _reread_sync(self, row: Model) -> Model:
        return self._read(self.model.query()).get(**{self.key: getattr(row, self.key)}) \
            if self.view is not None else row

    # -- page bodies ------------------------------------------------------------------------
    def _cursor_body(self, request: Request, response: Response, next_cursor: str | None,
                     previous_cursor: str | None, items: list[Any]) -> dict[str, Any]:
        links = []
        if next_cursor is not None:
            links.append(f'<{_page_url(request, after=next_cursor)}>; rel="next"')
        if previous_cursor is not None:
            links.append(f'<{_page_url(request, before=previous_cursor)}>; rel="prev"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return {"items": items, "next": next_cursor, "previous": previous_cursor}

    def _numbered_body(self, request: Request, response: Response, page: Any, items: list[Any]) -> dict[str, Any]:
        links = []
        if page.next_page_number is not None:
            links.append(f'<{_page_url(request, page=str(page.next_page_number))}>; rel="next"')
        if page.previous_page_number is not None:
            links.append(f'<{_page_url(request, page=str(page.previous_page_number))}>; rel="prev"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return {"items": items, "page": page.number, "pages": page.num_pages, "count": page.count,
                "next": page.next_page_number, "previous": page.previous_page_number}

    def _filter_parameters(self) -> list[dict[str, Any]]:
        """The filters as OpenAPI query parameters (FastAPI cannot see them: they are read
        from the request)."""
        parameters: list[dict[str, Any]] = []
        for field, lookups in self.filters.items():
            annotation = self.model.model_fields[field].annotation
            for lookup in lookups:
                name = field if lookup == "exact" else f"{field}__{lookup}"
                parameters.append({"name": name, "in": "query", "required": False,
                                   "description": _describe(field, lookup),
                                   "schema": _parameter_schema(annotation, lookup)})
        return parameters


def _describe(field: str, lookup: str) -> str:
    if lookup == "in":
        return f"{field} is one of these comma-separated values"
    if lookup == "isnull":
        return f"{field} is (true) or is not (false) null"
    return f"{field} {lookup}"


def _parameter_schema(annotation: Any, lookup: str) -> dict[str, Any]:
    if lookup == "isnull":
        return {"type": "boolean"}
    if lookup == "in":
        return {"type": "string"}
    kind = base_type(annotation)
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        return {"type": "integer"}
    if kind is float:
        return {"type": "number"}
    return {"type": "string"}


def _lookup_value(model: str, field: str, lookup: str, value: str) -> Any:
    """A query parameter's text as the lookup takes it (ormada converts it to the field's type)."""
    if lookup == "in":
        values = [part for part in value.split(",") if part != ""]
        if not values:
            raise QueryError(f"{model}.{field}__in takes one or more comma-separated values")
        return values
    if lookup == "isnull":
        folded = value.strip().lower()
        if folded not in _TRUE | _FALSE:
            raise QueryError(f"{model}.{field}__isnull takes true or false, not {value!r}")
        return folded in _TRUE
    return value


def _values(row: Model, output: type[BaseModel]) -> dict[str, Any]:
    return {name: row.__dict__[name] for name in output.model_fields if name in row.__dict__}


def _page_url(request: Request, **change: str) -> str:
    """The request's URL with its filters, ordering and size, on another page."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "before", "page")]
    return str(request.url.replace(query=urlencode([*params, *change.items()])))

