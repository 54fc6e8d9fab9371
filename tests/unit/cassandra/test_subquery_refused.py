"""``field__in=<QuerySet>`` on Cassandra: CQL has no subqueries, so it is refused before anything is sent."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ormada import NotSupported, Q

from .models import User, UserByName

REASON = r"User\.id__in.*CQL has no subqueries.*read the keys first.*list"


def test_read_refuses_a_queryset_value() -> None:
    inner = UserByName.filter(name="ann").values_list("id", flat=True)
    qs = User.filter(id__in=inner)
    with pytest.raises(NotSupported, match=REASON):
        qs.statement()
    with pytest.raises(NotSupported, match=REASON):
        User.filter(Q(id__in=inner) & Q(email="a@b.c")).statement()


def test_writes_refuse_a_queryset_value(backend: Any) -> None:
    inner = UserByName.filter(name="ann").values_list("id", flat=True)
    state = User.filter(id__in=inner).state
    with pytest.raises(NotSupported, match=REASON):
        backend.update(User.__ormada__, state, {"name": "x"})
    with pytest.raises(NotSupported, match=REASON):
        backend.delete(User.__ormada__, state)


def test_a_list_of_keys_still_works() -> None:
    key = uuid.uuid4()
    assert "id IN ?" in User.filter(id__in=[key]).statement().text
