"""``Model``: the pydantic base class whose subclasses map to tables.

Defining a subclass builds its table schema once. Every database operation is a
pair, sync and async (``save``/``asave``, ``get``/``aget``…), and both run the
same sans-I/O operation from :mod:`ormada._operations`.
"""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ormada import _operations as ops
from ormada._info import ModelInfo, info_of, register
from ormada._meta import ModelOptions, read_meta
from ormada._schema_builder import build_table_schema
from ormada.database import Database, get_database
from ormada.errors import ConfigurationError, DoesNotExist, MultipleObjectsReturned, OrmadaError, QueryError
from ormada.query.expressions import Q
from ormada.query.queryset import QuerySet
from ormada.query.resolve import closest
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


class Model(BaseModel):
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
    __slots__ = ("_ormada_layout", "_ormada_row")

    __ormada__: ClassVar[ModelInfo]
    __ormada_options__: ClassVar[ModelOptions | None] = None
    __table_schema__: ClassVar[TableSchema]
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
        table = build_table_schema(cls.__name__, cls.model_fields, options)
        if not table.primary_key:
            raise ConfigurationError(
                f"{cls.__name__} has no primary key: mark a field with PrimaryKey(), "
                "e.g. id: Annotated[int | None, PrimaryKey()] = None"
            )
        _default_discriminator(cls)
        cls.__table_schema__ = table
        qualname = cls.__qualname__
        cls.DoesNotExist = type("DoesNotExist", (DoesNotExist,), {"__module__": cls.__module__,
                                                                 "__qualname__": f"{qualname}.DoesNotExist"})
        cls.MultipleObjectsReturned = type("MultipleObjectsReturned", (MultipleObjectsReturned,), {
            "__module__": cls.__module__, "__qualname__": f"{qualname}.MultipleObjectsReturned"})
        cls.__ormada__ = ModelInfo(cls, cls.__name__, options, table, does_not_exist=cls.DoesNotExist,
                                   multiple_objects=cls.MultipleObjectsReturned)
        register(cls.__ormada__)

    def __init__(self, /, **data: Any) -> None:
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self)
        except ValidationError as exc:
            raise _with_field_hints(type(self), exc) from None

    if not TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any:
            if name in type(self).model_fields:
                raise DeferredFieldError(
                    f"{type(self).__name__}.{name} was not loaded (left out by only()/defer()); "
                    "call refresh() or load it"
                )
            return super().__getattr__(name)

    # -- where the model lives -------------------------------------------
    @classmethod
    def database(cls) -> Database:
        """The database this model is bound to (``Meta.database``, default ``"default"``)."""
        info = cls._info()
        return get_database(info.options.database)

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
    def order_by(cls, *fields: str) -> QuerySet[Self]:
        """``QuerySet`` of every row, sorted."""
        return cls.query().order_by(*fields)

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
    def distinct(cls) -> QuerySet[Self]:
        """``QuerySet`` of every row, without duplicates."""
        return cls.query().distinct()

    @classmethod
    def limit(cls, n: int | None) -> QuerySet[Self]:
        """``QuerySet`` of at most ``n`` rows."""
        return cls.query().limit(n)

    @classmethod
    def get(cls, *q: Q, **lookups: Any) -> Self:
        """The one row matching the lookups; raises ``DoesNotExist`` or ``MultipleObjectsReturned``."""
        return cls.query().get(*q, **lookups)

    @classmethod
    async def aget(cls, *q: Q, **lookups: Any) -> Self:
        """The async twin of :meth:`get`."""
        return await cls.query().aget(*q, **lookups)

    @classmethod
    def get_or_none(cls, *q: Q, **lookups: Any) -> Self | None:
        """The one row matching the lookups, or None."""
        return cls.query().get_or_none(*q, **lookups)

    @classmethod
    async def aget_or_none(cls, *q: Q, **lookups: Any) -> Self | None:
        """The async twin of :meth:`get_or_none`."""
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
        return db.run(ops.insert(db.backend, cls._info(), instance))  # type: ignore[no-any-return]

    @classmethod
    async def acreate(cls, **values: Any) -> Self:
        """The async twin of :meth:`create`."""
        instance = cls(**values)
        db = cls.database()
        return await db.arun(ops.insert(db.backend, cls._info(), instance))

    @classmethod
    def bulk_create(cls, instances: Sequence[Self], batch_size: int | None = None) -> list[Self]:
        """Inserts many instances in batches, all or nothing; generated keys are filled in.

        Raises:
            IntegrityError: a row was refused; the message says which, and nothing was written.
        """
        db = cls.database()
        return db.run(ops.bulk_create(db.backend, cls._info(), instances, batch_size), atomic=True)

    @classmethod
    async def abulk_create(cls, instances: Sequence[Self], batch_size: int | None = None) -> list[Self]:
        """The async twin of :meth:`bulk_create`."""
        db = cls.database()
        return await db.arun(ops.bulk_create(db.backend, cls._info(), instances, batch_size), atomic=True)

    @classmethod
    def bulk_update(cls, instances: Sequence[Self], fields: Sequence[str], batch_size: int | None = None) -> int:
        """Writes ``fields`` of each instance, found by primary key, all or nothing; returns the rows changed."""
        db = cls.database()
        return db.run(ops.bulk_update(db.backend, cls._info(), instances, fields, batch_size), atomic=True)  # type: ignore[no-any-return]

    @classmethod
    async def abulk_update(cls, instances: Sequence[Self], fields: Sequence[str],
                           batch_size: int | None = None) -> int:
        """The async twin of :meth:`bulk_update`."""
        db = cls.database()
        return await db.arun(ops.bulk_update(db.backend, cls._info(), instances, fields, batch_size), atomic=True)

    @classmethod
    def upsert(cls, instances: Sequence[Self], conflict: Sequence[str] = (), update: Sequence[str] | None = None,
               batch_size: int | None = None) -> list[Self]:
        """Inserts instances; where ``conflict`` fields (default: the primary key) collide
        with a stored row, updates that row's ``update`` fields (default: all others)."""
        db = cls.database()
        return db.run(ops.upsert(db.backend, cls._info(), instances, conflict, update, batch_size), atomic=True)

    @classmethod
    async def aupsert(cls, instances: Sequence[Self], conflict: Sequence[str] = (),
                      update: Sequence[str] | None = None, batch_size: int | None = None) -> list[Self]:
        """The async twin of :meth:`upsert`."""
        db = cls.database()
        return await db.arun(ops.upsert(db.backend, cls._info(), instances, conflict, update, batch_size), atomic=True)

    # -- one instance ----------------------------------------------------------------
    def save(self, **options: Any) -> Self:
        """Inserts a new instance, or updates only the fields that changed since it was loaded.

        ``options`` are per-write settings a backend may honour (Cassandra: ``ttl``,
        ``timestamp``, ``consistency``, ``timeout``); others refuse them.
        """
        db = self.database()
        return db.run(ops.save(db.backend, self._info(), self, options))  # type: ignore[no-any-return]

    async def asave(self, **options: Any) -> Self:
        """The async twin of :meth:`save`."""
        db = self.database()
        return await db.arun(ops.save(db.backend, self._info(), self, options))

    def insert(self, *, if_not_exists: bool = False, **options: Any) -> bool:
        """Inserts this instance even if it was loaded; with ``if_not_exists=True``, only
        when no row has its key. Returns whether the row was written."""
        db = self.database()
        return db.run(ops.insert_new(db.backend, self._info(), self, if_not_exists, options))  # type: ignore[no-any-return]

    async def ainsert(self, *, if_not_exists: bool = False, **options: Any) -> bool:
        """The async twin of :meth:`insert`."""
        db = self.database()
        return await db.arun(ops.insert_new(db.backend, self._info(), self, if_not_exists, options))

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
        db = self.database()
        return db.run(ops.update_fields(db.backend, self._info(), self, names))  # type: ignore[no-any-return]

    async def aupdate(self, **fields: Any) -> Self:
        """The async twin of :meth:`update`."""
        names = self._assign(fields)
        db = self.database()
        return await db.arun(ops.update_fields(db.backend, self._info(), self, names))

    def delete(self, **options: Any) -> int:
        """Deletes this instance's row; returns 1, or 0 if it was already gone (or, on
        Cassandra with ``if_exists=True`` / ``if_={...}``, if the condition failed)."""
        db = self.database()
        return db.run(ops.delete_instance(db.backend, self._info(), self, options))  # type: ignore[no-any-return]

    async def adelete(self, **options: Any) -> int:
        """The async twin of :meth:`delete`."""
        db = self.database()
        return await db.arun(ops.delete_instance(db.backend, self._info(), self, options))

    def refresh(self) -> Self:
        """Reloads every field from the database."""
        db = self.database()
        return db.run(ops.refresh(db.backend, self._info(), self))  # type: ignore[no-any-return]

    async def arefresh(self) -> Self:
        """The async twin of :meth:`refresh`."""
        db = self.database()
        return await db.arun(ops.refresh(db.backend, self._info(), self))


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
        cls.model_rebuild(force=True)


_RESERVED = frozenset(name for name in vars(Model) if not name.startswith("__")) | {"objects", "pk"}
