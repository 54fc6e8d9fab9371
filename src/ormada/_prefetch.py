"""Loading relations of rows already read: one query per relation and level
(``WHERE key IN (…)``, batched), each row of the answer attached to its owners.

Used by ``prefetch_related`` on a query and by ``fetch_related`` on an instance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ormada._many import RelatedList
from ormada._operations import Operation, fetch
from ormada._relations import Relation, related_store, set_related
from ormada.backends.base import Concurrent
from ormada.errors import QueryError
from ormada.query.expressions import Junction, Lookup
from ormada.query.resolve import closest
from ormada.query.state import EVERY_ROW, Prefetch, QueryState

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.backends.base import Backend

InfoOf = Callable[[type[BaseModel]], "ModelInfo"]
# Keys per IN list: far below every backend's parameter limit, and small enough that a
# database plans each batch as well as a short list.
_KEYS_PER_QUERY = 2_000


@dataclass
class _Node:
    """One relation to load, the query for its rows, and what to load below it."""

    relation: Relation
    state: QueryState = EVERY_ROW
    children: dict[str, _Node] = field(default_factory=dict)


def plan(info_of: InfoOf, info: ModelInfo, lookups: Sequence[str | Prefetch]) -> dict[str, _Node]:
    """The tree of relations ``lookups`` name, from ``info``'s model.

    Raises:
        QueryError: a path names no relation (the message says which names exist).
    """
    tree: dict[str, _Node] = {}
    for lookup in lookups:
        path, state = (lookup.path, lookup.state) if isinstance(lookup, Prefetch) else (lookup, None)
        level, current = tree, info
        parts = path.split("__")
        for depth, name in enumerate(parts):
            relation = current.relations.get(name)
            if relation is None:
                known = sorted(current.relations)
                hint = closest(name, known) or (f"; its relations are {', '.join(known)}" if known else
                                                "; it has no relations")
                raise QueryError(f"prefetch_related({path!r}): {current.name} has no relation {name!r}{hint}")
            node = level.get(name)
            if node is None:
                node = level[name] = _Node(relation)
            if depth == len(parts) - 1 and state is not None:
                model = lookup.queryset.model  # type: ignore[union-attr]  # a state comes with its queryset
                if model is not relation.target:
                    raise QueryError(f"Prefetch({path!r}): the queryset is of {getattr(model, '__name__', model)}, "
                                     f"but {current.name}.{name} holds {relation.target.__name__} rows")
                if state.limit is not None or state.offset is not None:
                    raise QueryError(f"Prefetch({path!r}): a limit or offset would apply to every owner's rows "
                                     "at once; filter and order only")
                node.state = state
            level, current = node.children, info_of(relation.target)
    return tree


def prefetch(backend: Backend, info_of: InfoOf, instances: Sequence[BaseModel], tree: dict[str, _Node]) -> Operation:
    """Loads every relation of ``tree`` onto ``instances`` (and below, onto what was
    loaded). The relations of one level do not depend on each other, so they are yielded
    together: the async runner reads them at the same time."""
    branches = tuple(_branch(backend, info_of, instances, name, node) for name, node in tree.items())
    if len(branches) == 1:
        yield from branches[0]
    elif branches:
        yield Concurrent(branches)
    return instances


def _branch(backend: Backend, info_of: InfoOf, instances: Sequence[BaseModel], name: str, node: _Node) -> Operation:
    """One relation, then the relations below it, on what it loaded."""
    relation = node.relation
    already = _loaded_forward(instances, name, node)
    if already is not None:
        loaded = already
    elif relation.kind == "m2m":
        loaded = yield from _load_many(backend, info_of, instances, name, node)
    else:
        loaded = yield from _load(backend, info_of(relation.target), instances, name, node)
    if node.children and loaded:
        yield from prefetch(backend, info_of, loaded, node.children)
    return loaded


def _loaded_forward(instances: Sequence[BaseModel], name: str, node: _Node) -> list[BaseModel] | None:
    """The related rows of a forward relation every instance holds already (``select_related``
    read them), so that ``prefetch_related`` goes on below them instead of reading them again
    (and dropping what was joined under them); None when they must be read."""
    if node.relation.kind != "forward" or node.state is not EVERY_ROW:
        return None
    rows: dict[int, BaseModel] = {}
    for instance in instances:
        store = related_store(instance)
        if store is None or name not in store:
            return None
        row = store[name]
        if row is not None:
            rows[id(row)] = row
    return list(rows.values())


def _load(backend: Backend, target: ModelInfo, instances: Sequence[BaseModel], name: str,
          node: _Node) -> Operation:
    """Reads the rows of one relation for all ``instances`` and attaches them; returns them."""
    relation = node.relation
    forward = relation.kind == "forward"
    # Forward: the owners hold the key, the rows are found by the field it refers to.
    # Reverse: the rows hold the key, which refers to the owners' field.
    owner_field, row_field = ((relation.key, relation.target_key) if forward else
                              (relation.target_key, relation.key))
    rows: list[BaseModel] = yield from _read_by(backend, target, node.state, row_field,
                                                _keys(instances, owner_field))
    if forward:
        by_key = {row.__dict__[row_field]: row for row in rows}
        for instance in instances:
            set_related(instance, name, by_key.get(instance.__dict__.get(owner_field)))
        return rows
    groups: dict[Any, list[BaseModel]] = {}
    for row in rows:
        groups.setdefault(row.__dict__[row_field], []).append(row)
    partner = relation.partner.name if relation.partner is not None else None
    for instance in instances:
        mine = groups.get(instance.__dict__.get(owner_field), [])
        set_related(instance, name, mine if relation.many else (mine[0] if mine else None))
        if partner is not None:  # each row read knows its owner without another query
            for row in mine:
                set_related(row, partner, instance)
    return rows


def _load_many(backend: Backend, info_of: InfoOf, instances: Sequence[BaseModel], name: str,
               node: _Node) -> Operation:
    """A many-to-many relation: the owners' links from the junction, then the linked rows
    (filtered and ordered as the Prefetch asks), attached to each owner in that order."""
    relation = node.relation
    assert relation.through is not None
    junction, target = info_of(relation.through), info_of(relation.target)
    pairs = QueryState(columns=(relation.through_source, relation.through_target), shape="tuples")
    links: list[tuple[Any, Any]] = yield from _read_by(backend, junction, pairs, relation.through_source,
                                                       _keys(instances, relation.key))
    far = list(dict.fromkeys(link[1] for link in links))
    rows: list[BaseModel] = yield from _read_by(backend, target, node.state, relation.target_key, far)
    position = {row.__dict__[relation.target_key]: (i, row) for i, row in enumerate(rows)}
    groups: dict[Any, list[tuple[int, BaseModel]]] = {}
    for source, key in links:
        if key in position:
            groups.setdefault(source, []).append(position[key])
    for instance in instances:
        mine = sorted(groups.get(instance.__dict__.get(relation.key), []), key=lambda pair: pair[0])
        set_related(instance, name, RelatedList((row for _, row in mine), instance, relation))
    return rows


def _keys(instances: Sequence[BaseModel], field: str) -> list[Any]:
    """The distinct values of ``field`` on ``instances``, None left out, in order."""
    return list(dict.fromkeys(v for x in instances if (v := x.__dict__.get(field)) is not None))


def _read_by(backend: Backend, info: ModelInfo, state: QueryState, field: str, keys: list[Any]) -> Operation:
    """The rows of ``state`` whose ``field`` is one of ``keys``, one IN list per batch."""
    rows: list[Any] = []
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        batch = Lookup(field, "in", keys[start:start + _KEYS_PER_QUERY])
        where = batch if state.where is None else Junction("and", (state.where, batch))
        rows.extend((yield from fetch(backend, info, state.evolve(where=where))))
    return rows


def path_loaded(instance: BaseModel, path: str) -> bool:
    """Whether every step of ``path`` (``"books__tags"``) is loaded: the first relation on
    ``instance`` and each next one on every row the step before loaded."""
    name, _, rest = path.partition("__")
    store = related_store(instance)
    if store is None or name not in store:
        return False
    if not rest:
        return True
    value = store[name]
    rows = [] if value is None else [value] if isinstance(value, BaseModel) else value
    return all(path_loaded(row, rest) for row in rows)


def then_prefetch(backend: Backend, info_of: InfoOf, info: ModelInfo, state: QueryState,
                  read: Operation) -> Operation:
    """``read``, then the relations ``state`` asks for, loaded onto its instances."""
    if not state.prefetch or state.shape != "models":
        return read
    return _prefetched(backend, info_of, info, state, read)


def _prefetched(backend: Backend, info_of: InfoOf, info: ModelInfo, state: QueryState,
                read: Operation) -> Operation:
    found = yield from read
    instances = found if isinstance(found, list) else [found] if found is not None else []
    if instances:
        yield from prefetch(backend, info_of, instances, plan(info_of, info, state.prefetch))
    return found
