"""The interface of a relations-workload contender (``benchmarks.rel_workload``), sync and async.

The harness has created nothing: ``setup`` connects and creates the seven tables with the
contender's own DDL (same table and column names for everyone), then the harness fills them.
Every read returns ``(rows, checksum)`` as ``rel_workload`` defines them. A contender may have an
``unsupported`` dict (operation key -> reason) for what it knows it cannot do; the harness then
reports those cells as n/a without calling them.
"""

from __future__ import annotations

from typing import Protocol

from benchmarks.databases import Target
from benchmarks.rel_workload import Check


class RelSyncContender(Protocol):
    """R1-R5, blocking (R6 is async only)."""

    def __init__(self, target: Target) -> None: ...
    def setup(self) -> None: ...
    def close(self) -> None: ...
    def select_one(self) -> Check: ...  # R1
    def select_two(self) -> Check: ...  # R2
    def prefetch_reverse(self) -> Check: ...  # R3
    def prefetch_m2m(self, max_book_id: int) -> Check: ...  # R4
    def filter_across(self, prefix: str) -> Check: ...  # R5


class RelAsyncContender(Protocol):
    """The same, awaited one at a time, plus R6 and the single prefetches it is compared with."""

    def __init__(self, target: Target) -> None: ...
    async def setup(self) -> None: ...
    async def close(self) -> None: ...
    async def select_one(self) -> Check: ...
    async def select_two(self) -> Check: ...
    async def prefetch_reverse(self) -> Check: ...
    async def prefetch_m2m(self, max_book_id: int) -> Check: ...
    async def filter_across(self, prefix: str) -> Check: ...
    async def prefetch_single(self, relation: str) -> Check: ...  # R6, one of R6_RELATIONS
    async def prefetch_three(self) -> Check: ...  # R6, all three at once
