"""SQLModel (sync): table models on SQLAlchemy, queried with ``sqlmodel.select`` and ``Session.exec``.

Writes and the dict/tuple reads are SQLAlchemy's underneath and inherited from that contender;
C uses SQLModel's documented path (``add_all`` of model instances, then ``commit``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Field, Session, SQLModel, select

from benchmarks.contenders import sqlalchemy_sync
from benchmarks.contenders._sqlalchemy_models import column_type, url
from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row

_PYTHON_TYPES: dict[Kind, type] = {
    Kind.INT: int,
    Kind.SMALLINT: int,
    Kind.BIGINT: int,
    Kind.FLOAT: float,
    Kind.VARCHAR: str,
    Kind.TEXT: str,
    Kind.DECIMAL: Decimal,
    Kind.DATETIME: datetime,
    Kind.JSON: dict,
}


def build_model(spec: ModelSpec) -> Any:
    """A ``table=True`` SQLModel class for ``spec``."""
    annotations: dict[str, Any] = {"id": int | None}
    namespace: dict[str, Any] = {"__tablename__": spec.table, "__module__": __name__}
    namespace["id"] = Field(default=None, primary_key=True)
    for col in spec.columns:
        annotations[col.name] = _PYTHON_TYPES[col.kind]
        extra: dict[str, Any] = {"max_digits": 10, "decimal_places": 2} if col.kind is Kind.DECIMAL else {}
        namespace[col.name] = Field(sa_type=column_type(col.kind), index=col.indexed, nullable=False, **extra)
    namespace["__annotations__"] = annotations
    return type(SQLModel)(spec.class_name, (SQLModel,), namespace, table=True)


class Contender(sqlalchemy_sync.Contender):
    """SQLModel, sync."""

    stream_method = "yield_per (server-side cursor on PostgreSQL)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.M = build_model(spec)
        self.columns = [self.M.__table__.c[n] for n in ("id", *spec.names)]
        self.work = None

    def setup(self) -> None:
        self.engine = create_engine(url(self.target, is_async=False))
        self.M.__table__.create(self.engine)
        self.Session = sessionmaker(self.engine, class_=Session, expire_on_commit=False)

    def bulk_insert(self, rows: list[Row]) -> None:
        M = self.M
        with self.Session() as s:
            s.add_all([M(**row) for row in rows])
            s.commit()

    def filter_large(self, min_level: int) -> int:
        with self.Session() as s:
            return len(s.exec(select(self.M).where(self.M.level >= min_level)).all())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        M, total = self.M, 0
        with self.Session() as s:
            for off in offsets:
                total += len(s.exec(select(M).where(M.level >= min_level).order_by(M.id).offset(off).limit(20)).all())
        return total

    def fetch(self, ids: list[int]) -> list[Any]:
        if self.work is not None:
            self.work.close()
        self.work = self.Session()
        return list(self.work.exec(select(self.M).where(self.M.id.in_(ids))).all())

    def stream(self, chunk_size: int) -> Iterator[Any]:
        with self.Session() as s:
            yield from s.exec(select(self.M).execution_options(yield_per=chunk_size))
