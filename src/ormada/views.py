"""``ModelView``: a read-only projection of a model for output (an API response, a page),
with relations loaded, fields left out, keys replaced by the rows they point at, and
computed fields.

>>> class BookView(ModelView):
...     model = Book
...     prefetch = ["author", "tags"]
...     exclude = ["isbn"]
...     inline = {"author_id": "author"}          # the author in place of its key
...
...     def title_upper(self, book: Book) -> str:  # a computed field
...         return book.title.upper()
...
>>> BookView.output                              # the pydantic model the view produces
>>> Book.filter(year__gte=1970).view(BookView).all()
>>> await BookView.aapply(book)

The view reads what its ``prefetch`` names (one query per relation, concurrent in async
code) and builds an instance of :attr:`ModelView.output` per row, with its own JSON schema
for OpenAPI. A computed field that raises becomes a logged warning and None, never a
failed page. Saving and updating go through the model, never through a view.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, create_model

from ormada._prefetch import path_loaded
from ormada.errors import ConfigurationError, QueryError
from ormada.model import Model
from ormada.query.queryset import QuerySet
from ormada.query.resolve import closest

logger = logging.getLogger("ormada.views")
_CONFIG = frozenset({"model", "prefetch", "exclude", "inline", "output"})


class ModelView:
    """Subclass it with ``model`` and any of ``prefetch``, ``exclude``, ``inline`` and
    computed-field methods (plain or ``async``, taking the instance, annotated with the
    type they return)."""

    model: ClassVar[type[Model]]
    prefetch: ClassVar[Sequence[str]] = ()
    exclude: ClassVar[Sequence[str]] = ()
    inline: ClassVar[Mapping[str, str]] = {}
    #: The pydantic model each row becomes (its JSON schema is the view's).
    output: ClassVar[type[BaseModel]]
    _computed: ClassVar[dict[str, Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("model")
        if not (isinstance(model, type) and issubclass(model, Model)):
            raise ConfigurationError(f"{cls.__name__}: a ModelView needs model = <a Model class>")
        relations = model._info().relations
        fields = model.model_fields
        for name in cls.exclude:
            if name not in fields:
                raise ConfigurationError(f"{cls.__name__}.exclude: {model.__name__} has no field {name!r}"
                                         f"{closest(name, fields)}")
        for key, relation in cls.inline.items():
            found = relations.get(relation)
            if found is None or found.kind != "forward" or found.key != key:
                raise ConfigurationError(
                    f"{cls.__name__}.inline: {key!r} -> {relation!r} must map a foreign key field to its relation "
                    f"(e.g. {{'author_id': 'author'}}); {model.__name__}'s are "
                    + ", ".join(f"{r.key!r} -> {n!r}" for n, r in relations.items() if r.kind == "forward")
                )
        # The paths the view reads: those it names and those it inlines.
        wanted = list(dict.fromkeys([*cls.prefetch, *cls.inline.values()]))
        model.query().prefetch_related(*wanted)  # checks every path now
        cls.prefetch = wanted
        cls._computed = {name: value for name, value in cls.__dict__.items()
                         if inspect.isfunction(value) and not name.startswith("_") and name not in _CONFIG}
        cls.output = _output_model(cls, model, relations)

    # -- one instance ------------------------------------------------------------
    @classmethod
    def apply(cls, instance: Model) -> BaseModel:
        """The view of one instance, loading what it needs that is not loaded yet.

        Raises:
            QueryError: the view has async computed fields (use :meth:`aapply`).
        """
        missing = cls._missing(instance)
        if missing:
            instance.fetch_related(*missing)
        return cls._build(instance, cls._run_sync(instance))

    @classmethod
    async def aapply(cls, instance: Model) -> BaseModel:
        """The async twin of :meth:`apply`; async computed fields run at the same time."""
        missing = cls._missing(instance)
        if missing:
            await instance.afetch_related(*missing)
        return cls._build(instance, await cls._run_async(instance))

    @classmethod
    def apply_all(cls, instances: Sequence[Model]) -> list[BaseModel]:
        """The views of instances already loaded with the view's relations."""
        return [cls._build(x, cls._run_sync(x)) for x in instances]

    @classmethod
    async def aapply_all(cls, instances: Sequence[Model]) -> list[BaseModel]:
        """The async twin of :meth:`apply_all`."""
        computed = await asyncio.gather(*(cls._run_async(x) for x in instances))
        return [cls._build(x, values) for x, values in zip(instances, computed, strict=True)]

    @classmethod
    def of(cls, queryset: QuerySet[Any]) -> ViewQuery:
        """The rows of ``queryset`` as this view's output (what ``queryset.view(cls)`` gives)."""
        return ViewQuery(queryset, cls)

    @classmethod
    def _missing(cls, instance: Model) -> list[str]:
        return [path for path in cls.prefetch if not path_loaded(instance, path)]

    # -- computed fields -----------------------------------------------------------
    @classmethod
    def _run_sync(cls, instance: Model) -> dict[str, Any]:
        values: dict[str, Any] = {}
        view = cls()
        for name, function in cls._computed.items():
            if inspect.iscoroutinefunction(function):
                raise QueryError(f"{cls.__name__}.{name} is async; use aapply() / aapply_all() / "
                                 "await qs.view(...)")
            values[name] = _guarded(cls, name, instance, function, view)
        return values

    @classmethod
    async def _run_async(cls, instance: Model) -> dict[str, Any]:
        view = cls()

        async def one(name: str, function: Callable[..., Any]) -> Any:
            try:
                result = function(view, instance)
                return await result if isinstance(result, Awaitable) else result
            except Exception as exc:  # a page is not failed by one field
                _warn(cls, name, instance, exc)
                return None

        names = list(cls._computed)
        results = await asyncio.gather(*(one(n, cls._computed[n]) for n in names))
        return dict(zip(names, results, strict=True))

    @classmethod
    def _build(cls, instance: Model, computed: dict[str, Any]) -> BaseModel:
        data = {name: instance.__dict__[name] for name in cls.output.model_fields
                if name in instance.__dict__ and name not in computed}
        for path in cls.prefetch:
            name = path.split("__")[0]
            data[name] = getattr(instance, name)
        data.update(computed)
        return cls.output.model_validate(data)


def _guarded(view: type[ModelView], name: str, instance: Model, function: Callable[..., Any],
             self: ModelView) -> Any:
    try:
        return function(self, instance)
    except Exception as exc:  # a page is not failed by one field
        _warn(view, name, instance, exc)
        return None


def _warn(view: type[ModelView], name: str, instance: Model, exc: Exception) -> None:
    # The row by its key only: its other values are users' data, which logs never show.
    key = ", ".join(f"{field}={getattr(instance, field, None)!r}" for field in instance.__ormada__.pk)
    logger.warning("%s.%s failed for %s(%s), left empty: %s: %s", view.__name__, name, type(instance).__name__, key,
                   type(exc).__name__, exc)


def _output_model(view: type[ModelView], model: type[Model], relations: Mapping[str, Any]) -> type[BaseModel]:
    """The pydantic model a view produces: the model's fields in order, without the
    excluded ones and with each inlined key replaced by its relation, then the other
    relations it loads, then the computed fields (None when they fail)."""
    replaced = {key: relation for key, relation in view.inline.items()}
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in view.exclude:
            continue
        if name in replaced:
            rel = relations[replaced[name]]
            inlined: Any = rel.target
            fields[rel.name] = (inlined | None, None)
            continue
        fields[name] = (field.annotation, field)
    for path in view.prefetch:
        name = path.split("__")[0]
        if name in fields:
            continue
        rel = relations[name]
        target: Any = rel.target
        fields[name] = ((list[target] if rel.many else target | None), [] if rel.many else None)
    for name, function in view._computed.items():
        fields[name] = (_return_type(function) | None, None)
    return create_model(view.__name__, __doc__=view.__doc__, __module__=view.__module__, **fields)


def _return_type(function: Callable[..., Any]) -> Any:
    """What a computed field returns, as annotated (``Any`` when it is not, or names a type
    that cannot be found from the function's module)."""
    try:
        hint = typing.get_type_hints(function).get("return", Any)
    except (NameError, TypeError):
        return Any
    if typing.get_origin(hint) in (Awaitable, typing.Coroutine):
        return typing.get_args(hint)[-1]
    return hint


class ViewQuery:
    """The rows of a QuerySet as a view's output: ``qs.view(BookView)``; iterable,
    awaitable, and ``all()`` / ``aall()`` like the QuerySet."""

    def __init__(self, queryset: QuerySet[Any], view: type[ModelView]) -> None:
        if queryset.model is not view.model:
            raise QueryError(f"{view.__name__} is a view of {view.model.__name__}, not of {queryset.model.__name__}")
        self.queryset, self.view = queryset.prefetch_related(*view.prefetch), view

    def all(self) -> list[BaseModel]:
        return self.view.apply_all(self.queryset.all())

    async def aall(self) -> list[BaseModel]:
        return await self.view.aapply_all(await self.queryset.aall())

    def __iter__(self) -> Iterator[BaseModel]:
        return iter(self.all())

    def __await__(self) -> Generator[Any, None, list[BaseModel]]:
        return self.aall().__await__()
