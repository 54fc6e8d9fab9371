"""Values to and from text, so that what ``dump`` writes ``load`` reads back exactly.

Out: bytes as base64, ``Decimal`` as its exact text, datetimes, dates and times in ISO
8601 (an aware datetime keeps its offset, a naive one has none), UUIDs in their canonical
form, enums by value, collections and nested models as JSON. In: each column's text is
turned back into what the model validates (base64 into bytes, JSON into lists and dicts),
and the model's own field types do the rest.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import enum
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ormada.schema import ColumnSchema

Decoder = Callable[[Any], Any]


def _iso(value: dt.date | dt.time) -> str:
    return value.isoformat()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_PLAIN: dict[type, Callable[[Any], Any]] = {
    str: lambda v: v, int: lambda v: v, float: lambda v: v, bool: lambda v: v,
    decimal.Decimal: str, uuid.UUID: str, bytes: _b64, bytearray: _b64, memoryview: lambda v: _b64(bytes(v)),
    dt.datetime: _iso, dt.date: _iso, dt.time: _iso,
}


def to_json(value: Any) -> Any:
    """``value`` as something :func:`json.dumps` writes and :func:`from_text` reads back exactly."""
    if value is None:
        return None
    plain = _PLAIN.get(type(value))
    if plain is not None:
        return plain(value)
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, dict):
        return {str(to_json(k)): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_json(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "model_dump"):  # a nested pydantic model or user type
        return to_json(value.model_dump())
    if isinstance(value, dt.timedelta):
        from pydantic import TypeAdapter

        return TypeAdapter(dt.timedelta).dump_python(value, mode="json")
    for kind, plain in _PLAIN.items():  # subclasses (a str enum's value, pendulum datetimes…)
        if isinstance(value, kind):
            return plain(value)
    return str(value)


def to_text(value: Any) -> str:
    """``value`` as one CSV cell or table cell: JSON text for collections, ``true``/``false``."""
    if isinstance(value, str):
        return value
    encoded = to_json(value)
    if isinstance(encoded, str):
        return encoded
    if isinstance(encoded, float):
        return repr(encoded)
    return json.dumps(encoded, ensure_ascii=False)


# CSV has no null: ``\N`` (as PostgreSQL's COPY writes it) stands for one, and a text that is
# a backslash run and an N gets one more backslash, so every text reads back as itself.
NULL = "\\N"


def csv_cell(value: Any) -> str:
    """``value`` as a CSV cell that :func:`decoder` reads back exactly (``\\N`` for None)."""
    if value is None:
        return NULL
    text = to_text(value)
    if text[:1] == "\\" and text[-1:] == "N" and text.strip("\\") == "N":
        return "\\" + text
    return text


def _unescape(value: str) -> Any:
    if value == NULL:
        return None
    if value[-1:] == "N" and value.strip("\\") == "N":
        return value[1:]
    return value


# Kinds whose values arrive from CSV as JSON text.
_JSON_KINDS = frozenset({"json", "list", "set", "map", "tuple", "user_type", "vector"})


def decoder(column: ColumnSchema, from_csv: bool) -> Decoder | None:
    """What turns a file's value of ``column`` into what the model validates (None: as it is).

    In CSV, ``\\N`` is None, and so is an empty cell of a nullable column that does not hold
    text (an empty text stays ``""``).

    Raises (from the decoder):
        ValueError: the text is not base64 or JSON as the column needs; the message says which.
    """
    kind = column.type.kind.value
    convert = converter(column, kind, from_csv)
    if not from_csv:
        return convert
    blank_is_null = column.nullable and kind != "text"

    def from_cell(value: Any) -> Any:
        if value[:1] == "\\":
            value = _unescape(value)
            if value is None:
                return None
        elif value == "" and blank_is_null:
            return None
        return value if convert is None else convert(value)

    return from_cell


def converter(column: ColumnSchema, kind: str, from_csv: bool) -> Decoder | None:
    """What turns a value that is neither null nor escaped into what the model validates
    (base64 into bytes, JSON text into collections, an enum's text into its value), or None."""
    if kind == "bytes":
        def decode(value: Any) -> Any:
            if value is None:
                return None
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise ValueError(f"not base64 text: {value!r}") from None
        return decode
    if from_csv and kind in _JSON_KINDS:
        def parse(value: Any) -> Any:
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError(f"not JSON text: {value!r}") from None
        return parse
    if kind == "enum" and column.type.enum_type is not None:
        by_text = {str(member.value): member.value for member in column.type.enum_type}
        return lambda value: by_text.get(value, value) if isinstance(value, str) else value
    return None
