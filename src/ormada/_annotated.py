"""Rows of an annotated read (``annotate()``): the annotations' values, read after each
row's columns, become attributes of the instances or keys of the dicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any

from ormada.errors import NotSupported, QueryError
from ormada.query.cte import source_extras
from ormada.query.expressions import Junction, Node
from ormada.query.state import QueryState
from ormada.query.typed import ExistsOf, ExpressionSpec, Match, Resolved, SubqueryOf

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.backends.base import Backend
    from ormada.schema import ColumnSchema

Shaper = Callable[[str, Sequence[Any]], list[Any]]


def annotated_rows(state: QueryState, columns: tuple[ColumnSchema, ...], decoders: tuple[Callable[[Any], Any], ...],
                   rows: Sequence[Any], shape_rows: Shaper) -> list[Any]:
    """``rows`` as the QuerySet asked for them, with their annotations.

    Args:
        state: The query, whose ``annotations`` the rows end with.
        columns: The columns before the annotations.
        decoders: One per annotation, turning what the database returned into its value.
        rows: The rows read.
        shape_rows: Turns rows of the plain columns into instances (``"models"``) or dicts.

    Instances get each annotation as an attribute (not a field: ``model_dump()`` and
    ``save()`` leave it out); dicts, tuples and single values hold the ones
    ``values()``/``values_list()`` named, where they named them (all of them, after the
    fields, for ``values()`` with no fields).
    """
    k = len(decoders)
    # A read from a CTE returns its extra columns (depth) first, then any annotations.
    names = [*source_extras(state), *(spec.name for spec in state.annotations)]
    if state.nearest is not None and state.nearest.distance is not None:
        names.append(state.nearest.distance)  # read after the annotations
    plain = [row[:-k] for row in rows]
    if state.shape == "models":
        found = shape_rows("models", plain)
        # Straight into the instance's dict: pydantic refuses attributes that are not fields.
        # No dict per row on the way: a thousand annotated instances paid a third of their time for it.
        if k == 1:
            name, decode = names[0], decoders[0]
            for instance, row in zip(found, rows, strict=True):
                instance.__dict__[name] = decode(row[-1])
        else:
            pairs = tuple(zip(names, decoders, strict=True))
            for instance, row in zip(found, rows, strict=True):
                fields_of = instance.__dict__
                for (name, decode), value in zip(pairs, row[-k:], strict=True):
                    fields_of[name] = decode(value)
        return found
    extras = [{name: decode(value) for name, decode, value in zip(names, decoders, row[-k:], strict=True)}
              for row in rows]
    dicts = shape_rows("dicts", plain) if columns else [{} for _ in rows]
    # values() with no fields: every field, then every annotation; else what it named.
    order = list(state.columns) if state.columns is not None else [c.name for c in columns] + names
    merged = [{name: (values[name] if name in values else item[name]) for name in order}
              for item, values in zip(dicts, extras, strict=True)]
    if state.shape == "dicts":
        return merged
    if state.shape == "flat":
        return [next(iter(item.values())) for item in merged]
    return [tuple(item.values()) for item in merged]


def refuse_annotated(info: ModelInfo, state: QueryState, action: str) -> QueryState:
    """Writes read no annotations: refuse aggregates rather than drop them silently; expressions
    are left out (the filters naming them hold their expressions).

    Raises:
        QueryError: ``state`` has aggregate annotations.
    """
    if state.annotations and all(isinstance(spec, ExpressionSpec) for spec in state.annotations):
        return state.evolve(annotations=())
    if state.annotations:
        names = ", ".join(spec.name for spec in state.annotations)
        raise QueryError(f"{info.name}.{action}() of a QuerySet annotated with {names}: filter by keys instead, "
                         f"{info.name}.filter(pk__in=...) with the keys read first")
    return state


def refuse_expressions(backend: Backend, info: ModelInfo, state: QueryState, values: Any = None,
                       action: str = "annotate") -> None:
    """Refuses what a backend that computes no expressions (Cassandra) is asked to compute:
    expression annotations, aggregates of expressions, filters on expressions, subqueries,
    and expressions as ``update()`` values.

    Raises:
        NotSupported: naming what was asked and what to do instead.
    """
    computed: list[Any] = []
    asked: list[str] = []
    for spec in state.annotations:
        expression = spec.expression
        if expression is not None:
            computed.append(expression)
            asked.append(f"{action}({spec.name}=...)")
    for match in _matches(state.where):
        computed.append(match)
        asked.append(repr(match))
    for name, value in (values or {}).items():
        if isinstance(value, Resolved):
            computed.append(value)
            asked.append(f"update({name}=...)")
    if not asked:
        return
    if any(_has_subquery(item) for item in computed):
        reason = ("CQL has no subqueries; read the keys first (values_list('key', flat=True)) and filter with "
                  "field__in=[...], or keep what you look up in a table of its own, written with the rows")
    else:
        reason = ("CQL computes no expressions or functions over columns in a query; read the fields and compute "
                  "the value in Python, or store it in a column of its own, written with the row")
    raise NotSupported(f"{info.name}: {', '.join(asked)}: {backend.name} cannot do this: {reason}")


def _has_subquery(item: Any) -> bool:
    if isinstance(item, (SubqueryOf, ExistsOf)):
        return True
    if isinstance(item, (tuple, list)):
        return any(_has_subquery(part) for part in item)
    if is_dataclass(item) and not isinstance(item, type):
        return any(_has_subquery(getattr(item, f.name)) for f in fields(item))
    return False


def _matches(node: Node | None) -> list[Match]:
    if node is None:
        return []
    if isinstance(node, Junction):
        return [match for child in node.children for match in _matches(child)]
    return [node.value] if isinstance(node.value, Match) else []
