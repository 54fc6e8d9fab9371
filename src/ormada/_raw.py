"""Model instances from the rows of a user's own SELECT (``Model.raw``), matched to fields
by column name."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

from ormada import _hydrate as hydrate
from ormada.backends.base import Backend, RawRows, Statement
from ormada.errors import QueryError

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.schema import ColumnSchema


def raw_read(backend: Backend, info: ModelInfo, sql: str, params: dict[str, Any] | None
             ) -> Generator[Statement, Any, list[Any]]:
    """The operation of ``Model.raw(sql, params)``: one statement, its rows as instances.

    Raises:
        QueryError: the parameters are not a dict, the statement returns no rows, or the
            rows lack a required field.
    """
    statement = backend.raw(sql, params)
    statement.fetch = "auto"
    return _read(backend, info, statement)


def _read(backend: Backend, info: ModelInfo, statement: Statement) -> Generator[Statement, Any, list[Any]]:
    rows = yield statement
    if not isinstance(rows, RawRows):  # a row count: the statement returned no rows
        raise QueryError(f"{info.name}.raw() makes instances of the rows of a SELECT; this statement returned "
                         f"none ({statement.text})")
    return instances(backend, info, rows.columns, rows)


def instances(backend: Backend, info: ModelInfo, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """``rows`` with columns ``names`` as instances of ``info``'s model.

    A column named as a field's column (``Column("…")``) or as the field itself fills that
    field (the first such column, where several match); any other column becomes an
    attribute of the instance, as an annotation does. Fields with a default that no
    column fills are not loaded (as with ``only()``).

    Raises:
        QueryError: no column fills the primary key or a field without a default.
    """
    by_column: dict[str, ColumnSchema] = {}
    for column in info.table.columns:
        by_column.setdefault(column.column_name, column)
        by_column.setdefault(column.name, column)
    folded = {name.lower(): column for name, column in by_column.items()}
    picked: list[tuple[int, ColumnSchema]] = []
    extras: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        match = by_column.get(name) or folded.get(name.lower())
        if match is None:
            extras.append((i, name))
        elif match.name not in seen:
            seen.add(match.name)
            picked.append((i, match))
    fields = info.model.model_fields
    missing = [name for name in info.field_names
               if name not in seen and (name in info.pk or (name in fields and fields[name].is_required()))]
    if missing:
        got = ", ".join(names) or "none"
        raise QueryError(f"{info.name}.raw(): the rows have no column for {', '.join(missing)} (columns: {got}); "
                         f"select {'them' if len(missing) > 1 else 'it'}, or rename a column with AS <name>")
    columns = tuple(column for _, column in picked)
    positions = [i for i, _ in picked]
    found = hydrate.hydrator(backend, info, columns)([tuple(row[i] for i in positions) for row in rows])
    if extras:
        for instance, row in zip(found, rows, strict=True):
            # Straight into the instance's dict, as annotations: pydantic refuses attributes that are not fields.
            instance.__dict__.update({name: row[i] for i, name in extras})
    return found
