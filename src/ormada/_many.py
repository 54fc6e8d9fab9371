"""Many-to-many relations: ``book.tags``, its writes (``add``, ``remove``, ``set``,
``clear`` and their async twins) and the statements they send to the junction table.

``book.tags`` is a list of the loaded tags (a :class:`RelatedList`) once loaded, and a
:class:`ManyManager` before: both take the writes, which never need the tags loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ormada import _hooks as hooks
from ormada._operations import Operation
from ormada._relations import Relation, RelationAttribute, forget_related, related_store, saved_key, set_related
from ormada.errors import DataError, NotSupported, RelationNotLoaded
from ormada.query.expressions import Junction, Lookup
from ormada.query.state import QueryState

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.backends.base import Backend


class ManyDescriptor(RelationAttribute):
    """The attribute of a many-to-many relation: the loaded list, or else a manager."""

    def missing(self, instance: BaseModel) -> Any:
        return ManyManager(instance, self.relation)

    def __set__(self, instance: BaseModel, value: Any) -> None:
        raise AttributeError(f"{type(instance).__name__}.{self.relation.name} is a many-to-many relation; "
                             f"change it with .set([...]) / .add(...) / .remove(...) / .clear()")


class _Writes:
    """The writes of ``owner.<relation>``, each in one statement (``set``: two, atomically),
    inside the caller's transaction when there is one."""

    owner: BaseModel
    relation: Relation

    def _plan(self, objs: Iterable[Any]) -> tuple[Any, Any, list[Any]]:
        """The database, the owner's key and the targets' keys of a write."""
        owner, relation = self.owner, self.relation
        db = owner._home()  # type: ignore[attr-defined]
        if not db.backend.supports.joins:
            raise NotSupported(
                f"{type(owner).__name__}.{relation.name}: {db.backend.name} has no many-to-many relations; "
                "model them as a table per query (e.g. books_by_tag and tags_by_book, written together)"
            )
        key = saved_key(owner, relation.key)
        if key is None:
            raise DataError(f"{type(owner).__name__}.{relation.name}: save the {type(owner).__name__} "
                            "before changing its relations")
        keys = []
        for obj in objs:
            if isinstance(obj, BaseModel):
                if not isinstance(obj, relation.target):
                    raise DataError(f"{type(owner).__name__}.{relation.name} holds {relation.target.__name__} "
                                    f"rows, not {type(obj).__name__}: {obj!r}")
                value = saved_key(obj, relation.target_key)
                if value is None:
                    raise DataError(f"{type(owner).__name__}.{relation.name}: the {type(obj).__name__} given is "
                                    "not saved yet; save it first")
                keys.append(value)
            else:
                keys.append(obj)
        return db, key, list(dict.fromkeys(keys))

    def _junction(self) -> ModelInfo:
        through = self.relation.through
        assert through is not None
        return through.__dict__["__ormada__"]  # type: ignore[no-any-return]

    def _write(self, kind: str, objs: Sequence[Any], defaults: dict[str, Any] | None,
               ) -> tuple[Any, Operation, bool, Callable[[], None]]:
        """A write as the runners take it: the database, the operation, whether it must be
        atomic, and what to do to a loaded list once it has run. Written once for both modes."""
        db, key, keys = self._plan(objs)
        junction, relation, backend = self._junction(), self.relation, db.backend
        operation: Operation
        done: Callable[[], None]
        if kind == "add":
            operation, atomic, done = add(backend, junction, relation, key, keys, defaults), False, \
                lambda: self._loaded_add(objs)
        elif kind == "remove":
            operation, atomic, done = remove(backend, junction, relation, key, keys), False, \
                lambda: self._loaded_remove(keys)
        elif kind == "clear":
            operation, atomic, done = remove(backend, junction, relation, key, None), False, \
                lambda: self._loaded_set(())
        else:
            operation, atomic, done = replace_links(backend, junction, relation, key, keys, defaults), True, \
                lambda: self._loaded_set(objs)
        operation, hooked = hooks.linking(self.owner, relation.name, kind, None if kind == "clear" else keys,
                                          operation)
        return db, operation, atomic or hooked, done

    def _run(self, kind: str, objs: Sequence[Any] = (), defaults: dict[str, Any] | None = None) -> None:
        db, operation, atomic, done = self._write(kind, objs, defaults)
        db.run(operation, atomic=atomic)
        done()

    async def _arun(self, kind: str, objs: Sequence[Any] = (), defaults: dict[str, Any] | None = None) -> None:
        db, operation, atomic, done = self._write(kind, objs, defaults)
        await db.arun(operation, atomic=atomic)
        done()

    def add(self, *objs: Any, through_defaults: dict[str, Any] | None = None) -> None:
        """Links these rows (instances or keys); links that exist already are left as they
        are. ``through_defaults`` fills the other columns of a junction model of your own."""
        self._run("add", objs, through_defaults)

    async def aadd(self, *objs: Any, through_defaults: dict[str, Any] | None = None) -> None:
        """The async twin of :meth:`add`."""
        await self._arun("add", objs, through_defaults)

    def remove(self, *objs: Any) -> None:
        """Unlinks these rows (instances or keys)."""
        self._run("remove", objs)

    async def aremove(self, *objs: Any) -> None:
        """The async twin of :meth:`remove`."""
        await self._arun("remove", objs)

    def clear(self) -> None:
        """Unlinks every row."""
        self._run("clear")

    async def aclear(self) -> None:
        """The async twin of :meth:`clear`."""
        await self._arun("clear")

    def set(self, objs: Iterable[Any], through_defaults: dict[str, Any] | None = None) -> None:
        """Links exactly these rows: the others are unlinked, the missing ones linked, in one
        transaction."""
        self._run("set", list(objs), through_defaults)

    async def aset(self, objs: Iterable[Any], through_defaults: dict[str, Any] | None = None) -> None:
        """The async twin of :meth:`set`."""
        await self._arun("set", list(objs), through_defaults)

    # A loaded list follows the writes; keys given without instances make it unknown.
    def _loaded(self) -> RelatedList | None:
        store = related_store(self.owner)
        found = store.get(self.relation.name) if store is not None else None
        return found if isinstance(found, RelatedList) else None

    def _loaded_add(self, objs: Iterable[Any]) -> None:
        loaded = self._loaded()
        if loaded is None:
            return
        if not all(isinstance(o, BaseModel) for o in objs):
            forget_related(self.owner, self.relation.name)
            return
        have = {o.__dict__.get(self.relation.target_key) for o in loaded}
        for obj in objs:
            if obj.__dict__.get(self.relation.target_key) not in have:
                list.append(loaded, obj)

    def _loaded_remove(self, keys: list[Any]) -> None:
        loaded = self._loaded()
        if loaded is not None:
            gone = set(keys)
            loaded[:] = [o for o in loaded if o.__dict__.get(self.relation.target_key) not in gone]

    def _loaded_set(self, objs: Iterable[Any]) -> None:
        objs = list(objs)
        if all(isinstance(o, BaseModel) for o in objs):
            set_related(self.owner, self.relation.name, RelatedList(objs, self.owner, self.relation))
        else:
            forget_related(self.owner, self.relation.name)


class ManyManager(_Writes):
    """``book.tags`` before it is loaded: the writes work; reading says how to load it."""

    def __init__(self, owner: BaseModel, relation: Relation) -> None:
        self.owner, self.relation = owner, relation

    def _refuse(self) -> RelationNotLoaded:
        name, model = self.relation.name, type(self.owner).__name__
        return RelationNotLoaded(
            f"{model}.{name} is not loaded, and ormada never queries behind an attribute: load it with "
            f"prefetch_related({name!r}) on the query, or with fetch_related({name!r}) / "
            f"await afetch_related({name!r}) on the instance"
        )

    def __iter__(self) -> Iterator[Any]:
        raise self._refuse()

    def __len__(self) -> int:
        raise self._refuse()

    def __getitem__(self, index: Any) -> Any:
        raise self._refuse()

    def __repr__(self) -> str:
        return f"<{type(self.owner).__name__}.{self.relation.name}: not loaded>"


class RelatedList(_Writes, list[Any]):
    """``book.tags`` once loaded: the related rows, and the writes, which keep it current
    (``remove`` and ``clear`` are the database writes, not list methods)."""

    def __init__(self, rows: Iterable[Any], owner: BaseModel, relation: Relation) -> None:
        super().__init__(rows)
        self.owner, self.relation = owner, relation


# -- statements ----------------------------------------------------------------------


def _owner_rows(relation: Relation, key: Any, keys: list[Any] | None, keep: bool = False) -> QueryState:
    """The junction rows of one owner (and of these targets, or of all others with ``keep``)."""
    mine = Lookup(relation.through_source, "exact", key)
    if keys is None:
        return QueryState(where=mine)
    if keep and not keys:
        return QueryState(where=mine)
    targets = Lookup(relation.through_target, "in", tuple(keys))
    return QueryState(where=Junction("and", (mine, Junction("and", (targets,), negated=True) if keep else targets)))


def add(backend: Backend, junction: ModelInfo, relation: Relation, key: Any, keys: list[Any],
        defaults: dict[str, Any] | None = None) -> Operation:
    if not keys:
        return None
    columns: tuple[str, ...] = (relation.through_source, relation.through_target)
    rows: list[tuple[Any, ...]] = [(key, k) for k in keys]
    generated = junction.generated_key
    if defaults or any(f.is_required() for n, f in junction.model.model_fields.items() if n not in columns):
        # A junction with columns of its own: each link is built (and validated) as its model.
        links = [junction.model(**{columns[0]: key, columns[1]: k, **(defaults or {})}) for k in keys]
        columns = tuple(n for n in junction.field_names if n != generated)
        rows = [tuple(link.__dict__[n] for n in columns) for link in links]
    yield backend.insert(junction, columns, rows, options={"if_not_exists": True})
    return None


def remove(backend: Backend, junction: ModelInfo, relation: Relation, key: Any, keys: list[Any] | None) -> Operation:
    if keys is None or keys:
        yield backend.delete(junction, _owner_rows(relation, key, keys))
    return None


def replace_links(backend: Backend, junction: ModelInfo, relation: Relation, key: Any, keys: list[Any],
                  defaults: dict[str, Any] | None = None) -> Operation:
    yield backend.delete(junction, _owner_rows(relation, key, keys, keep=True))
    yield from add(backend, junction, relation, key, keys, defaults)
    return None
