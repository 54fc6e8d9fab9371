"""Hostile names and values on the CQL compiler (no server): a name is refused with an
OrmadaError or is a plain identifier path, and a value is bound, leaving the CQL text as a
harmless value leaves it. The SQL backends, the CLI and the router have the same checks in
tests/integration/test_hostile_input.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings

import ormada
from ormada import F
from tests.hostile import HOSTILE, PLAIN_NAME

from .models import User


@given(name=HOSTILE)
@settings(max_examples=60, deadline=None)
def test_names_are_refused_or_plain(name: str) -> None:
    builds: list[Callable[[], ormada.QuerySet[Any]]] = [
        lambda: User.filter(**{name: "v"}),
        lambda: User.filter(**{f"email__{name}": "v"}),
        lambda: User.filter(version=F(name)),
        lambda: User.query().order_by(name),
        lambda: User.query().values(name),
        lambda: User.query().values_list(name),
        lambda: User.query().only(name),
    ]
    for build in builds:
        try:
            build().statement()
        except ormada.OrmadaError:
            continue
        assert PLAIN_NAME.fullmatch(name), f"{name!r} was accepted as a name"


@given(value=HOSTILE)
@settings(max_examples=60, deadline=None)
def test_values_are_bound(value: str) -> None:
    for hostile, harmless in ((User.filter(email=value), User.filter(email="x")),
                              (User.filter(email__in=[value, "x"]).allow_filtering(),
                               User.filter(email__in=["y", "x"]).allow_filtering()),
                              (User.filter(name=value).allow_filtering(), User.filter(name="x").allow_filtering())):
        statement = hostile.statement()
        assert statement.text == harmless.statement().text
        assert any(value == p or (isinstance(p, list) and value in p) for p in statement.params)  # IN ? binds a list
