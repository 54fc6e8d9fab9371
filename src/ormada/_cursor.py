"""Pagination cursors: opaque, signed tokens naming a position in one ordering of one model.

A token holds the values of the ordering keys of a page's boundary row (keyset
pagination), or the server's paging state (Cassandra), with a fingerprint of the model
and the ordering. It is signed with HMAC-SHA256 under the database's cursor secret, so a
token that was altered, signed under another secret, or handed out for another model or
ordering is refused before anything is sent. Tokens are signed, not encrypted: anyone
holding one can decode the boundary row's ordering values, so do not order pages by a
field you would not show.

The secret, in order of precedence: ``ormada.connect(url, cursor_secret=...)``, the
``ORMADA_CURSOR_SECRET`` environment variable, or a random key made once per process.
The per-process default suits one process; every process that may receive a cursor
another one issued (the workers of a web server, several hosts) needs the same secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ormada.errors import CursorError, QueryError

ENV_SECRET = "ORMADA_CURSOR_SECRET"
VERSION = 1
MAC_SIZE = 16
_process_secret = secrets.token_bytes(32)


def cursor_secret(configured: str | bytes | None) -> bytes:
    """The key cursors are signed with: ``configured``, else ``$ORMADA_CURSOR_SECRET``,
    else this process's random key."""
    if configured is None:
        configured = os.environ.get(ENV_SECRET) or None
    if configured is None:
        return _process_secret
    return configured.encode() if isinstance(configured, str) else bytes(configured)


def fingerprint(model: str, table: str, order: Sequence[tuple[str, bool]]) -> str:
    """A short digest naming the model and the ordering a token belongs to."""
    text = f"{model}\0{table}\0" + ",".join(("-" if desc else "") + name for name, desc in order)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_value(model: str, field: str, value: Any) -> Any:
    """A value of an ordering key as JSON data that decodes to an equal value of the same type.

    Raises:
        QueryError: the field's type cannot be carried in a cursor.
    """
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return encode_value(model, field, value.value)
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", str(value)]
    if isinstance(value, float):
        return ["f", value.hex()]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["D", value.isoformat()]
    if isinstance(value, dt.time):
        return ["T", value.isoformat()]
    if isinstance(value, dt.timedelta):
        return ["r", str((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds)]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, bytes):
        return ["y", _b64(value)]
    raise QueryError(f"{model}.{field}: a {type(value).__name__} value cannot mark a page boundary; "
                     "order pages by fields of scalar types (numbers, text, dates, UUIDs…)")


_DECODE: dict[str, Any] = {
    "b": bool,
    "i": int,
    "f": float.fromhex,
    "d": Decimal,
    "s": str,
    "t": dt.datetime.fromisoformat,
    "D": dt.date.fromisoformat,
    "T": dt.time.fromisoformat,
    "r": lambda text: dt.timedelta(microseconds=int(text)),
    "u": uuid.UUID,
    "y": _unb64,
}


def decode_value(data: Any) -> Any:
    """The value :func:`encode_value` encoded."""
    if data is None:
        return None
    tag, text = data
    return _DECODE[tag](text)


def sign(secret: bytes, print_: str, kind: str, body: Any) -> str:
    """A token of ``kind`` (``"k"``: keyset values, ``"p"``: a paging state) for ``body``."""
    payload = json.dumps([VERSION, print_, kind, body], separators=(",", ":")).encode()
    # hmac.digest: OpenSSL's one-shot HMAC, a few times faster than building an hmac object.
    mac = hmac.digest(secret, payload, "sha256")[:MAC_SIZE]
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(secret: bytes, token: object, print_: str, kind: str, model: str) -> Any:
    """The body of ``token``, checked to be signed under ``secret`` for this model and ordering.

    Raises:
        CursorError: the token is not a string, was altered or signed under another
            secret, or belongs to another model, ordering or kind of pagination.
    """
    if not isinstance(token, str):
        raise CursorError(f"{model}: a cursor is the text of a page's next_cursor or previous_cursor, "
                          f"not {type(token).__name__} {token!r}")
    try:
        head, _, tail = token.partition(".")
        payload, mac = _unb64(head), _unb64(tail)
    except (ValueError, TypeError):
        payload, mac = b"", b""
    expected = hmac.digest(secret, payload, "sha256")[:MAC_SIZE]
    if not payload or not hmac.compare_digest(mac, expected):
        raise CursorError(
            f"{model}: cursor {_short(token)} was altered, or signed with another secret; processes that "
            f"share cursors need one secret (ormada.connect(url, cursor_secret=...) or ${ENV_SECRET})")
    try:
        version, found, found_kind, body = json.loads(payload)
    except ValueError:  # pragma: no cover - a signed payload is always ours
        raise CursorError(f"{model}: cursor {_short(token)} cannot be read") from None
    if version != VERSION or found != print_ or found_kind != kind:
        raise CursorError(f"{model}: cursor {_short(token)} belongs to another query (another model, ordering "
                          "or kind of pagination); pass a cursor of a page of this same query")
    return body


def _short(token: str) -> str:
    return repr(token if len(token) <= 24 else token[:20] + "…")
