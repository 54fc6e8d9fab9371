"""``Model``: the pydantic base class whose subclasses map to tables.

Defining a subclass builds its table schema once. Every database operation is a
pair, sync and async (``save``/``asave``, ``get``/``aget``…), and both run the
same sans-I/O operation from :mod:`ormada._operations`.
"""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic._internal._model_construction import ModelMetaclass, build_lenient_weakvaluedict
from pydantic._internal._typing_extra import parent_frame_namespace
from pydantic_core import InitErrorDetails, PydanticCustomError, to_json

from ormada import _hooks as hooks
from ormada import _operations as ops
from ormada import _registry
from ormada._cached_get import cached_get
from ormada._caching import MISS
from ormada._info import ModelInfo
from ormada._meta import ModelOptions, read_meta
from ormada._prefetch import plan as prefetch_plan
from ormada._prefetch import prefetch
from ormada._registry import info_of
from ormada._relations import PendingKey, declare, related_store, set_related
from ormada._tracking import home_of
from ormada.database import Database, get_database
from ormada.errors import ConfigurationError, DoesNotExist, MultipleObjectsReturned, OrmadaError, QueryError
from ormada.query.expressions import Q
from ormada.query.queryset import QuerySet
from ormada.query.resolve import closest
from ormada.query.state import Prefetch
from ormada.schema import TableSchema

if TYPE_CHECKING:
    from typing import Self



def _with_field_hints(model: type[BaseModel], exc: ValidationError) -> ValidationError:
    """``exc`` with each unknown-field error saying which field was probably meant."""
    errors = exc.errors()
    if not any(e["type"] == "extra_forbidden" for e in errors):
        return exc
    details: list[InitErrorDetails] = []
    for e in errors:
        if e["type"] == "extra_forbidden":
            field = str(e["loc"][0])
            message = f"{model.__name__} has no field {field!r}{closest(field, model.model_fields)}"
            details.append({"type": PydanticCustomError("extra_forbidden", message), "loc": e["loc"],
                            "input": e["input"]})
        else:
            details.append({"type": e["type"], "loc": e["loc"], "input": e["input"],
                            **({"ctx": e["ctx"]} if "ctx" in e else {})})  # type: ignore[typeddict-item]
    return ValidationError.from_exception_data(exc.title, details)


class DeferredFieldError(OrmadaError, AttributeError):
    """A field left out by ``only()``/``defer()`` was read."""

    code = "deferred-field"


_M = TypeVar("_M", bound=BaseModel)


class Objects:
    """``Model.objects``: a QuerySet over every row of the model, as Django spells it
    (``Book.objects.filter(...)``, ``Book.objects.raw(sql, params)``)."""

    __slots__ = ()

    def __get__(self, instance: object, owner: type[_M]) -> QuerySet[_M]:
        return QuerySet(owner)


class ModelMeta(ModelMetaclass):
    """Rewrites relation fields (``author: Annotated[Author, ForeignKey()]``) into their key
    field and attribute before pydantic reads the class body (see ``ormada._relations``)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> type:
        # The namespace the class statement runs in (a test function's locals, say), taken
        # here because pydantic would otherwise take this method's own.
        local = parent_frame_namespace() or {}
        pending = declare(name, namespace, local) if any(isinstance(b, ModelMeta) for b in bases) else []
        if "__pydantic_reset_parent_namespace__" not in kwargs:
            namespace["__pydantic_parent_namespace__"] = build_lenient_weakvaluedict(dict(local)) if local else None
            kwargs["__pydantic_reset_parent_namespace__"] = False
        inherited = {p.field: p for base in reversed(bases) for p in getattr(base, "__ormada_pending__", ())}
        namespace["__ormada_pending__"] = (*inherited.values(), *pending)
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class Model(BaseModel, metaclass=ModelMeta):
    """Base class of ormada models: a pydantic model that maps to a table.

    >>> class Book(Model):
    ...     id: Annotated[int | None, PrimaryKey()] = None
    ...     title: Annotated[str, Indexed()]
    ...     year: int
    ...     class Meta:
    ...         table = "books"

    Assignments are validated (``validate_assignment=True``), so a bad value fails
    where it is set, not when it is saved. An unknown keyword (``Book(titel="x")``) is a
    ``ValidationError`` naming the closest field, not a value silently dropped; a model
    that wants pydantic's other behaviour sets ``model_config["extra"]`` itself.
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid")
    __slots__ = ("_ormada_layout", "_ormada_related", "_ormada_row")

    __ormada__: ClassVar[ModelInfo]
    __ormada_options__: ClassVar[ModelOptions | None] = None
    __ormada_pending__: ClassVar[tuple[PendingKey, ...]] = ()
    # The forward relations a constructor takes (``Book(author=le_guin)``), by name.
    __ormada_relation_inputs__: ClassVar[frozenset[str]] = frozenset()
    # Every relation of the model, reverse sides included: the dumps of a model with none skip them.
    __ormada_relation_names__: ClassVar[frozenset[str]] = frozenset()
    __table_schema__: ClassVar[TableSchema]
    objects: ClassVar[Objects] = Objects()
    DoesNotExist: ClassVar[type[DoesNotExist]] = DoesNotExist
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]] = MultipleObjectsReturned

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        parent = next((b.__ormada_options__ for b in cls.__mro__[1:]
                       if isinstance(b, type) and issubclass(b, Model) and b.__ormada_options__ is not None), None)
        options = read_meta(cls.__name__, cls.__dict__.get("Meta"), parent)
        cls.__ormada_options__ = options
        if options.abstract:
            return
        clashes = [name for name in cls.model_fields if name in _RESERVED]
        if clashes:
            raise ConfigurationError(
                f"{cls.__name__}: field name(s) {', '.join(clashes)} would hide ormada's model API; "
                "rename the field(s)"
            )
        _default_discriminator(cls)
        _registry.define(cls, options, list(cls.__ormada_pending__))

    def __init__(self, /, **data: Any) -> None:
        cls = type(self)
        if not cls.__pydantic_complete__:  # a key whose type waits for its model
            _registry.configure_before_use(cls)
        inputs = cls.__ormada_relation_inputs__
        related = _relation_values(cls, data) if inputs and not inputs.isdisjoint(data) else None
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self)
        except ValidationError as exc:
            raise _with_field_hints(cls, exc) from None
        if related:
            for name, value in related.items():
                set_related(self, name, value)

    # -- serialising, loaded relations included ---------------------------------------
    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """pydantic's ``model_dump``, with the relations that were loaded (``select_related``,
        ``prefetch_related``, ``fetch_related``) under their names; unloaded ones are left
        out, and so is a way back to a row already being dumped (``book.author.books``).
        ``exclude`` may name relations; ``include`` keeps only the fields it names."""
        if not type(self).__ormada_relation_names__:
            return super().model_dump(**kwargs)
        return _dump(self, kwargs, set())

    def model_dump_json(self, **kwargs: Any) -> str:
        """pydantic's ``model_dump_json``, with the loaded relations as :meth:`model_dump` has them."""
        store = related_store(self) if type(self).__ormada_relation_names__ else None
        if not store:
            return super().model_dump_json(**kwargs)
        indent = kwargs.pop("indent", None)
        kwargs.pop("mode", None)
        return to_json(self.model_dump(mode="json", **kwargs), indent=indent).decode()

    if not TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any:
            if name in type(self).model_fields:
                raise DeferredFieldError(
                    f"{type(self).__name__}.{name} was not loaded (left out by only()/defer()); "
                    "call refresh() or load it"
                )
            return super().__getattr__(name)

    @property
    def pk(self) -> Any:
        """The primary key's value (Django's ``pk``): the key field's value, or a tuple of
        the key fields' values when the key has several (partition keys, then clustering)."""
        names = self._info().pk
        if len(names) == 1:
            return getattr(self, names[0])
        return tuple(getattr(self, name) for name in names)

    @pk.setter
    def pk(self, value: Any) -> None:
        names = self._info().pk
        if len(names) != 1:
            raise QueryError(f"{type(self).__name__}.pk = ...: the primary key has {len(names)} fields "
                             f"({', '.join(names)}); set them one by one")
        setattr(self, names[0], value)

    # -- where the model lives -------------------------------------------
    @classmethod
    def database(cls) -> Database:
        """The database this model is bound to (``Meta.database``, default ``"default"``)."""
        info = cls._info()
        return get_database(info.options.database)

    def _home(self) -> Database:
        """Where this instance's writes, ``refresh()`` and ``fetch_related()`` go: the database
        it was read from or last written to (for a replica, its primary), as Django's
        ``_state.db``; else, for an instance never stored, its model's."""
        own = self.database()
        home = home_of(self)
        if home is None or home == own.name:
            return own
        source = get_database(home)
        return own if source in own.replicas else source

    @classmethod
    def _info(cls) -> ModelInfo:
        return info_of(cls)

    @classmethod
    def query(cls) -> QuerySet[Self]:
        """A QuerySet over every row of the model."""
        cls._info()
        return QuerySet(cls)

    # -- QuerySet shortcuts ----------------------------------------------------
    @classmethod
    def filter(cls, *q: Q, **lookups: Any) -> QuerySet[Self]:
        """``QuerySet`` of the rows matching the lookups; see :meth:`QuerySet.filter`."""
        return cls.query().filter(*q, **lookups)

    @classmethod
    def exclude(cls, *q: Q, **lookups: Any) -> QuerySet[Self]:
        """``QuerySet`` of the rows not matching the lookups."""
        return cls.query().exclude(*q, **lookups)

    @classmethod
    def annotate(cls, **aggregates: Any) -> QuerySet[Self]:
        """``QuerySet`` of every row with aggregates as attributes; see :meth:`QuerySet.annotate`."""
        return cls.query().annotate(**aggregates)

    @classmethod
    def nearest(cls, field: str, vector: Sequence[float], *, metric: str = "cosine",
                distance: str | None = "distance") -> QuerySet[Self]:
        """``QuerySet`` of every row, nearest to ``vector`` first; see :meth:`QuerySet.nearest`."""
        return cls.query().nearest(field, vector, metric=metric, distance=distance)

    @classmethod
    def order_by(cls, *fields: str) -> QuerySet[Self]:
        """``QuerySet`` of every row, sorted."""
        return cls.query().order_by(*fields)

    @classmethod
    def select_related(cls, *paths: str) -> QuerySet[Self]:
        """``QuerySet`` of every row with these relations joined; see :meth:`QuerySet.select_related`."""
        return cls.query().select_related(*paths)

    @classmethod
    def prefetch_related(cls, *lookups: str | Prefetch) -> QuerySet[Self]:
        """``QuerySet`` of every row with these relations loaded; see :meth:`QuerySet.prefetch_related`."""
        return cls.query().prefetch_related(*lookups)

    @classmethod
    def only(cls, *fields: str) -> QuerySet[Self]:
        """``QuerySet`` loading only these fields."""
        return cls.query().only(*fields)

    @classmethod
    def defer(cls, *fields: str) -> QuerySet[Self]:
        """``QuerySet`` loading every field but these."""
        return cls.query().defer(*fields)

    @classmethod
    def values(cls, *fields: str) -> QuerySet[Any]:
        """``QuerySet`` of dicts."""
        return cls.query().values(*fields)

    @classmethod
    def values_list(cls, *fields: str, flat: bool = False) -> QuerySet[Any]:
        """``QuerySet`` of tuples (or single values with ``flat=True``)."""
        return cls.query().values_list(*fields, flat=flat)

    @classmethod
    def all(cls) -> list[Self]:
        """Every row."""
        return cls.query().all()

    @classmethod
    async def aall(cls) -> list[Self]:
        """The async twin of :meth:`all`."""
        return await cls.query().aall()

    @classmethod
    def first(cls) -> Self | None:
        """The row with the smallest primary key, or None."""
        return cls.query().first()

    @classmethod
    async def afirst(cls) -> Self | None:
        """The async twin of :meth:`first`."""
        return await cls.query().afirst()

    @classmethod
    def last(cls) -> Self | None:
        """The row with the largest primary key, or None."""
        return cls.query().last()

    @classmethod
    async def alast(cls) -> Self | None:
        """The async twin of :meth:`last`."""
        return await cls.query().alast()

    @classmethod
    def descendants(cls, node: Any, via: str = "parent", *, include_self: bool = False,
                    max_depth: int | None = None) -> QuerySet[Self]:
        """The rows below ``node`` in a tree of the model; see :meth:`QuerySet.descendants`."""
        return cls.query().descendants(node, via, include_self=include_self, max_depth=max_depth)

    @classmethod
    def ancestors(cls, node: Any, via: str = "parent", *, include_self: bool = False,
                  max_depth: int | None = None) -> QuerySet[Self]:
        """The rows above ``node`` in a tree of the model; see :meth:`QuerySet.ancestors`."""
        return cls.query().ancestors(node, via, include_self=include_self, max_depth=max_depth)

    @classmethod
    def distinct(cls, *fields: str) -> QuerySet[Self]:
        """``QuerySet`` of every row, without duplicates (one per value of ``fields``, if given)."""
        return cls.query().distinct(*fields)

    @classmethod
    def select_for_update(cls, nowait: bool = False, skip_locked: bool = False, of: Iterable[str] = (),
                          no_key: bool = False) -> QuerySet[Self]:
        """``QuerySet`` of every row, locked as read; see :meth:`QuerySet.select_for_update`."""
        return cls.query().select_for_update(nowait, skip_locked, of, no_key)

    @classmethod
    def in_bulk(cls, ids: Iterable[Any] | None = None, field_name: str = "pk") -> dict[Any, Self]:
        """The rows by key; see :meth:`QuerySet.in_bulk`."""
        return cls.query().in_bulk(ids, field_name)

    @classmethod
    async def ain_bulk(cls, ids: Iterable[Any] | None = None, field_name: str = "pk") -> dict[Any, Self]:
        """The async twin of :meth:`in_bulk`."""
        return await cls.query().ain_bulk(ids, field_name)

    @classmethod
    def limit(cls, n: int | None) -> QuerySet[Self]:
        """``QuerySet`` of at most ``n`` rows."""
        return cls.query().limit(n)

    # A get by primary key that the read cache holds is answered before any QuerySet is built.
    @classmethod
    def get(cls, *q: Q, **lookups: Any) -> Self:
        """The one row matching the lookups; raises ``DoesNotExist`` or ``MultipleObjectsReturned``."""
        if not q:
            found = cached_get(cls, lookups, False)
            if found is not MISS:
                return found  # type: ignore[no-any-return]
        return cls.query().get(*q, **lookups)

    @classmethod
    async def aget(cls, *q: Q, **lookups: Any) -> Self:
        """The async twin of :meth:`get`."""
        if not q:
            found = cached_get(cls, lookups, False)
            if found is not MISS:
                return found  # type: ignore[no-any-return]
        return await cls.query().aget(*q, **lookups)

    @classmethod
    def get_or_none(cls, *q: Q, **lookups: Any) -> Self | None:
        """The one row matching the lookups, or None."""
        if not q:
            found = cached_get(cls, lookups, True)
            if found is not MISS:
                return found  # type: ignore[no-any-return]
        return cls.query().get_or_none(*q, **lookups)

    @classmethod
    async def aget_or_none(cls, *q: Q, **lookups: Any) -> Self | None:
        """The async twin of :meth:`get_or_none`."""
        if not q:
            found = cached_get(cls, lookups, True)
            if found is not MISS:
                return found  # type: ignore[no-any-return]
        return await cls.query().aget_or_none(*q, **lookups)

    @classmethod
    def count(cls) -> int:
        """The number of rows."""
        return cls.query().count()

    @classmethod
    async def acount(cls) -> int:
        """The async twin of :meth:`count`."""
        return await cls.query().acount()

    @classmethod
    def exists(cls) -> bool:
        """Whether the table has any row."""
        return cls.query().exists()

    @classmethod
    async def aexists(cls) -> bool:
        """The async twin of :meth:`exists`."""
        return await cls.query().aexists()

    @classmethod
    def iterator(cls, chunk_size: int = 2000) -> Iterator[Self]:
        """Streams every row, ``chunk_size`` at a time."""
        return cls.query().iterator(chunk_size)

    @classmethod
    def aiterator(cls, chunk_size: int = 2000) -> AsyncIterator[Self]:
        """The async twin of :meth:`iterator`."""
        return cls.query().aiterator(chunk_size)

    @classmethod
    def get_or_create(cls, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[Self, bool]:
        """See :meth:`QuerySet.get_or_create`."""
        return cls.query().get_or_create(defaults, **lookups)

    @classmethod
    async def aget_or_create(cls, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[Self, bool]:
        """The async twin of :meth:`get_or_create`."""
        return await cls.query().aget_or_create(defaults, **lookups)

    @classmethod
    def update_or_create(cls, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[Self, bool]:
        """See :meth:`QuerySet.update_or_create`."""
        return cls.query().update_or_create(defaults, **lookups)

    @classmethod
    async def aupdate_or_create(cls, defaults: dict[str, Any] | None = None, **lookups: Any) -> tuple[Self, bool]:
        """The async twin of :meth:`update_or_create`."""
        return await cls.query().aupdate_or_create(defaults, **lookups)

    # -- writing many --------------------------------------------------------------
    @classmethod
    def create(cls, **values: Any) -> Self:
        """Validates, inserts and returns a new instance (generated keys filled in)."""
        instance = cls(**values)
        db = cls.database()
        operation, hooked = hooks.saving(instance, ops.insert(db.backend, cls._info(), instance), created=True)
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    @classmethod
    async def acreate(cls, **values: Any) -> Self:
        """The async twin of :meth:`create`."""
        instance = cls(**values)
        db = cls.database()
        operation, hooked = hooks.saving(instance, ops.insert(db.backend, cls._info(), instance), created=True)
        return await db.arun(operation, atomic=hooked)

    @classmethod
    def bulk_create(cls, instances: Sequence[Self], batch_size: int | None = None) -> list[Self]:
        """Inserts many instances in batches, all or nothing; generated keys are filled in.

        Raises:
            IntegrityError: a row was refused; the message says which, and nothing was written.
        """
        db = cls.database()
        operation = ops.bulk_create(db.backend, cls._info(), instances, batch_size)
        return db.run(hooks.bulk(cls, operation, "bulk_create", instances)[0], atomic=True)

    @classmethod
    async def abulk_create(cls, instances: Sequence[Self], batch_size: int | None = None) -> list[Self]:
        """The async twin of :meth:`bulk_create`."""
        db = cls.database()
        operation = ops.bulk_create(db.backend, cls._info(), instances, batch_size)
        return await db.arun(hooks.bulk(cls, operation, "bulk_create", instances)[0], atomic=True)

    @classmethod
    def bulk_update(cls, instances: Sequence[Self], fields: Sequence[str], batch_size: int | None = None) -> int:
        """Writes ``fields`` of each instance, found by primary key, all or nothing; returns the rows changed."""
        db = cls.database()
        operation = ops.bulk_update(db.backend, cls._info(), instances, fields, batch_size)
        return db.run(hooks.bulk(cls, operation, "bulk_update", instances, fields)[0], atomic=True)  # type: ignore[no-any-return]

    @classmethod
    async def abulk_update(cls, instances: Sequence[Self], fields: Sequence[str],
                           batch_size: int | None = None) -> int:
        """The async twin of :meth:`bulk_update`."""
        db = cls.database()
        operation = ops.bulk_update(db.backend, cls._info(), instances, fields, batch_size)
        return await db.arun(hooks.bulk(cls, operation, "bulk_update", instances, fields)[0], atomic=True)

    @classmethod
    def upsert(cls, instances: Sequence[Self], conflict: Sequence[str] = (), update: Sequence[str] | None = None,
               batch_size: int | None = None) -> list[Self]:
        """Inserts instances; where ``conflict`` fields (default: the primary key) collide
        with a stored row, updates that row's ``update`` fields (default: all others)."""
        db = cls.database()
        operation = ops.upsert(db.backend, cls._info(), instances, conflict, update, batch_size)
        return db.run(hooks.bulk(cls, operation, "upsert", instances, update)[0], atomic=True)

    @classmethod
    async def aupsert(cls, instances: Sequence[Self], conflict: Sequence[str] = (),
                      update: Sequence[str] | None = None, batch_size: int | None = None) -> list[Self]:
        """The async twin of :meth:`upsert`."""
        db = cls.database()
        operation = ops.upsert(db.backend, cls._info(), instances, conflict, update, batch_size)
        return await db.arun(hooks.bulk(cls, operation, "upsert", instances, update)[0], atomic=True)

    # -- one instance ----------------------------------------------------------------
    def save(self, **options: Any) -> Self:
        """Inserts a new instance, or updates only the fields that changed since it was loaded.

        ``options`` are per-write settings a backend may honour (Cassandra: ``ttl``,
        ``timestamp``, ``consistency``, ``timeout``); others refuse them.
        """
        db = self._home()
        operation, hooked = hooks.saving(self, ops.save(db.backend, self._info(), self, options))
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    async def asave(self, **options: Any) -> Self:
        """The async twin of :meth:`save`."""
        db = self._home()
        operation, hooked = hooks.saving(self, ops.save(db.backend, self._info(), self, options))
        return await db.arun(operation, atomic=hooked)

    def insert(self, *, if_not_exists: bool = False, **options: Any) -> bool:
        """Inserts this instance even if it was loaded; with ``if_not_exists=True``, only
        when no row has its key. Returns whether the row was written."""
        db = self._home()
        operation, hooked = hooks.saving(self, ops.insert_new(db.backend, self._info(), self, if_not_exists, options),
                                         created=True, written=bool)
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    async def ainsert(self, *, if_not_exists: bool = False, **options: Any) -> bool:
        """The async twin of :meth:`insert`."""
        db = self._home()
        operation, hooked = hooks.saving(self, ops.insert_new(db.backend, self._info(), self, if_not_exists, options),
                                         created=True, written=bool)
        return await db.arun(operation, atomic=hooked)

    def _assign(self, fields: dict[str, Any]) -> tuple[str, ...]:
        info = self._info()
        if not fields:
            raise QueryError(f"{info.name}.update() needs at least one field=value")
        for name, value in fields.items():
            if name not in info.table.by_name:
                hint = difflib.get_close_matches(name, info.field_names, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                raise QueryError(f"{info.name} has no field {name!r}{suggestion}")
            setattr(self, name, value)
        return tuple(fields)

    def update(self, **fields: Any) -> Self:
        """Sets and writes just these fields (validated) of this stored instance."""
        names = self._assign(fields)
        db = self._home()
        operation, hooked = hooks.saving(self, ops.update_fields(db.backend, self._info(), self, names), False, names)
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    async def aupdate(self, **fields: Any) -> Self:
        """The async twin of :meth:`update`."""
        names = self._assign(fields)
        db = self._home()
        operation, hooked = hooks.saving(self, ops.update_fields(db.backend, self._info(), self, names), False, names)
        return await db.arun(operation, atomic=hooked)

    def delete(self, **options: Any) -> int:
        """Deletes this instance's row; returns 1, or 0 if it was already gone (or, on
        Cassandra with ``if_exists=True`` / ``if_={...}``, if the condition failed)."""
        db = self._home()
        operation, hooked = hooks.deleting(self, ops.delete_instance(db.backend, self._info(), self, options))
        return db.run(operation, atomic=hooked)  # type: ignore[no-any-return]

    async def adelete(self, **options: Any) -> int:
        """The async twin of :meth:`delete`."""
        db = self._home()
        operation, hooked = hooks.deleting(self, ops.delete_instance(db.backend, self._info(), self, options))
        return await db.arun(operation, atomic=hooked)

    def refresh(self) -> Self:
        """Reloads every field from the database."""
        db = self._home()
        return db.run(ops.refresh(db.backend, self._info(), self))  # type: ignore[no-any-return]

    async def arefresh(self) -> Self:
        """The async twin of :meth:`refresh`."""
        db = self._home()
        return await db.arun(ops.refresh(db.backend, self._info(), self))

    # -- relations ---------------------------------------------------------------
    def fetch_related(self, *names: str | Prefetch) -> Self:
        """Loads these relations (paths such as ``"books__tags"`` too) onto this instance,
        one query each, and returns it: ``book.fetch_related("author").author.name``.

        Raises:
            QueryError: a name is not a relation of the model.
        """
        db = self._home()
        return db.run(self._fetch_related(db, names))[0]  # type: ignore[no-any-return]

    def fetch_all_related(self) -> Self:
        """Loads every relation of this instance: its foreign keys, the rows that refer to
        it and its many-to-many relations, one query each (two for many-to-many)."""
        return self.fetch_related(*self._info().relations)

    async def afetch_all_related(self) -> Self:
        """The async twin of :meth:`fetch_all_related`."""
        return await self.afetch_related(*self._info().relations)

    async def afetch_related(self, *names: str | Prefetch) -> Self:
        """The async twin of :meth:`fetch_related`."""
        db = self._home()
        return (await db.arun(self._fetch_related(db, names)))[0]  # type: ignore[no-any-return]

    def _fetch_related(self, db: Database, names: tuple[str | Prefetch, ...]) -> ops.Operation:
        return prefetch(db.backend, info_of, [self], prefetch_plan(info_of, self._info(), names))


def _dump(instance: Model, kwargs: dict[str, Any], seen: set[int]) -> dict[str, Any]:
    """``instance``'s dump with its loaded relations, none of them back to a row in ``seen``."""
    data = BaseModel.model_dump(instance, **kwargs)
    store = related_store(instance)
    if not store:
        return data
    seen = seen | {id(instance)}
    exclude, include = kwargs.get("exclude") or (), kwargs.get("include")
    nested = {k: v for k, v in kwargs.items() if k not in ("include", "exclude")}
    for name, value in store.items():
        if name in exclude or (include is not None and name not in include):
            continue
        if isinstance(value, list):
            data[name] = [_dump(row, nested, seen) for row in value if id(row) not in seen]
        elif value is None or id(value) not in seen:
            data[name] = None if value is None else _dump(value, nested, seen)
    return data


def _relation_values(cls: type[Model], data: dict[str, Any]) -> dict[str, Any]:
    """Replaces each related instance (or key) given for a forward relation by the key
    it stores, and returns the instances, to keep as the loaded relations."""
    related: dict[str, Any] = {}
    for name in cls.__ormada_relation_inputs__ & data.keys():
        descriptor = cls.__dict__.get(name) or getattr(cls, name)
        value = data.pop(name)
        if descriptor.key in data:
            raise QueryError(f"{cls.__name__}: give {name} or {descriptor.key}, not both")
        data[descriptor.key] = descriptor.key_of(cls, value)
        if value is None or isinstance(value, BaseModel):
            related[name] = value
    return related


def _default_discriminator(cls: type[Model]) -> None:
    """A polymorphic subclass's discriminator field defaults to its ``__discriminator_value__``,
    so a new instance holds the value its row will be stored with."""
    field = getattr(cls, "__discriminator__", None)
    value = cls.__dict__.get("__discriminator_value__")
    if field is None or value is None:
        return
    info = cls.model_fields.get(field)
    if info is None:
        raise ConfigurationError(f"{cls.__name__}.__discriminator__ names unknown field {field!r}")
    if info.default != value:
        info.default = value
        if cls.__pydantic_complete__:  # otherwise the rebuild that completes it takes the default
            cls.model_rebuild(force=True)


_RESERVED = frozenset(name for name in vars(Model) if not name.startswith("__")) | {"objects", "pk"}
