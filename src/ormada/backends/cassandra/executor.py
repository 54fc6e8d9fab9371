"""Running CQL statements on cassandra-driver, sync and async.

The backend opens one driver Cluster and Session (on first use), held by a
:class:`SessionHolder`, and both of its pools hand out thin connection objects over
it. Writes made inside an active batch are collected, not sent. The parts:

- ``_session.py``: the session holder, the URL's options and the prepared-statement cache;
- ``_requests.py``: what both modes decide, written once (driver statements, result shapes);
- ``_executor_async.py``: the async connection and pool, written by hand;
- ``_executor_sync.py``: their sync twins, generated from it by ``scripts/async_to_sync.py``.
"""

from ormada.backends.cassandra._executor_async import AsyncCassandraConnection, CassandraAsyncPool
from ormada.backends.cassandra._executor_sync import CassandraConnection, CassandraSyncPool
from ormada.backends.cassandra._requests import as_cql, changes_schema, configure, driver_statements, shape
from ormada.backends.cassandra._session import (
    DEFAULT_PREPARED_CACHE,
    DEFAULT_RECONNECT_MAX_DELAY,
    URL_OPTIONS,
    SessionHolder,
    seconds_or_zero,
)
from ormada.backends.cassandra.batch import active_batch
from ormada.backends.cassandra.faults import translate

__all__ = [
    "DEFAULT_PREPARED_CACHE",
    "DEFAULT_RECONNECT_MAX_DELAY",
    "URL_OPTIONS",
    "AsyncCassandraConnection",
    "CassandraAsyncPool",
    "CassandraConnection",
    "CassandraSyncPool",
    "SessionHolder",
    "active_batch",
    "as_cql",
    "changes_schema",
    "configure",
    "driver_statements",
    "seconds_or_zero",
    "shape",
    "translate",
]
