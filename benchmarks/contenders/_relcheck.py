"""The ``(rows, checksum)`` answers of the relations workload, computed from a mapper's objects.

Each one touches the related objects the way an application would (``book.author.name``,
``author.books``), so a relation that was not loaded fails, or queries, where it is read.
"""

from __future__ import annotations

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
