"""Rows ormada did not write: columns left out by another program, or added by a
migration after the row was written, read back as the fields' defaults."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pytest
from pydantic import Field

import ormada
from ormada import ClusteringKey, PartitionKey

STAMP = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class Legacy(ormada.Model):
    key: Annotated[str, PartitionKey()]
    n: Annotated[int, ClusteringKey()]
    name: str = ""
    score: int = 7
    tags: set[str] = set()
    notes: list[str] = Field(default_factory=lambda: ["first"])
    seen: dt.datetime = STAMP
    level: int | None = None

    class Meta:
        database = "cassandra_live"
        table = "f_legacy"


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database("cassandra_live")
    database.create_all([Legacy])
    return database


def test_columns_another_program_left_out_read_as_defaults(db: Any, keyspace: str) -> None:
    for n in (1, 2):
        db.execute(f"INSERT INTO {keyspace}.f_legacy (key, n) VALUES (:key, :n)", {"key": "a", "n": n})
    first, second = Legacy.filter(key="a").order_by("n").all()
    assert (first.name, first.score, first.tags, first.notes, first.seen, first.level) == (
        "", 7, set(), ["first"], STAMP, None)
    first.tags.add("x")
    first.notes.append("more")
    assert second.tags == set() and second.notes == ["first"]  # no default is shared between rows
    first.save()
    assert Legacy.get(key="a", n=1).tags == {"x"} and Legacy.get(key="a", n=1).notes == ["first", "more"]


async def test_a_column_added_later_reads_as_its_default_async(db: Any, keyspace: str) -> None:
    await db.aexecute(f"INSERT INTO {keyspace}.f_legacy (key, n, name) VALUES (:key, :n, :name)",
                      {"key": "b", "n": 1, "name": "old"})
    row = await Legacy.filter(key="b").aget()
    assert (row.name, row.score, row.seen) == ("old", 7, STAMP)
