"""How DuckDB reads date parts and values inside JSON documents: the
:class:`~ormada.backends._sql.transforms.TransformDialect` of the DuckDB backend.

TIMESTAMP and TIMESTAMPTZ are stored in time order, so a range on the raw column
selects exactly a year or a day (``exact_ranges``). year(), month(), day(), hour() and
minute() and a CAST to DATE read a TIMESTAMPTZ in the session's time zone, which the
backend sets to UTC for every connection of the database (``SET GLOBAL TimeZone``), so
the parts of an aware value are its parts in UTC, as on PostgreSQL.

JSON columns are DuckDB's JSON type (its json extension): json_extract() reads the value
at a path (bound as a parameter), json_type() names its type (NULL where there is no
such value), json_extract_string() gives a string's text. Paths are JSON pointers
(``/a/0``): DuckDB's ``$.`` paths cannot name an empty key, a pointer names every key
(``~`` and ``/`` escaped as ``~0`` and ``~1``). A pointer's ``/0`` is an object's key
"0" or an array's first item, as in PostgreSQL's ``#>``; ``has_key`` checks for an
object first. DuckDB's json_contains() is not JSONB's @> (it finds an item at any
depth), so containment is written out from the value's structure, as on SQLite, with
range(json_array_length()) for "some item of the array there".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ormada.backends._sql.dialect_transforms import StructuralContainment
from ormada.backends._sql.transforms import Bind

DUCKDB_PARTS = {"year": "year", "month": "month", "day": "day", "hour": "hour", "minute": "minute",
                "week_day": "dayofweek"}
# json_type() names, by the JSON type of the value compared.
DUCKDB_JSON_TYPES = {"null": ("NULL",), "boolean": ("BOOLEAN",), "number": ("BIGINT", "UBIGINT", "HUGEINT", "DOUBLE"),
                     "string": ("VARCHAR",), "object": ("OBJECT",), "array": ("ARRAY",)}
_ONE: sa.ColumnClause[Any] = sa.literal_column("1")


def json_pointer_step(step: str | int) -> str:
    """A JSON pointer's step: ``/0``, or ``/key`` with ``~`` and ``/`` escaped."""
    return "/" + str(step).replace("~", "~0").replace("/", "~1")


class DuckdbTransforms(StructuralContainment):
    """Date parts through year() … minute(), dayofweek() and CAST AS DATE; JSON values
    through json_extract(), json_type(), json_extract_string() and json_each()."""

    exact_ranges = True
    path_type = sa.String()

    def date_part(self, column: Any, part: str) -> Any:
        if part == "date":
            return sa.cast(column, sa.Date)
        extracted = getattr(sa.func, DUCKDB_PARTS[part])(column)
        return extracted + _ONE if part == "week_day" else extracted  # dayofweek: 0 = Sunday

    def date_value(self, value: dt.date) -> Any:
        return value

    def date_trunc(self, column: Any, unit: str) -> Any:
        truncated = sa.func.date_trunc(sa.literal_column(f"'{unit}'"), column, type_=column.type)
        return truncated if unit == "hour" else sa.cast(truncated, sa.Date)

    def json_path(self, path: tuple[str | int, ...], model: str, field: str) -> Any:
        return "".join(json_pointer_step(step) for step in path)  # "": the whole document

    def json_at(self, column: Any, path: Any) -> Any:
        return sa.func.json_extract(column, path)

    def json_typed(self, column: Any, path: Any, kind: str | None) -> Any:
        found = sa.func.json_type(column, path)  # NULL where there is no value at the path
        if kind is None:
            return found.is_not(None)
        names: list[sa.ColumnClause[Any]] = [sa.literal_column(f"'{name}'") for name in DUCKDB_JSON_TYPES[kind]]
        return found == names[0] if len(names) == 1 else found.in_(names)

    def json_operand(self, column: Any, path: Any, kind: str) -> Any:
        if kind == "number":  # integers and fractions alike; past 2**53 an integer is rounded
            return sa.cast(self.json_at(column, path), sa.Double())
        return sa.func.json_extract_string(column, path)  # a string's text; 'true', 'false'

    def json_scalar(self, value: Any, kind: str) -> Any:
        if kind == "boolean":
            return "true" if value else "false"
        return value

    def json_scalar_type(self, kind: str) -> Any:
        return None

    def json_has_values(self, path: tuple[str | int, ...], op: str, keys: tuple[str, ...],
                        model: str, field: str) -> list[Any]:
        return [json_pointer_step(key) for key in keys]

    def json_has(self, column: Any, path: Any, op: str, n: int, binds: Bind) -> Any:
        # A key of an object: a pointer's /0 would also name an array's first item.
        tests = [sa.func.json_type(column, path.concat(binds(sa.String()))).is_not(None) for _ in range(n)]
        if not tests:
            return sa.true() if op == "has_keys" else sa.false()
        found = sa.or_(*tests) if op == "has_any_keys" else sa.and_(*tests)
        return sa.and_(self.json_typed(column, path, "object"), found)

    def _key_step(self, key: str, model: str, field: str) -> str:
        return json_pointer_step(key)

    def _child(self, path: Any, step: Any) -> Any:
        return path.concat(step)

    def _items(self, column: Any, path: Any) -> tuple[Any, Any]:
        # The indexes of the array's items (none for anything but an array), and each one's path.
        each = sa.func.range(sa.cast(sa.func.json_array_length(column, path), sa.BigInteger())).table_valued("range")
        slash: sa.ColumnClause[Any] = sa.literal_column("'/'")
        return each, path.concat(slash).concat(sa.cast(each.c.range, sa.String()))

    def _equal(self, column: Any, path: Any, kind: str, bound: Any) -> Any:
        return self.json_operand(column, path, kind) == bound
