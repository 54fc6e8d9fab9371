"""The pydantic schemas a CRUDRouter derives from a model: what it reads, creates,
replaces and patches, and its pages."""

from __future__ import annotations

import datetime
import decimal
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, create_model

from ormada import Model
from ormada.errors import ConfigurationError

ORDERED_LOOKUPS = ("exact", "gt", "gte", "lt", "lte", "in", "isnull")
TEXT_LOOKUPS = ("exact", "iexact", "contains", "icontains", "startswith", "istartswith", "in", "isnull")
OTHER_LOOKUPS = ("exact", "in", "isnull")
_ORDERED = (int, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time)


def base_type(annotation: Any) -> Any:
    """``int`` for ``int | None`` (and for ``Annotated[int | None, ...]``)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return base_type(args[0])
    return annotation


def default_lookups(annotation: Any) -> tuple[str, ...]:
    """The lookups a filter on a field of this type offers when the router is not told."""
    kind = base_type(annotation)
    if isinstance(kind, type) and issubclass(kind, str):
        return TEXT_LOOKUPS
    if isinstance(kind, type) and issubclass(kind, _ORDERED) and not issubclass(kind, bool):
        return ORDERED_LOOKUPS
    return OTHER_LOOKUPS


def allowed_filters(model: type[Model],
                    filters: Sequence[str] | Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Each filterable field with its lookups, checked against the model."""
    fields = model.model_fields
    chosen = filters.items() if isinstance(filters, Mapping) else ((name, None) for name in filters)
    allowed: dict[str, tuple[str, ...]] = {}
    for name, lookups in chosen:
        if name not in fields:
            raise ConfigurationError(f"CRUDRouter({model.__name__}): filters names {name!r}, which is not a field "
                                     f"(fields: {', '.join(fields)})")
        allowed[name] = tuple(lookups) if lookups is not None else default_lookups(fields[name].annotation)
    return allowed


def generated_keys(model: type[Model]) -> tuple[str, ...]:
    """The primary key fields the database fills in (those that default to None)."""
    return tuple(name for name in key_fields(model) if model.model_fields[name].default is None
                 and not model.model_fields[name].is_required())


def key_fields(model: type[Model]) -> tuple[str, ...]:
    """The names of the model's primary key fields."""
    return tuple(column.name for column in model.__table_schema__.primary_key)


def write_schemas(model: type[Model]) -> tuple[type[BaseModel], type[BaseModel]]:
    """The body of a create or replace (the model's fields but the generated keys,
    relations by key) and the body of a patch (the same, each optional)."""
    skip = set(generated_keys(model))
    full: dict[str, Any] = {}
    partial: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        full[name] = (field.annotation, field)
        partial[name] = (field.annotation, None)  # unset fields are left alone, never written as None
    common: dict[str, Any] = {"__module__": model.__module__}
    create = create_model(f"{model.__name__}Create", __doc__=f"A new {model.__name__}.", **common, **full)
    patch = create_model(f"{model.__name__}Patch", __doc__=f"The fields of a {model.__name__} to change.",
                         **common, **partial)
    create.model_config["extra"] = "forbid"
    patch.model_config["extra"] = "forbid"
    create.model_rebuild(force=True)
    patch.model_rebuild(force=True)
    return create, patch


def read_schema(model: type[Model]) -> type[BaseModel]:
    """What the router answers with when it has no view: the model's own fields."""
    fields: dict[str, Any] = {name: (field.annotation, field) for name, field in model.model_fields.items()}
    return create_model(f"{model.__name__}Read", __doc__=model.__doc__, __module__=model.__module__, **fields)


def page_schemas(item: type[BaseModel], name: str) -> tuple[type[BaseModel], type[BaseModel]]:
    """The body of a cursor page and of a numbered page of ``item``."""
    cursor = create_model(f"{name}CursorPage", __module__=item.__module__,
                          items=(list[item], ...), next=(str | None, None), previous=(str | None, None))  # type: ignore[valid-type]
    numbered = create_model(f"{name}NumberedPage", __module__=item.__module__,
                            items=(list[item], ...), page=(int, ...), pages=(int, ...), count=(int, ...),  # type: ignore[valid-type]
                            next=(int | None, None), previous=(int | None, None))
    return cursor, numbered
