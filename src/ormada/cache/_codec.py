"""Rows as JSON for a shared store: pydantic-core's JSON, never pickle.

A row is kept as ``[codes, value, ...]``: JSON holds numbers, text, None and JSON
columns as they are; the few driver types JSON has no form for (dates and times,
decimals, UUIDs, bytes) are written as text and tagged in ``codes``, one letter per
value, so they come back as the same Python type. A row holding a value of any other
type is not kept (:func:`encode_rows` answers None): a read then goes to the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pydantic_core

_NATIVE = (type(None), bool, int, str)


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is JSON as it is (a JSON column the driver decoded)."""
    if isinstance(value, _NATIVE) or type(value) is float:
        return True
    if type(value) is list:
        return all(_plain_json(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    return False


def _timedelta(value: dt.timedelta) -> list[int]:
    return [value.days, value.seconds, value.microseconds]


_ENCODERS: dict[type, tuple[str, Callable[[Any], Any]]] = {
    dt.datetime: ("D", dt.datetime.isoformat),
    dt.date: ("d", dt.date.isoformat),
    dt.time: ("t", dt.time.isoformat),
    dt.timedelta: ("T", _timedelta),
    Decimal: ("m", str),
    uuid.UUID: ("u", str),
    bytes: ("b", lambda v: base64.b64encode(v).decode("ascii")),
    memoryview: ("b", lambda v: base64.b64encode(bytes(v)).decode("ascii")),
}

_DECODERS: dict[str, Callable[[Any], Any]] = {
    "D": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "t": dt.time.fromisoformat,
    "T": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "m": Decimal,
    "u": uuid.UUID,
    "b": base64.b64decode,
}


def encode_rows(rows: Sequence[Any]) -> bytes | None:
    """The rows as JSON bytes, or None when a value has no faithful JSON form."""
    out: list[Any] = []
    for row in rows:
        codes: list[str] = []
        values: list[Any] = []
        tagged = False
        for value in row:
            if isinstance(value, _NATIVE) or type(value) is float:
                codes.append("n")
                values.append(value)
                continue
            encoder = _ENCODERS.get(type(value))
            if encoder is not None:
                codes.append(encoder[0])
                values.append(encoder[1](value))
                tagged = True
            elif _plain_json(value):
                codes.append("n")
                values.append(value)
            else:
                return None
        out.append(["".join(codes) if tagged else "", *values])
    return pydantic_core.to_json(out, inf_nan_mode="constants")


def decode_rows(data: bytes | str) -> list[tuple[Any, ...]]:
    """The rows :func:`encode_rows` wrote, as tuples of the original types."""
    rows = []
    for codes, *values in pydantic_core.from_json(data, allow_inf_nan=True):
        if codes:
            for i, code in enumerate(codes):
                if code != "n" and values[i] is not None:
                    values[i] = _DECODERS[code](values[i])
        rows.append(tuple(values))
    return rows
