"""The Cassandra / ScyllaDB backend: CQL compiled from QuerySets, run on cassandra-driver.

``ormada.connect("cassandra://host1,host2:9042/keyspace")`` (or ``scylla://``) picks
:class:`CassandraBackend`. The CQL-only parts of the API live here: batches,
pages and token-range scans.
"""

from ormada.backends.cassandra.backend import CassandraBackend
from ormada.backends.cassandra.batch import Batch, abatch, batch
from ormada.backends.cassandra.codecs import UDTValue
from ormada.backends.cassandra.migrate import MigrationPlan
from ormada.backends.cassandra.paging import Page, page_state, scan_states, token_ranges
from ormada.backends.cassandra.statements import CqlStatement

__all__ = [
    "Batch",
    "CassandraBackend",
    "CqlStatement",
    "MigrationPlan",
    "Page",
    "UDTValue",
    "abatch",
    "batch",
    "page_state",
    "scan_states",
    "token_ranges",
]
