"""``Model.get(<primary key>=…)`` answered by an in-process read cache before any query is built.

A cached ``get()`` by primary key is the read a cache serves most. Through the general
path a hit still builds a QuerySet, checks the value, builds the statement, drives the
runner and hydrates the row again. Here, per model, what does not change from one call
to the next (the database, the keyed plan's text, the tables it names, the hydrator) is
worked out once (a :class:`_Route`, dropped whenever ``caching.settings.epoch`` moves), and
a hit asks the store for the entry the general path keeps, under the same key: the
statement's text, its values and the tables' versions. So the same writes invalidate it,
and an entry either path made serves the other. The store keeps, beside the entry, the
instance made from its row once; each hit returns a new instance copied from it, with its
own field dict and change-tracking snapshot.

Anything else goes the general way: other lookups, a value not of the key's own type
(validation might change it), a transaction in force (its reads must see its own writes),
replicas, a store without :meth:`KeyedStore.lookup_keyed` (Redis: a hit there is a round
trip anyway), a miss.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ormada import _caching as caching
from ormada._caching import MISS, policy_for, settings
from ormada._hydrate import INSTANCE_SLOTS, hydrator
from ormada._info import ModelInfo
from ormada._operations import one
from ormada._tracking import slot_setter
from ormada.database import get_database
from ormada.errors import ConfigurationError, OrmadaError
from ormada.query.expressions import Lookup
from ormada.schema import Kind

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ormada.database import Database

__all__ = ["cached_get"]

# Key kinds whose values of exactly this type validate to themselves (or fail the same way
# every time, and then no entry holds them): only such a value can be used as it is.
_KEY_TYPES: dict[Kind, type] = {Kind.INT16: int, Kind.INT32: int, Kind.INT64: int, Kind.TEXT: str,
                                Kind.UUID: uuid.UUID, Kind.TIMEUUID: uuid.UUID}

# Field values shared between the instances copied from one cached row: nothing can change
# them in place (a tuple or frozenset could hold something that can: those are copied).
_SHARED = (str, int, float, bytes, bool, type(None))
_SHARED_TOO = ("Decimal", "date", "datetime", "time", "timedelta", "UUID")


class _Route:
    """What a cached ``get()`` of one model needs, worked out once per epoch."""

    __slots__ = ("copy", "db", "derive", "epoch", "info", "key", "key_type", "lookup", "params", "scope", "tables",
                 "text")

    def __init__(self, epoch: int, info: ModelInfo, db: Database, lookup: Callable[..., Any], key: str,
                 key_type: type, plan: Any, tables: tuple[str, ...]) -> None:
        self.epoch = epoch
        self.info = info
        self.db = db
        self.lookup = lookup
        self.key = key
        self.key_type = key_type
        self.scope = db._cache_scope
        self.text: str = plan.text
        self.params: Callable[[Any], Any] = plan.params
        self.tables = tables
        self.copy = _copier(info.model)
        hydrate = hydrator(db.backend, info, plan.columns)

        def derive(rows: Any) -> list[Any]:
            # One row (the usual answer): a template to copy; none or several: the instances,
            # for the error (or the None of get_or_none) the general path gives.
            found = hydrate(rows)
            return [_Template(found[0])] if len(found) == 1 else found

        self.derive = derive


# The routes by model class (configuring a model moves the epoch), with None for a model
# whose gets go the general way in this epoch.
_routes: dict[type[BaseModel], tuple[int, _Route | None]] = {}


def _route(model: type[BaseModel]) -> _Route | None:
    epoch = settings.epoch
    info = model.__dict__.get("__ormada__")
    # Not configured yet (or abstract): the general path configures it, or says why not.
    route = _build(info, epoch) if isinstance(info, ModelInfo) else None
    if len(_routes) > 10_000:  # models defined while a program runs: forget the old ones
        _routes.clear()
    if route is not None or info is not None:
        _routes[model] = (epoch, route)
    return route


def _build(info: ModelInfo, epoch: int) -> _Route | None:
    lookup = getattr(settings.store, "lookup_keyed", None)
    if lookup is None or len(info.pk) != 1:
        return None
    try:
        if policy_for(info) is None:
            return None
        db = get_database(info.options.database)
    except ConfigurationError:  # the general path says what is wrong
        return None
    # Replicas take turns (and have their own entries); without transactions reads are not cached.
    if db.replicas or not db.backend.supports.transactions:
        return None
    key = info.pk[0]
    key_type = _KEY_TYPES.get(info.table.by_name[key].type.kind)
    plan = db.backend.keyed_select(info, (key,))
    if key_type is None or plan is None:
        return None
    tables = caching.tables.named(db.name, plan.text)
    if not tables:  # the runner does not cache such a read either
        return None
    return _Route(epoch, info, db, lookup, key, key_type, plan, tables)


def cached_get(model: type[BaseModel], lookups: dict[str, Any], missing_ok: bool) -> Any:
    """What ``model.get(**lookups)`` (``get_or_none`` when ``missing_ok``) answers from an
    in-process cache, or :data:`MISS` when the general path must run. Sync and async code
    alike: the stores it asks do no I/O."""
    if settings.store is None or len(lookups) != 1:
        return MISS
    known = _routes.get(model)
    route = known[1] if known is not None and known[0] == settings.epoch else _route(model)
    if route is None:
        return MISS
    for name, value in lookups.items():
        if name != route.key or type(value) is not route.key_type:
            return MISS
        tx = route.db._transaction.get()
        if tx is not None and not tx.closed:
            return MISS
        try:
            params = tuple(route.params((value,)))
        except OrmadaError:  # a value the column cannot hold: the general path reports it
            return MISS
        found = route.lookup(route.scope, route.text, params, route.tables, route.derive)
        if found is MISS:
            return MISS
        if len(found) == 1:
            return route.copy(found[0])
        return one(route.info, found, Lookup(name, "exact", value), missing_ok)
    return MISS


class _Template:
    """An instance made from a cached row, to copy from: the values and snapshot it holds
    are shared by its copies, except those changeable in place, which each copy gets anew."""

    __slots__ = ("fields_set", "fresh", "klass", "layout", "new", "private", "related", "row", "values")

    def __init__(self, instance: BaseModel) -> None:
        self.klass = klass = type(instance)  # a polymorphic model's row may be of a subclass
        self.new = klass.__new__
        self.values = instance.__dict__
        fields_set = instance.__pydantic_fields_set__
        # A set holding every field only ever stays as it is, so copies may share it.
        self.fields_set = fields_set if fields_set >= klass.model_fields.keys() else None
        self.row = instance._ormada_row  # type: ignore[attr-defined]
        self.layout = instance._ormada_layout  # type: ignore[attr-defined]
        self.fresh = tuple(name for name, value in self.values.items()
                           if not isinstance(value, _SHARED) and type(value).__name__ not in _SHARED_TOO)
        self.private = klass.__private_attributes__ or None
        self.related = bool(getattr(klass, "__ormada_relation_names__", None))


def _copier(model: type[BaseModel]) -> Callable[[_Template], Any]:
    """A function copying templates of ``model`` (or of its subclasses) into new instances,
    writing the slots the hydrator writes, through the same setters."""
    setters = {local: slot_setter(model, slot) for local, slot in INSTANCE_SLOTS.items()}
    set_dict, set_fields_set, set_extra = setters["set_dict"], setters["set_fields_set"], setters["set_extra"]
    set_private, set_row, set_layout = setters["set_private"], setters["set_row"], setters["set_layout"]
    set_related = setters["set_related"]
    deepcopy = copy.deepcopy

    def copy_of(template: _Template) -> Any:
        instance = template.new(template.klass)
        values = template.values.copy()
        for name in template.fresh:
            values[name] = deepcopy(values[name])
        set_dict(instance, values)
        fields_set = template.fields_set
        set_fields_set(instance, set(values) if fields_set is None else fields_set)
        set_extra(instance, None)
        private = template.private
        set_private(instance, None if private is None else {k: v.get_default() for k, v in private.items()})
        set_row(instance, template.row)
        set_layout(instance, template.layout)
        if template.related:
            set_related(instance, None)
        return instance

    return copy_of
