"""CTEs and tree walks on Cassandra: CQL has neither WITH nor recursive queries, so they are
refused before anything is sent, saying what to do instead."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import pytest
from pydantic import Field

import ormada
from ormada import CTE, ForeignKey, NotSupported, PrimaryKey

from .models import DB, User, UserByName

REASON = (r"cassandra has no common table expressions \(WITH, WITH RECURSIVE\).*in a table of its own, "
          r"maintained on write.*\(ancestor, descendant, depth\).*filter\(parent_id__in=")


class Folder(ormada.Model):
    """A tree: each folder may have a parent folder."""

    id: Annotated[uuid.UUID, PrimaryKey()] = Field(default_factory=uuid.uuid4)
    name: str = ""
    parent: Annotated[Folder | None, ForeignKey("self", related_name="children")] = None

    class Meta:
        database = DB
        keyspace = "files"


def test_reads_of_a_query_with_a_cte_are_refused(backend: Any) -> None:
    named = CTE("named", UserByName.filter(name="ann"))
    qs = User.query().with_cte(named).filter(id__in=named.col("id"))
    with pytest.raises(NotSupported, match=r"^User: " + REASON):
        qs.statement()
    with pytest.raises(NotSupported, match=REASON):
        named.queryset().statement()
    # Counting and probing go through the same check (no statement is built).
    from ormada import _operations as ops

    for operation in (ops.count, ops.exists):
        with pytest.raises(NotSupported, match=REASON):
            next(operation(backend, User.__ormada__, qs.state))


def test_tree_walks_are_refused() -> None:
    root = uuid.uuid4()
    with pytest.raises(NotSupported, match=r"^Folder: " + REASON):
        Folder.descendants(root).statement()
    with pytest.raises(NotSupported, match=REASON):
        Folder.ancestors(root, include_self=True).statement()


def test_a_list_of_keys_level_by_level_still_works() -> None:
    root = uuid.uuid4()
    assert "parent_id IN ?" in Folder.filter(parent_id__in=[root]).allow_filtering().statement().text
