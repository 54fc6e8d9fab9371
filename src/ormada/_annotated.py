"""Rows of an annotated read (``annotate()``): the annotations' values, read after each
row's columns, become attributes of the instances or keys of the dicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ormada.errors import QueryError
from ormada.query.cte import source_extras
from ormada.query.state import QueryState

if TYPE_CHECKING:
    from ormada._info import ModelInfo
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
    extras = [{name: decode(value) for name, decode, value in zip(names, decoders, row[-k:], strict=True)}
              for row in rows]
    if state.shape == "models":
        found = shape_rows("models", plain)
        for instance, values in zip(found, extras, strict=True):
            # Straight into the instance's dict: pydantic refuses attributes that are not fields.
            instance.__dict__.update(values)
        return found
    dicts = shape_rows("dicts", plain)
    # values() with no fields: every field, then every annotation; else what it named.
    order = list(state.columns) if state.columns is not None else [c.name for c in columns] + names
    merged = [{name: (values[name] if name in values else item[name]) for name in order}
              for item, values in zip(dicts, extras, strict=True)]
    if state.shape == "dicts":
        return merged
    if state.shape == "flat":
        return [next(iter(item.values())) for item in merged]
    return [tuple(item.values()) for item in merged]


def refuse_annotated(info: ModelInfo, state: QueryState, action: str) -> None:
    """Writes read no annotations: refuse rather than drop them silently.

    Raises:
        QueryError: ``state`` has annotations.
    """
    if state.annotations:
        names = ", ".join(spec.name for spec in state.annotations)
        raise QueryError(f"{info.name}.{action}() of a QuerySet annotated with {names}: filter by keys instead, "
                         f"{info.name}.filter(pk__in=...) with the keys read first")
