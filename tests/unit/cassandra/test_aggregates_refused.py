"""Aggregates on Cassandra: ``annotate()`` (GROUP BY across rows, joins) and, for now,
``aggregate()`` are refused before anything is sent, saying what to do instead."""

from __future__ import annotations

import pytest

from ormada import Count, NotSupported, Sum

from .models import User


def test_annotate_is_refused_with_the_cql_alternatives() -> None:
    qs = User.annotate(n=Count("version"))
    with pytest.raises(NotSupported, match=r"User\.annotate\(n\): cassandra has no GROUP BY.*table of its own.*Python"):
        qs.statement()
    with pytest.raises(NotSupported, match="no GROUP BY"):
        next(qs._count(qs._db))


def test_aggregate_is_refused_saying_to_aggregate_in_python() -> None:
    qs = User.filter(email="a@b.c")
    with pytest.raises(NotSupported, match=r"User\.aggregate\(\): cassandra computes no aggregates.*in Python"):
        next(qs._aggregate(qs._db, (Sum("version"),), {}))
