"""Set operations, row locks, DISTINCT ON and raw() instances on Cassandra: none is available, so each
is refused with what to do instead, before anything is sent."""

from __future__ import annotations

import pytest

from ormada import NotSupported

from .models import User


def test_set_operations_are_refused() -> None:
    a, b = User.filter(name="ann"), User.filter(name="bob")
    for combined, method in ((a.union(b), "union"), (a.intersection(b), "intersection"),
                             (a.difference(b), "difference")):
        with pytest.raises(NotSupported, match=rf"User: {method}\(\) .* is not available on cassandra \(CQL reads "
                                               r"one table.*combine their keys in Python"):
            combined.statement()


def test_row_locks_are_refused_with_the_alternative() -> None:
    with pytest.raises(NotSupported, match=r"User.select_for_update\(\): cassandra has no row locks; Cassandra "
                                           r"has neither row locks nor transactions.*lightweight transaction"):
        User.filter(name="ann").select_for_update().statement()


def test_distinct_on_is_refused_with_the_alternative() -> None:
    with pytest.raises(NotSupported, match=r"User.distinct\('name'\): DISTINCT ON is PostgreSQL's; cassandra has "
                                           r"none.*keep the first of each group"):
        User.query().distinct("name").statement()

