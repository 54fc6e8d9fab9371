"""``ormada diagram`` of a live keyspace (no models configured): tables with their partition
and clustering keys read from ``system_schema``, and user types as boxes of their own; and
the models' own diagram agreeing with it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

import ormada
from conftest import HOSTS
from ormada import ClusteringKey, PartitionKey, Static


class Spot(BaseModel):
    lat: float
    lon: float


class Place(BaseModel):
    name: str
    spot: Spot | None = None


class Visit(ormada.Model):
    city: Annotated[str, PartitionKey()]
    day: Annotated[dt.date, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    seq: Annotated[int, ClusteringKey()] = 0
    host: Annotated[str | None, Static()] = None
    where: Place | None = None
    tags: set[str] = set()

    class Meta:
        database = "cassandra_diagram"
        table = "diagram_visit"


@pytest.fixture(scope="module")
def url(keyspace: str) -> Iterator[str]:
    address = f"cassandra://{HOSTS}/{keyspace}"
    db = ormada.connect(address, name="cassandra_diagram")
    db.create_all([Visit])
    yield address
    db.close()


def draw(*args: str) -> str:
    from ormada.cli import app

    result = CliRunner().invoke(app, list(args), env={"ORMADA_URL": None, "ORMADA_MODELS": None})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_live_keyspace(url: str) -> None:
    lines = [line.strip() for line in draw("--url", url, "diagram", "--tables", "diagram_visit").splitlines()]
    table = lines[lines.index("diagram_visit {") + 1:]
    assert table[:4] == ['text city PK "partition key 1"', 'date day PK "partition key 2"',
                         'timestamp at PK "clustering key 1 desc"', 'int seq PK "clustering key 2 asc"']
    assert 'text host "static; null"' in table
    assert 'set tags "set<text>; null"' in table
    assert "place {" in lines and "spot {" in lines
    assert 'place ||..o{ diagram_visit : "where"' in lines
    assert 'spot ||..o{ place : "spot"' in lines


def test_an_unknown_keyspace_is_a_one_line_error(url: str) -> None:
    from ormada.cli import app

    missing = url.rsplit("/", 1)[0] + "/no_such_keyspace_here"
    result = CliRunner().invoke(app, ["--url", missing, "diagram"], env={"ORMADA_URL": None, "ORMADA_MODELS": None})
    assert result.exit_code == 1
    assert "no tables (or does not exist)" in result.stderr
