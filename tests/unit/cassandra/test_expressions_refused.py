"""Expressions, expression annotations and subqueries on Cassandra: CQL computes none of
them, so each is refused before anything is sent, saying what to do instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ormada import (
    Case,
    Exists,
    F,
    Length,
    Lower,
    NotSupported,
    OuterRef,
    Rank,
    Subquery,
    Sum,
    Upper,
    Value,
    When,
    Window,
)
from ormada import _operations as ops

from .models import Reading, User, UserByName

COMPUTE = r"cassandra cannot do this: CQL computes no expressions.*compute the value in Python.*column of its own"
SUBQUERY = r"cassandra cannot do this: CQL has no subqueries; read the keys first.*field__in=\[\.\.\.\]"


def _sent(operation: Any) -> Any:
    return next(operation)


def test_expression_annotations_are_refused_on_every_read() -> None:
    qs = User.annotate(loud=Upper("name"), n=Length("email"))
    for run in (qs.statement, lambda: _sent(qs._count(qs._db)), lambda: _sent(qs._exists(qs._db)),
                lambda: _sent(qs._fetch(qs._db, qs.state))):
        with pytest.raises(NotSupported, match=r"User: annotate\(loud=\.\.\.\), annotate\(n=\.\.\.\): " + COMPUTE):
            run()


def test_windows_are_refused() -> None:
    with pytest.raises(NotSupported, match=r"User: annotate\(r=\.\.\.\): " + COMPUTE):
        User.annotate(r=Window(Rank(), order_by="name")).statement()


def test_filters_on_expressions_are_refused() -> None:
    qs = Reading.filter(sensor="s1", day=dt.date(2024, 1, 2), value__gt=Length("site"))
    with pytest.raises(NotSupported, match=r"Reading: value__gt=Length\(F\('site'\)\): " + COMPUTE):
        qs.statement()
    annotated = User.annotate(loud=Upper("name")).filter(loud="ANN")
    with pytest.raises(NotSupported, match=COMPUTE):
        annotated.statement()


def test_subqueries_are_refused_with_the_cql_alternative() -> None:
    inner = UserByName.filter(name=OuterRef("name"))
    with pytest.raises(NotSupported, match=r"User: Exists\(.*\): " + SUBQUERY):
        User.filter(Exists(inner)).statement()
    with pytest.raises(NotSupported, match=SUBQUERY):
        User.annotate(other=Subquery(inner.values("email")[:1])).statement()


def test_writes_and_aggregates_of_expressions_are_refused(backend: Any) -> None:
    qs = User.filter(id="00000000-0000-0000-0000-000000000001")
    for value in (Lower("name"), Case(When(version__gt=1, then=Value("x")), default=Value("y"))):
        with pytest.raises(NotSupported, match=r"User: update\(name=\.\.\.\): " + COMPUTE):
            _sent(ops.update(backend, User.__ormada__, qs.state, qs._assignments({"name": value})))
    with pytest.raises(NotSupported, match=r"User: aggregate\(n=\.\.\.\): " + COMPUTE):
        _sent(qs._aggregate(qs._db, (), {"n": Sum(F("version") * 2)}))
    # Plain values still compile.
    assert "SET name = ?" in backend.update(User.__ormada__, qs.state, qs._assignments({"name": "x"})).text
