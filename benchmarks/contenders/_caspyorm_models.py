"""caspyorm models of the Cassandra workload, and the set-up its import needs.

caspyorm has no counter column type, so the counter increment is n/a for it. Importing it
configures its logger at INFO on stdout, and it logs one line per save; the contenders put that
logger at WARNING, as any service would, so the figures measure the mapper, not a log stream.
"""

from __future__ import annotations

import logging
from typing import Any

from benchmarks.cql_workload import ROWS_TABLE


def build() -> Any:
    from caspyorm import Model, fields

    for name in ("caspyorm", "caspyorm.connection", "caspyorm.query", "caspyorm._internal.operations"):
        logging.getLogger(name).setLevel(logging.WARNING)

    class BenchRow(Model):
        __table_name__ = ROWS_TABLE
        part = fields.Integer(partition_key=True)
        seq = fields.Integer(clustering_key=True)
        level = fields.Integer()
        note = fields.Text()
        created = fields.Timestamp()

    return BenchRow
