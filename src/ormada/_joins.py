"""``select_related``: which forward relations a read joins, and how its rows split into
the queried model and the related ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ormada import _hydrate as hydrate
from ormada._relations import set_related
from ormada.errors import QueryError
from ormada.query.resolve import closest
from ormada.query.state import Join

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ormada._info import ModelInfo
    from ormada.backends.base import Backend
    from ormada.schema import ColumnSchema

InfoOf = Callable[[type["BaseModel"]], "ModelInfo"]


def resolve_joins(info_of: InfoOf, info: ModelInfo, paths: Sequence[str],
                  known: tuple[Join, ...] = ()) -> tuple[Join, ...]:
    """``known`` plus the joins ``paths`` need (each step of a nested path once), parents first.

    Raises:
        QueryError: a path names no relation, or a relation to many rows (which
            ``prefetch_related`` loads).
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
                forward = sorted(n for n, r in current.relations.items() if r.kind == "forward" and not r.many)
                hint = closest(name, forward) or (f"; it can join {', '.join(forward)}" if forward else
                                                  "; it has no foreign keys to join")
                raise QueryError(f"select_related({path!r}): {current.name} has no relation {name!r}{hint}")
            if relation.kind != "forward":
                raise QueryError(
                    f"select_related({path!r}): {current.name}.{name} is the reverse side of "
                    f"{relation.target.__name__}.{relation.partner.name if relation.partner else relation.key}; "
                    f"a JOIN reads one related row, so use prefetch_related({path!r})"
                )
            outer = outer or relation.nullable
            target = info_of(relation.target)
            if step not in index:
                index[step] = len(joins)
                joins.append(Join(step, parent, name, relation.key, relation.target_key, target, outer))
            parent, current = index[step], target
    return tuple(joins)


def attach(backend: Backend, info: ModelInfo, joins: tuple[Join, ...], columns: tuple[ColumnSchema, ...],
           rows: Sequence[Sequence[Any]]) -> list[Any]:
    """The instances of a joined read: the queried model's columns come first, then each
    join's, in ``joins`` order; a LEFT JOIN that found nothing gives None."""
    width = len(columns)
    owners = hydrate.shape_rows(backend, info, "models", columns, [row[:width] for row in rows])
    levels: list[list[Any]] = []
    start = width
    for join in joins:
        target: ModelInfo = join.target
        names = target.field_names
        end = start + len(names)
        parents = owners if join.parent < 0 else levels[join.parent]
        key_at = names.index(join.target_key)
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
