"""Paged reads and token-range scans.

A paged read returns one :class:`Page`: its rows and the opaque ``paging_state``
that resumes the same query where the page ended, in this process or another.
A full-table scan splits the Murmur3 token ring into ranges that can be read one
by one or side by side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, Generic, TypeVar

from ormada.errors import QueryError
from ormada.query.state import QueryState

T = TypeVar("T")

MIN_TOKEN = -(2**63)
MAX_TOKEN = 2**63 - 1
SEAL = b"o\x01"
DIGEST_SIZE = 8


def _digest(text: str, params: Sequence[Any], raw: bytes) -> bytes:
    """A digest of the query and the server's state, the same in every process."""
    h = hashlib.blake2b(digest_size=DIGEST_SIZE)
    h.update(text.encode())
    h.update(b"\0" + _stable(params).encode() + b"\0")
    h.update(raw)
    return h.digest()


def _stable(value: Any) -> str:
    """``repr`` with sets and maps in sorted order (their iteration order differs between processes)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(sorted(f"{_stable(k)}: {_stable(v)}" for k, v in value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_stable(v) for v in value) + "]"
    return repr(value)


def seal(text: str, params: Sequence[Any], raw: bytes | None) -> bytes | None:
    """The paging state handed to users: the server's state tied to the query it resumes.

    The server cannot tell a damaged state, or one from another query, from a good one:
    it returns the wrong rows, fails, or answers with a protocol error on which the
    driver closes the connection. A sealed state is checked before anything is sent.
    """
    if raw is None:
        return None
    return SEAL + _digest(text, params, raw) + raw


def unseal(model: str, text: str, params: Sequence[Any], state: bytes) -> bytes:
    """The server's paging state inside ``state``, checked against the query resuming it.

    Raises:
        QueryError: the state was not handed out for this query (same text and values),
            or was cut or changed on the way.
    """
    head = len(SEAL) + DIGEST_SIZE
    if isinstance(state, (bytes, bytearray, memoryview)):
        state = bytes(state)
        raw = state[head:]
        if state[:len(SEAL)] == SEAL and len(state) > head and state[len(SEAL):head] == _digest(text, params, raw):
            return raw
    raise QueryError(
        f"{model}: this paging state does not belong to this query (it comes from another query, or other "
        "filter values, or was cut or changed); pass the paging_state of a page of this same query, or none "
        "to start from the first page"
    )


class PageRows(list[Any]):
    """The raw rows of one page, with the paging state that follows them."""

    def __init__(self, rows: Iterable[Any], paging_state: bytes | None) -> None:
        super().__init__(rows)
        self.paging_state = paging_state


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a query's results.

    Attributes:
        rows: The rows (model instances, dicts, tuples…) of this page.
        paging_state: Pass it to ``.paging_state(...)`` on the same query for the next
            page; ``None`` when this was the last page.
    """

    rows: list[T]
    paging_state: bytes | None

    @property
    def has_more(self) -> bool:
        """Whether another page may follow."""
        return self.paging_state is not None

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def page_state(state: QueryState, size: int, paging_state: bytes | None = None) -> QueryState:
    """The state for one page of ``size`` rows, resuming at ``paging_state``."""
    return replace(state, options={**state.options, "fetch_size": size, "paging_state": paging_state, "page": True})


def token_ranges(splits: int) -> list[tuple[int, int]]:
    """Splits the whole Murmur3 ring into ``splits`` ranges ``(start, end]``, covering every token once."""
    if splits < 1:
        raise ValueError("splits must be at least 1")
    span = (MAX_TOKEN - MIN_TOKEN) // splits
    bounds = [MIN_TOKEN + i * span for i in range(splits)] + [MAX_TOKEN]
    return list(pairwise(bounds))


def scan_states(state: QueryState, splits: int) -> list[QueryState]:
    """One state per token range for a full-table scan; together they read every row once."""
    out = []
    for start, end in token_ranges(splits):
        options = {k: v for k, v in state.options.items() if not k.startswith("token_")}
        out.append(replace(state, options={**options, "token_gt": start, "token_lte": end}))
    return out
