"""How SQLite, PostgreSQL and MySQL/MariaDB read date parts and values inside JSON documents: the
:class:`~ormada.backends._sql.transforms.TransformDialect` of each SQL backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ormada.backends._sql.codecs import json_text
from ormada.backends._sql.transforms import Bind
from ormada.errors import NotSupported
from ormada.query.transforms import json_kind

_ONE: sa.ColumnClause[Any] = sa.literal_column("1")


# -- SQLite ---------------------------------------------------------------------------
#
# strftime() and date() read every text form of a timestamp ("T" or " ", "Z" or an
# offset, which they convert to UTC), so a date part is right whatever client wrote the
# text; a range on the text is not where an offset is stored, hence exact_ranges = False.
# They round a fraction of a second to the millisecond, though: 23:59:59.9995 would be
# read as the next second, hence the next minute, hour, day and year. No date part needs
# the fraction, so it is cut out of the text (digits and all, whatever their number)
# before these functions see it, keeping what follows it ("Z", "+05:30").

SQLITE_PARTS = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "week_day": "%w"}
# json_type() names, by the JSON type of the value compared.
SQLITE_JSON_TYPES = {"null": ("null",), "boolean": ("true", "false"), "number": ("integer", "real"),
                     "string": ("text",), "object": ("object",), "array": ("array",)}


def sqlite_whole_seconds(column: Any) -> Any:
    """The text of a timestamp without its fraction of a second: ``substr()`` up to the
    first ``.`` (the whole text where there is none), then what follows the fraction's
    digits (an offset, ``Z``, or nothing)."""
    dot = sa.func.instr(column.op("||", return_type=sa.String())(sa.literal_column("'.'")), sa.literal_column("'.'"))
    before = sa.func.substr(column, _ONE, dot - _ONE)
    after = sa.func.ltrim(sa.func.substr(column, dot + _ONE), sa.literal_column("'0123456789'"))
    return before.op("||", return_type=sa.String())(after)


def sqlite_json_path(path: tuple[str | int, ...], model: str, field: str) -> str:
    """SQLite's JSON path text: ``$."a"[0]``; keys are quoted, so any key but one
    holding a double quote (which SQLite's paths cannot name) is found."""
    text = "$"
    for step in path:
        text += _sqlite_step(step, model, field)
    return text


def _sqlite_step(step: str | int, model: str, field: str) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    if '"' in step:
        raise NotSupported(f"{model}.{field}: SQLite's JSON paths cannot name the key {step!r}, which holds a "
                           "double quote; rename the key, or use PostgreSQL")
    return f'."{step}"'


class StructuralContainment:
    """JSON containment as JSONB's @> defines it, written out from the value's structure:
    an object holds each key given with a value holding the one given; an array holds,
    for each item given, some item holding it; a scalar is equal (and, at the top, may
    also be an item of an array). The shape is the value's structure; keys and scalars
    are bound. Subclasses say how a key step is written, how a path is extended, how the
    items of an array are listed and how a scalar is compared."""

    def json_scalar(self, value: Any, kind: str) -> Any:
        raise NotImplementedError

    def json_typed(self, column: Any, path: Any, kind: str | None) -> Any:
        raise NotImplementedError

    def _key_step(self, key: str, model: str, field: str) -> str:
        """The bound path step naming an object's key."""
        raise NotImplementedError

    def _child(self, path: Any, step: Any) -> Any:
        """The path ``step`` (a bind) leads to from ``path``."""
        raise NotImplementedError

    def _items(self, column: Any, path: Any) -> tuple[Any, Any]:
        """A FROM of the items of the array at ``path``, and the path of its item."""
        raise NotImplementedError

    def _equal(self, column: Any, path: Any, kind: str, bound: Any) -> Any:
        """The scalar of JSON type ``kind`` at ``path`` equals ``bound``."""
        raise NotImplementedError

    def json_contains_values(self, path: tuple[str | int, ...], value: Any, values: list[Any],
                             model: str, field: str) -> Hashable:
        kind = json_kind(f"{model}.{field}__contains", value)
        return ("top", self._structure(value, kind, values, model, field))

    def _structure(self, value: Any, kind: str, values: list[Any], model: str, field: str) -> Hashable:
        owner = f"{model}.{field}__contains"
        if kind == "object":
            parts = []
            for key, item in value.items():
                if not isinstance(key, str):
                    raise NotSupported(f"{owner}: JSON object keys are strings, not {key!r}")
                values.append(self._key_step(key, model, field))
                parts.append(self._structure(item, json_kind(owner, item), values, model, field))
            return ("object", tuple(parts))
        if kind == "array":
            return ("array", tuple(self._structure(item, json_kind(owner, item), values, model, field)
                                   for item in value))
        if kind != "null":
            values.append(self.json_scalar(value, kind))
        return kind

    def json_contains(self, column: Any, path: Any, shape: Any, binds: Bind) -> Any:
        _, structure = shape
        if isinstance(structure, str) and structure not in ("object", "array"):
            each, item = self._items(column, path)
            # Bound once, used in both branches: the value itself, or an item of the array there.
            scalar = binds() if structure != "null" else None
            return sa.or_(self._scalar(column, path, structure, scalar),
                          sa.and_(self.json_typed(column, path, "array"),
                                  sa.exists(sa.select(_ONE).select_from(each)
                                            .where(self._scalar(column, item, structure, scalar)))))
        return self._holds(column, path, structure, binds)

    def _holds(self, column: Any, path: Any, structure: Any, binds: Bind) -> Any:
        kind = structure if isinstance(structure, str) else structure[0]
        if kind == "object":
            tests = [self.json_typed(column, path, "object")]
            for part in structure[1]:
                tests.append(self._holds(column, self._child(path, binds(sa.String())), part, binds))
            return sa.and_(*tests)
        if kind == "array":
            tests = [self.json_typed(column, path, "array")]
            for part in structure[1]:
                each, item = self._items(column, path)
                inner = self._holds(column, item, part, binds)
                tests.append(sa.exists(sa.select(_ONE).select_from(each).where(inner)))
            return sa.and_(*tests)
        return self._scalar(column, path, kind, None if kind == "null" else binds())

    def _scalar(self, column: Any, path: Any, kind: str, bound: Any) -> Any:
        typed = self.json_typed(column, path, kind)
        if bound is None:
            return typed
        return sa.and_(typed, self._equal(column, path, kind, bound))


class SqliteTransforms(StructuralContainment):
    """Date parts through strftime(), JSON values through json_extract() and json_type()."""

    exact_ranges = False
    path_type = sa.String()

    def date_part(self, column: Any, part: str) -> Any:
        whole = sqlite_whole_seconds(column)
        if part == "date":
            return sa.func.date(whole)
        extracted = sa.cast(sa.func.strftime(sa.literal_column(f"'{SQLITE_PARTS[part]}'"), whole), sa.Integer)
        return extracted + _ONE if part == "week_day" else extracted  # %w: 0 = Sunday

    def date_value(self, value: dt.date) -> Any:
        return value.isoformat()

    def date_trunc(self, column: Any, unit: str) -> Any:
        whole = sqlite_whole_seconds(column)
        if unit == "hour":  # in the stored form (" ", no fraction, no offset: UTC for an aware value)
            return sa.func.strftime(sa.literal_column("'%Y-%m-%d %H:00:00'"), whole)
        return sa.func.date(whole, sa.literal_column(f"'start of {unit}'"))

    def json_path(self, path: tuple[str | int, ...], model: str, field: str) -> Any:
        return sqlite_json_path(path, model, field)

    def json_at(self, column: Any, path: Any) -> Any:
        return sa.func.json_extract(column, path)

    def json_typed(self, column: Any, path: Any, kind: str | None) -> Any:
        found = sa.func.json_type(column, path)
        if kind is None:
            return found.is_not(None)
        names: list[sa.ColumnClause[Any]] = [sa.literal_column(f"'{name}'") for name in SQLITE_JSON_TYPES[kind]]
        return found == names[0] if len(names) == 1 else found.in_(names)

    def json_operand(self, column: Any, path: Any, kind: str) -> Any:
        # json_extract() gives SQL values: integers and reals, text, 1 and 0 for booleans.
        return sa.func.json_extract(column, path)

    def json_scalar(self, value: Any, kind: str) -> Any:
        if kind == "number" and not isinstance(value, (int, float)):
            return float(value)  # a Decimal: sqlite3 binds none
        return int(value) if kind == "boolean" else value

    def json_scalar_type(self, kind: str) -> Any:
        return None

    def json_has_values(self, path: tuple[str | int, ...], op: str, keys: tuple[str, ...],
                        model: str, field: str) -> list[Any]:
        return [_sqlite_step(key, model, field) for key in keys]

    def json_has(self, column: Any, path: Any, op: str, n: int, binds: Bind) -> Any:
        tests = [sa.func.json_type(column, path.concat(binds(sa.String()))).is_not(None) for _ in range(n)]
        if not tests:
            return sa.true() if op == "has_keys" else sa.false()
        return sa.or_(*tests) if op == "has_any_keys" else sa.and_(*tests)

    def _key_step(self, key: str, model: str, field: str) -> str:
        return _sqlite_step(key, model, field)

    def _child(self, path: Any, step: Any) -> Any:
        return path.concat(step)

    def _items(self, column: Any, path: Any) -> tuple[Any, Any]:
        each = sa.func.json_each(column, path).table_valued("fullkey")
        return each, each.c.fullkey

    def _equal(self, column: Any, path: Any, kind: str, bound: Any) -> Any:
        # json_extract() gives SQL values: integers and reals, text, 1 and 0 for booleans.
        return sa.func.json_extract(column, path) == bound


# -- PostgreSQL -------------------------------------------------------------------------
#
# JSON columns are JSONB: #> reads the value at a path (a text[] bound as one parameter),
# #>> its text, and @>, ?, ?& and ?| are the operators a GIN index serves. EXTRACT and
# ::date read timestamptz in the session's time zone, which ormada sets to UTC.

PG_JSON_TYPES = {"null": "null", "boolean": "boolean", "number": "number", "string": "string",
                 "object": "object", "array": "array"}


class PostgresTransforms:
    """Date parts through EXTRACT, JSON values through JSONB's operators."""

    exact_ranges = True
    path_type = pg.ARRAY(sa.Text())

    def date_part(self, column: Any, part: str) -> Any:
        if part == "date":
            return sa.cast(column, sa.Date)
        if part == "week_day":
            return sa.extract("dow", column) + _ONE  # dow: 0 = Sunday
        return sa.extract(part, column)

    def date_value(self, value: dt.date) -> Any:
        return value

    def date_trunc(self, column: Any, unit: str) -> Any:
        truncated = sa.func.date_trunc(sa.literal_column(f"'{unit}'"), column, type_=column.type)
        return truncated if unit == "hour" else sa.cast(truncated, sa.Date)

    def json_path(self, path: tuple[str | int, ...], model: str, field: str) -> Any:
        return [str(step) for step in path] if path else None  # the whole document needs no path

    def json_at(self, column: Any, path: Any) -> Any:
        return column if path is None else column.op("#>", return_type=pg.JSONB())(path)

    def json_typed(self, column: Any, path: Any, kind: str | None) -> Any:
        value = self.json_at(column, path)
        if kind is None:
            return value.is_not(None)
        return sa.func.jsonb_typeof(value) == sa.literal_column(f"'{PG_JSON_TYPES[kind]}'")

    def json_operand(self, column: Any, path: Any, kind: str) -> Any:
        if kind == "string":  # as text, compared by the database's collation
            return column.op("#>>", return_type=sa.Text())(path if path is not None else sa.literal_column("'{}'"))
        return self.json_at(column, path)  # JSONB compares numbers as numbers

    def json_scalar(self, value: Any, kind: str) -> Any:
        if kind == "string":
            return value
        if isinstance(value, Decimal):  # its text is a JSON number; pydantic would dump a string
            return str(value)
        return json_text(Any, value)

    def json_scalar_type(self, kind: str) -> Any:
        return sa.Text() if kind == "string" else pg.JSONB()

    def json_has_values(self, path: tuple[str | int, ...], op: str, keys: tuple[str, ...],
                        model: str, field: str) -> list[Any]:
        return [keys[0]] if op == "has_key" else [list(keys)]

    def json_has(self, column: Any, path: Any, op: str, n: int, binds: Bind) -> Any:
        value = self.json_at(column, path)
        if op == "has_key":
            return value.op("?", is_comparison=True)(binds(sa.Text()))
        return value.op("?&" if op == "has_keys" else "?|", is_comparison=True)(binds(self.path_type))

    def json_contains_values(self, path: tuple[str | int, ...], value: Any, values: list[Any],
                             model: str, field: str) -> Hashable:
        values.append(json_text(Any, value))
        return "jsonb"

    def json_contains(self, column: Any, path: Any, shape: Any, binds: Bind) -> Any:
        return self.json_at(column, path).op("@>", is_comparison=True)(binds(pg.JSONB()))


# -- MySQL and MariaDB -------------------------------------------------------------------
#
# DATETIME(6) holds aware values in UTC (the backend converts them; sessions run in UTC)
# and naive ones as given, in time order, so a range on the column is exact. JSON columns
# hold text (MariaDB's JSON is LONGTEXT with a JSON_VALID check; MySQL 8's is binary JSON):
# JSON_EXTRACT reads the value at a path, JSON_TYPE names its type, JSON_UNQUOTE gives a
# string's text. JSON_CONTAINS is not JSONB's @> (it finds [3] in [[3]], and an item
# anywhere in an array at any depth), so containment is written out as on SQLite, with
# JSON_TABLE for "some item of the array there".

MYSQL_PARTS = {"year": "year", "month": "month", "day": "dayofmonth", "hour": "hour", "minute": "minute",
               "week_day": "dayofweek"}  # DAYOFWEEK: 1 = Sunday … 7 = Saturday, as week_day
# JSON_TYPE() names, by the JSON type of the value compared; MySQL 8 also says DECIMAL
# and UNSIGNED INTEGER (not run here: no MySQL 8 server is tested).
MYSQL_JSON_TYPES = {"null": ("NULL",), "boolean": ("BOOLEAN",),
                    "number": ("INTEGER", "DOUBLE", "DECIMAL", "UNSIGNED INTEGER"), "string": ("STRING",),
                    "object": ("OBJECT",), "array": ("ARRAY",)}


def _mysql_step(step: str | int) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    return '."' + step.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MysqlTransforms(StructuralContainment):
    """Date parts through YEAR(), MONTH(), DAYOFMONTH(), DAYOFWEEK(), HOUR(), MINUTE() and
    DATE(); JSON values through JSON_EXTRACT(), JSON_TYPE() and JSON_UNQUOTE()."""

    exact_ranges = True
    path_type = sa.String()

    def date_part(self, column: Any, part: str) -> Any:
        if part == "date":
            return sa.func.date(column)
        return getattr(sa.func, MYSQL_PARTS[part])(column)

    def date_value(self, value: dt.date) -> Any:
        return value

    def date_trunc(self, column: Any, unit: str) -> Any:
        if unit == "hour":  # a DATETIME: the value's midnight plus its hours
            return sa.func.timestampadd(sa.literal_column("HOUR"), sa.func.hour(column), sa.func.date(column),
                                        type_=column.type)
        january = sa.func.makedate(sa.func.year(column), _ONE)  # MAKEDATE(year, day of the year)
        if unit == "year":
            return january
        return sa.func.timestampadd(sa.literal_column("MONTH"), sa.func.month(column) - _ONE, january)

    def json_path(self, path: tuple[str | int, ...], model: str, field: str) -> Any:
        return "$" + "".join(_mysql_step(step) for step in path)

    def json_at(self, column: Any, path: Any) -> Any:
        return sa.func.json_extract(column, path)

    def json_typed(self, column: Any, path: Any, kind: str | None) -> Any:
        found = self.json_at(column, path)
        if kind is None:
            return found.is_not(None)  # a JSON null is the text 'null', not NULL
        names: list[sa.ColumnClause[Any]] = [sa.literal_column(f"'{name}'") for name in MYSQL_JSON_TYPES[kind]]
        typed = sa.func.json_type(found)
        return typed == names[0] if len(names) == 1 else typed.in_(names)

    def json_operand(self, column: Any, path: Any, kind: str) -> Any:
        if kind == "number":  # compared as a number on both servers
            return self.json_at(column, path)
        return sa.func.json_unquote(self.json_at(column, path))  # a string's text; 'true', 'false'

    def json_scalar(self, value: Any, kind: str) -> Any:
        if kind == "boolean":
            return "true" if value else "false"
        return value

    def json_scalar_type(self, kind: str) -> Any:
        return None

    def json_has_values(self, path: tuple[str | int, ...], op: str, keys: tuple[str, ...],
                        model: str, field: str) -> list[Any]:
        return [_mysql_step(key) for key in keys]

    def json_has(self, column: Any, path: Any, op: str, n: int, binds: Bind) -> Any:
        # A key of an object: JSON_CONTAINS_PATH finds none in an array or a scalar.
        one: sa.ColumnClause[Any] = sa.literal_column("'one'")
        tests = [sa.func.json_contains_path(column, one, sa.func.concat(path, binds(sa.String()))) for _ in range(n)]
        if not tests:
            return sa.true() if op == "has_keys" else sa.false()
        return sa.or_(*tests) if op == "has_any_keys" else sa.and_(*tests)

    def _key_step(self, key: str, model: str, field: str) -> str:
        return _mysql_step(key)

    def _child(self, path: Any, step: Any) -> Any:
        return sa.func.concat(path, step)

    def _items(self, column: Any, path: Any) -> tuple[Any, Any]:
        """The items of the array at ``path`` (JSON_TABLE) and the path of each."""
        each = sa.func.json_table(self.json_at(column, path),
                                  sa.literal_column("'$[*]' COLUMNS (n FOR ORDINALITY)")).table_valued("n")
        return each, sa.func.concat(path, sa.literal_column("'['"), each.c.n - _ONE, sa.literal_column("']'"))

    def _equal(self, column: Any, path: Any, kind: str, bound: Any) -> Any:
        return self.json_operand(column, path, kind) == bound
