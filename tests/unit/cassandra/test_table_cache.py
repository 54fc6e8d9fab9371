"""Each backend works out a model's CQL table once, for its own keyspace, and drops it
along with itself (no connection: compiling never reaches the cluster)."""

from __future__ import annotations

import gc
import weakref

import ormada
from ormada.backends.cassandra import CassandraBackend

from .models import DB, Reading


def test_tables_are_cached_per_backend_and_freed_with_it() -> None:
    info = Reading.__ormada__
    east = ormada.Database("cassandra://10.0.0.1/east", DB)
    west = ormada.Database("cassandra://10.0.0.1/west", DB)
    assert isinstance(east.backend, CassandraBackend) and isinstance(west.backend, CassandraBackend)
    assert east.backend.table(info) is east.backend.table(info)
    assert east.backend.table(info).keyspace == "east"
    assert west.backend.table(info).keyspace == "west"
    assert east.backend.select(info, Reading.query().state).statement.text.startswith(
        "SELECT sensor, day, at, seq, value, site, tags, samples, attrs, home, note, kind, level, labels "
        "FROM east.reading")

    gone = [weakref.ref(east.backend), weakref.ref(west.backend)]
    del east, west
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
