"""Models the command-line tests configure (``models = ["tests.cli.cli_models"]``)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import NaiveDatetime

from ormada import ForeignKey, Model, PrimaryKey, Unique


class Shelf(enum.StrEnum):
    FICTION = "fiction"
    SCIENCE = "science"


class Writer(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique()]
    born: int | None = None

    class Meta:
        table = "cli_writer"


class Novel(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    year: int
    writer: Annotated[Writer, ForeignKey(related_name="novels")]
    tags: list[str] = []

    class Meta:
        table = "cli_novel"


class Sample(Model):
    """One field of each logical type that dump and load must carry exactly."""

    id: Annotated[int | None, PrimaryKey()] = None
    price: Decimal
    at: dt.datetime
    wall: NaiveDatetime
    day: dt.date
    moment: dt.time
    key: uuid.UUID
    blob: bytes
    doc: dict[str, Any]
    numbers: list[int]
    flag: bool
    ratio: float
    shelf: Shelf
    note: str | None = None
    pages: int | None = None

    class Meta:
        table = "cli_sample"


MODELS = [Writer, Novel, Sample]
