"""The ``(rows, checksum)`` answers of the relations workload, computed from a mapper's objects.

Each one touches the related objects the way an application would (``book.author.name``,
``author.books``), so a relation that was not loaded fails, or queries, where it is read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from benchmarks.rel_workload import Check


def r1(books: list[Any]) -> Check:
    return len(books), sum(len(b.author.name) for b in books)


def r2(books: list[Any]) -> Check:
    return len(books), sum(len(b.author.country.name) for b in books)


def related(owners: list[Any], name: str) -> Check:
    """Touches ``owner.<name>`` on every owner and counts what the lists hold."""
    return len(owners), sum(len(getattr(o, name)) for o in owners)


def r5(books: list[Any]) -> Check:
    return len(books), sum(b.author_id for b in books)


def r7(groups: list[tuple[Any, Any, Any]]) -> Check:
    """(region, total, count) rows: the groups, and their totals in cents plus their counts. A total
    read as a binary float (SQLite's own SUM) is rounded to the cent, so it checks out while its
    error stays below half a cent."""
    cents = sum(round(Decimal(str(total)) * 100) for _, total, _ in groups)
    return len(groups), cents + sum(int(n) for _, _, n in groups)


def r8(authors: list[Any], name: str = "n") -> Check:
    """Authors carrying their book count as attribute ``name``."""
    return len(authors), sum(getattr(a, name) for a in authors)


def r9(sales: list[Any]) -> Check:
    """Each region's largest sale, as objects or ``(id, …)`` rows: the regions and the sum of the ids."""
    return len(sales), sum(s[0] if isinstance(s, tuple) else s.id for s in sales)
