"""``Model.get(<primary key>=…)`` answered by an in-process read cache before any query is built.

A cached ``get()`` by primary key is the read a cache serves most. Through the general
path a hit still builds a QuerySet, checks the value, builds the statement, drives the
runner and hydrates the row again. Here, per model, what does not change from one call
to the next (the database, the keyed plan's text, the tables it names, the hydrator) is
worked out once (a :class:`_Route`, dropped whenever ``caching.settings.epoch`` moves), and
a hit asks the store for the entry the general path keeps, under the same key: the
statement's text, its values and the tables' versions. So the same writes invalidate it,
and an entry either path made serves the other. The row is hydrated once per entry, and the
store keeps, beside the entry, a function copying that instance; each hit returns a new copy,
with its own field dict, its own copies of values changeable in place, and the snapshot that
change tracking compares against.

Anything else goes the general way: other lookups, a value not of the key's own type
(validation might change it), a transaction in force (its reads must see its own writes),
replicas, a store without :meth:`KeyedStore.lookup_keyed` (Redis: a hit there is a round
trip anyway), a miss.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from decimal import Decimal
from enum import Enum
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
_SHARED = (str, int, float, bytes, bool, type(None), Decimal, dt.date, dt.time, dt.timedelta, uuid.UUID, Enum)


class _Route:
    """What a cached ``get()`` of one model needs, worked out once per epoch."""

    __slots__ = ("derive", "encoded", "epoch", "info", "key", "key_type", "lookup", "params", "scope", "tables",
                 "text", "transaction")

    def __init__(self, epoch: int, key: str, key_type: type, transaction: ContextVar[Any] | None,
                 params: Callable[[Any], Any] | None, lookup: Callable[..., Any] | None, scope: str, text: str,
                 tables: tuple[str, ...], derive: Callable[[Any], list[Any]] | None, info: ModelInfo | None) -> None:
        self.epoch = epoch
        self.key = key  # the primary key's field
        self.key_type = key_type  # the only type of value taken as it is
        self.transaction = transaction  # the database's transaction in force, if any
        self.params = params  # the keyed plan's parameters for the key's values
        self.encoded: dict[Any, tuple[Any, ...]] = {}  # those parameters by key value, as worked out before
        self.lookup = lookup  # the store's lookup_keyed
        self.scope = scope  # the database's, in the store's keys
        self.text = text  # the keyed plan's statement
        self.tables = tables  # the tables it names, whose versions key the entry
        self.derive = derive  # the cached rows as templates (or instances, unless one row)
        self.info = info


class _Never:
    """The key type of a model whose gets go the general way: no value is of it."""


def _general(epoch: int) -> _Route:
    return _Route(epoch, "", _Never, None, None, None, "", "", (), None, None)


def _new_route(epoch: int, info: ModelInfo, db: Database, lookup: Callable[..., Any], key: str, key_type: type,
               plan: Any, tables: tuple[str, ...]) -> _Route:
    hydrate = hydrator(db.backend, info, plan.columns)
    template = _templates(info.model)

    def derive(rows: Any) -> list[Any]:
        # One row (the usual answer): a function making copies of it; none or several: the
        # instances, for the error (or the None of get_or_none) the general path gives.
        found = hydrate(rows)
        return [template(found[0])] if len(found) == 1 else found

    return _Route(epoch, key, key_type, db._transaction, plan.params, lookup, db._cache_scope, plan.text, tables,
                  derive, info)


# The routes by model class (configuring a model moves the epoch); a model whose gets go the
# general way in this epoch has one that no value matches.
_routes: dict[type[BaseModel], _Route] = {}


def _route(model: type[BaseModel]) -> _Route:
    epoch = settings.epoch
    info = model.__dict__.get("__ormada__")
    # Not configured yet (or abstract): the general path configures it, or says why not.
    route = (_build(info, epoch) if isinstance(info, ModelInfo) else None) or _general(epoch)
    if len(_routes) > 10_000:  # models defined while a program runs: forget the old ones
        _routes.clear()
    if info is not None:
        _routes[model] = route
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
    return _new_route(epoch, info, db, lookup, key, key_type, plan, tables)


def cached_get(model: type[BaseModel], lookups: dict[str, Any], missing_ok: bool) -> Any:
    """What ``model.get(**lookups)`` (``get_or_none`` when ``missing_ok``) answers from an
    in-process cache, or :data:`MISS` when the general path must run. Sync and async code
    alike: the stores it asks do no I/O."""
    # The hit path is written out flat: each call or attribute read here costs a measurable
    # share of a hit (benchmarks/cache.py).
    route = _routes.get(model)
    if route is None or route.epoch != settings.epoch:
        route = _route(model)
    if len(lookups) != 1:
        return MISS
    value = lookups.get(route.key, MISS)
    if type(value) is not route.key_type:  # also MISS, or any value for a model without a route
        return MISS
    tx = route.transaction.get()  # type: ignore[union-attr]
    if tx is not None and not tx.closed:
        return MISS
    # Encoding a value of the key's own type gives the same parameters each time: a hot
    # key is encoded once (the encoder is most of a hit's cost otherwise).
    values = route.encoded.get(value)
    if values is None:
        values = _encode(route, value)
        if values is None:
            return MISS
    found = route.lookup(route.scope, route.text, values, route.tables, route.derive)  # type: ignore[misc]
    if found is MISS:
        return MISS
    if len(found) == 1:
        return found[0]()
    return one(route.info, found, Lookup(route.key, "exact", value), missing_ok)  # type: ignore[arg-type]


def _encode(route: _Route, value: Any) -> tuple[Any, ...] | None:
    """The keyed plan's parameters for ``value``, kept for the next get of it; None when
    the column cannot hold it (the general path reports that)."""
    try:
        values = tuple(route.params((value,)))  # type: ignore[misc]
    except OrmadaError:
        return None
    if len(route.encoded) >= 4096:
        route.encoded.clear()
    route.encoded[value] = values
    return values


def _templates(model: type[BaseModel]) -> Callable[[BaseModel], Callable[[], Any]]:
    """A function turning an instance of ``model`` (or of a subclass) made from a cached row
    into a function making new instances like it: the values and snapshot it holds are shared
    by them (as the hydrator shares a row's), except values changeable in place, which each
    new instance gets a copy of. The slots are written as the hydrator writes them."""
    setters = {local: slot_setter(model, slot) for local, slot in INSTANCE_SLOTS.items()}
    set_dict, set_fields_set, set_extra = setters["set_dict"], setters["set_fields_set"], setters["set_extra"]
    set_private, set_row, set_layout = setters["set_private"], setters["set_row"], setters["set_layout"]
    set_related = setters["set_related"]
    deepcopy = copy.deepcopy

    def template(instance: BaseModel) -> Callable[[], Any]:
        klass = type(instance)  # a polymorphic model's row may be of a subclass
        new = klass.__new__
        values = instance.__dict__
        fresh = tuple(name for name, value in values.items()
                      if not isinstance(value, _SHARED))
        fields_set = instance.__pydantic_fields_set__
        # A set holding every field only ever stays as it is, so the copies may share it.
        shared_set = fields_set >= klass.model_fields.keys()
        row = instance._ormada_row  # type: ignore[attr-defined]
        layout = instance._ormada_layout  # type: ignore[attr-defined]
        private = klass.__private_attributes__
        related = bool(getattr(klass, "__ormada_relation_names__", None))
        if fresh or not shared_set or private or related:
            def make() -> Any:
                instance = new(klass)
                own = values.copy()
                for name in fresh:
                    own[name] = deepcopy(own[name])
                set_dict(instance, own)
                set_fields_set(instance, fields_set if shared_set else set(own))
                set_extra(instance, None)
                set_private(instance, {k: v.get_default() for k, v in private.items()} if private else None)
                set_row(instance, row)
                set_layout(instance, layout)
                if related:
                    set_related(instance, None)
                return instance

            return make

        def make_plain() -> Any:  # the common case, straight
            instance = new(klass)
            set_dict(instance, values.copy())
            set_fields_set(instance, fields_set)
            set_extra(instance, None)
            set_private(instance, None)
            set_row(instance, row)
            set_layout(instance, layout)
            return instance

        return make_plain

    return template
