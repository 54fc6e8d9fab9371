"""``select_related``: which forward relations a read joins, and how its rows split into
the queried model and the related ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ormada import _hydrate as hydrate
from ormada._relations import set_related
from ormada.errors import QueryError
from ormada.query.expressions import Combined, F, Junction, Node
from ormada.query.resolve import closest
from ormada.query.state import Join

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ormada._info import ModelInfo
    from ormada.backends.base import Backend
    from ormada.schema import ColumnSchema

InfoOf = Callable[[type["BaseModel"]], "ModelInfo"]


def resolve_joins(info_of: InfoOf, info: ModelInfo, paths: Sequence[str], known: tuple[Join, ...] = (),
                  select: bool = True) -> tuple[Join, ...]:
    """``known`` plus the joins ``paths`` need (each step of a nested path once), parents
    first. ``select``: the paths of ``select_related``, whose rows are read (forward
    relations only); otherwise paths that filters or ordering cross.

    Raises:
        QueryError: a path names no relation, or ``select`` and a relation to many rows
            (which ``prefetch_related`` loads).
    """
    joins = list(known)
    index = {join.path: i for i, join in enumerate(joins)}
    for path in paths:
        current, parent, outer = info, -1, False
        parts = path.split("__")
        for depth in range(len(parts)):
            name, step = parts[depth], "__".join(parts[:depth + 1])
            relation = current.relations.get(name)
            if relation is None:
                choices = sorted(n for n, r in current.relations.items() if not select or r.kind == "forward")
                hint = closest(name, choices) or (f"; it can join {', '.join(choices)}" if choices else
                                                  "; it has no relations to join")
                call = "select_related" if select else "a lookup"
                raise QueryError(f"{call} {path!r}: {current.name} has no relation {name!r}{hint}")
            forward = relation.kind == "forward"
            if select and not forward:
                what = ("a many-to-many relation" if relation.kind == "m2m" else
                        f"the reverse side of {relation.target.__name__}."
                        f"{relation.partner.name if relation.partner else relation.key}")
                raise QueryError(f"select_related({path!r}): {current.name}.{name} is {what}; "
                                 f"a JOIN reads one related row, so use prefetch_related({path!r})")
            outer = outer or relation.nullable or not forward
            target = info_of(relation.target)
            if relation.kind == "m2m":  # through the junction: owner -> links -> rows
                assert relation.through is not None
                link = f"{step}+"  # no lookup path names it
                if link not in index:
                    index[link] = len(joins)
                    joins.append(Join(link, parent, "", relation.key, relation.through_source,
                                      info_of(relation.through), True, False, many=True))
                if step not in index:
                    index[step] = len(joins)
                    joins.append(Join(step, index[link], name, relation.through_target, relation.target_key,
                                      target, True, False, many=True))
                parent, current = index[step], target
                continue
            if step not in index:
                on = (relation.key, relation.target_key) if forward else (relation.target_key, relation.key)
                index[step] = len(joins)
                joins.append(Join(step, parent, name, *on, target, outer, select, many=relation.many))
            elif select and not joins[index[step]].select:  # joined for a filter first: now read too
                joins[index[step]] = replace(joins[index[step]], select=True)
            parent, current = index[step], target
    return tuple(joins)


class ModelScope:
    """The relations lookups may follow from one model (``resolve``'s ``RelationScope``)."""

    def __init__(self, info: ModelInfo, info_of: InfoOf) -> None:
        self.info, self.info_of = info, info_of
        self.model_name, self.table = info.name, info.table
        self.key = info.pk[0] if len(info.pk) == 1 else None

    def relation(self, name: str) -> ModelScope | None:
        relation = self.info.relations.get(name)
        return None if relation is None else ModelScope(self.info_of(relation.target), self.info_of)

    def forward_key(self, name: str) -> tuple[str, str] | None:
        relation = self.info.relations.get(name)
        return (relation.key, relation.target_key) if relation is not None and relation.kind == "forward" else None


def lookup_paths(node: Node | None) -> list[str]:
    """The relation paths the lookups of a filter tree cross (``author`` for ``author__name``,
    or for ``F("author__born")`` in a value)."""
    if node is None:
        return []
    if isinstance(node, Junction):
        return [path for child in node.children for path in lookup_paths(child)]
    paths = [node.field.rpartition("__")[0]] if "__" in node.field else []
    return paths + _expression_paths(node.value)


def _expression_paths(value: Any) -> list[str]:
    if isinstance(value, F):
        return [value.name.rpartition("__")[0]] if "__" in value.name else []
    if isinstance(value, Combined):
        return _expression_paths(value.lhs) + _expression_paths(value.rhs)
    return []


def attach(backend: Backend, info: ModelInfo, joins: tuple[Join, ...], columns: tuple[ColumnSchema, ...],
           rows: Sequence[Sequence[Any]]) -> list[Any]:
    """The instances of a joined read: the queried model's columns come first, then each
    join's, in ``joins`` order; a LEFT JOIN that found nothing gives None."""
    width = len(columns)
    owners = hydrate.shape_rows(backend, info, "models", columns, [row[:width] for row in rows])
    levels: list[list[Any]] = []
    start = width
    for join in joins:
        if not join.select:  # joined for a filter; its parent's level is never needed
            levels.append([])
            continue
        target: ModelInfo = join.target
        names = target.field_names
        end = start + len(names)
        parents = owners if join.parent < 0 else levels[join.parent]
        key_at = names.index(join.on_target)
        present = [i for i, row in enumerate(rows) if row[start + key_at] is not None]
        found = hydrate.shape_rows(backend, target, "models", tuple(target.table.by_name[n] for n in names),
                                   [rows[i][start:end] for i in present])
        related: list[Any] = [None] * len(rows)
        for i, instance in zip(present, found, strict=True):
            related[i] = instance
        for parent, instance in zip(parents, related, strict=True):
            if parent is not None:
                set_related(parent, join.name, instance)
        levels.append(related)
        start = end
    return owners
