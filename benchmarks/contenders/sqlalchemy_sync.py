"""SQLAlchemy 2 ORM, sync: Session on pysqlite / psycopg / PyMySQL / duckdb-engine (DuckDB).

One Session per operation, ``expire_on_commit=False``. B flushes after every ``add`` so that each
row is its own INSERT, as the workload asks; C is the ORM bulk insert (``session.execute(insert(M),
rows)``); I, J and K commit once per object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.contenders._sqlalchemy_models import build_model, url
from benchmarks.databases import DUCKDB_CONFIG, Target
from benchmarks.workload import ModelSpec, Row


class Contender:
    """SQLAlchemy ORM, sync."""

    stream_method = "yield_per (server-side cursor on PostgreSQL)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        self.M = build_model(spec, target.db)
        self.columns = [self.M.__table__.c[n] for n in ("id", *spec.names)]
        self.work: Session | None = None

    def setup(self) -> None:
        self.engine = create_engine(url(self.target, is_async=False))
        self.M.metadata.create_all(self.engine)
        if self.target.db == "duckdb":
            # The harness's own connections in this process must open the file as duckdb-engine did.
            with self.engine.connect() as conn:
                agent = conn.exec_driver_sql("SELECT current_setting('custom_user_agent')").scalar()
            DUCKDB_CONFIG["custom_user_agent"] = agent
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def insert_single(self, rows: list[Row]) -> None:
        M = self.M
        with self.Session() as s:
            for row in rows:
                s.add(M(**row))
                s.commit()

    def insert_txn(self, rows: list[Row]) -> None:
        M = self.M
        with self.Session() as s, s.begin():
            for row in rows:
                s.add(M(**row))
                s.flush()

    def bulk_insert(self, rows: list[Row]) -> None:
        with self.Session() as s, s.begin():
            s.execute(insert(self.M), rows)

    def filter_large(self, min_level: int) -> int:
        with self.Session() as s:
            return len(s.scalars(select(self.M).where(self.M.level >= min_level)).all())

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        M, total = self.M, 0
        with self.Session() as s:
            for off in offsets:
                total += len(
                    s.scalars(select(M).where(M.level >= min_level).order_by(M.id).offset(off).limit(20)).all()
                )
        return total

    def get_by_pk(self, ids: list[int]) -> int:
        with self.Session() as s:
            return sum(1 for i in ids if s.get(self.M, i) is not None)

    def values_dicts(self, min_level: int) -> int:
        with self.Session() as s:
            return len(s.execute(select(*self.columns).where(self.M.level >= min_level)).mappings().all())

    def values_tuples(self, min_level: int) -> int:
        with self.Session() as s:
            return len(s.execute(select(*self.columns).where(self.M.level >= min_level)).tuples().all())

    def fetch(self, ids: list[int]) -> list[Any]:
        if self.work is not None:
            self.work.close()
        self.work = self.Session()
        return list(self.work.scalars(select(self.M).where(self.M.id.in_(ids))).all())

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        s = self.work
        assert s is not None
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            s.commit()

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        s = self.work
        assert s is not None
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            s.commit()

    def delete(self, objs: list[Any]) -> None:
        s = self.work
        assert s is not None
        for obj in objs:
            s.delete(obj)
            s.commit()

    def stream(self, chunk_size: int) -> Iterator[Any]:
        with self.Session() as s:
            yield from s.scalars(select(self.M).execution_options(yield_per=chunk_size))
