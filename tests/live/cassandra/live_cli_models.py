"""The model the live command-line tests configure (database "cassandra_cli", the run's keyspace)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import ormada
from ormada import ClusteringKey, PartitionKey


class CliReading(ormada.Model):
    sensor: Annotated[str, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey()]
    value: Decimal
    tags: set[str] = set()
    raw: bytes = b""
    note: str | None = None

    class Meta:
        database = "cassandra_cli"
        table = "cli_reading"
