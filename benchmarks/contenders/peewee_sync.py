"""peewee (sync): SqliteDatabase / PostgresqlExtDatabase (psycopg 3) / MySQLDatabase (PyMySQL).

``only_save_dirty`` makes ``save()`` write only changed fields. C is ``insert_many`` in batches
(peewee's bulk API; the batch keeps each statement under SQLite's parameter limit). The stream
is ``.iterator()`` on SQLite and MySQL (on MySQL PyMySQL's buffered cursor holds the whole result:
peewee has no unbuffered-cursor API) and ``ServerSide()`` (a named cursor) on PostgreSQL.
On MySQL the datetime column is ``DATETIME(6)``, as every other contender's: peewee's own
``DateTimeField`` is ``DATETIME``, which drops the microseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import peewee as pw
from playhouse.postgres_ext import DateTimeTZField, PostgresqlExtDatabase, ServerSide

from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row


class _DateTime6Field(pw.DateTimeField):
    """MySQL's DATETIME with microseconds."""

    field_type = "DATETIME(6)"


def _field(kind: Kind, indexed: bool, db: str) -> pw.Field:
    if kind is Kind.DATETIME:
        if db == "mysql":
            return _DateTime6Field(index=indexed)
        return DateTimeTZField(index=indexed) if db == "postgresql" else pw.DateTimeField(index=indexed)
    if kind is Kind.VARCHAR:
        return pw.CharField(max_length=255, index=indexed)
    if kind is Kind.DECIMAL:
        return pw.DecimalField(max_digits=10, decimal_places=2, index=indexed)
    simple: dict[Kind, type[pw.Field]] = {
        Kind.INT: pw.IntegerField,
        Kind.SMALLINT: pw.SmallIntegerField,
        Kind.BIGINT: pw.BigIntegerField,
        Kind.FLOAT: pw.DoubleField,
        Kind.TEXT: pw.TextField,
        Kind.JSON: pw.JSONField,
    }
    return simple[kind](index=indexed)


def _is_mariadb(target: Target) -> bool:
    import pymysql

    conn = pymysql.connect(**target.mysql)
    try:
        return "mariadb" in conn.get_server_info().lower()
    finally:
        conn.close()


class Contender:
    """peewee, sync, autocommit outside ``db.atomic()``."""

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        if target.db == "sqlite":
            self.db: pw.Database = pw.SqliteDatabase(target.sqlite_path)
            self.stream_method = "select().iterator()"
        elif target.db == "mysql":
            my = target.mysql
            # peewee marks JSON values with CAST(... AS JSON), which MariaDB refuses, unless told
            # the server is MariaDB (then JSON_COMPACT); it does not find out by itself.
            self.db = pw.MySQLDatabase(my["database"], host=my["host"], port=my["port"], user=my["user"],
                                       charset="utf8mb4", mariadb=_is_mariadb(target))
            self.stream_method = "select().iterator() (PyMySQL buffers the result)"
        else:
            self.db = PostgresqlExtDatabase(**target.pg)
            self.stream_method = "ServerSide() named cursor"
        meta = type("Meta", (), {"database": self.db, "table_name": spec.table, "only_save_dirty": True})
        fields: dict[str, Any] = {c.name: _field(c.kind, c.indexed, target.db) for c in spec.columns}
        self.M: Any = type(spec.class_name, (pw.Model,), {"id": pw.AutoField(), "Meta": meta, **fields})
        self.batch = max(1, min(1000, 30_000 // len(spec.columns)))

    def setup(self) -> None:
        self.db.connect()
        self.db.create_tables([self.M])

    def close(self) -> None:
        self.db.close()

    def insert_single(self, rows: list[Row]) -> None:
        create = self.M.create
        for row in rows:
            create(**row)

    def insert_txn(self, rows: list[Row]) -> None:
        create = self.M.create
        with self.db.atomic():
            for row in rows:
                create(**row)

    def bulk_insert(self, rows: list[Row]) -> None:
        with self.db.atomic():
            for batch in pw.chunked(rows, self.batch):
                self.M.insert_many(batch).execute()

    def filter_large(self, min_level: int) -> int:
        return len(list(self.M.select().where(self.M.level >= min_level)))

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        M = self.M
        return sum(
            len(list(M.select().where(M.level >= min_level).order_by(M.id).offset(o).limit(20))) for o in offsets
        )

    def get_by_pk(self, ids: list[int]) -> int:
        get = self.M.get_by_id
        return sum(1 for i in ids if get(i) is not None)

    def values_dicts(self, min_level: int) -> int:
        return len(list(self.M.select().where(self.M.level >= min_level).dicts()))

    def values_tuples(self, min_level: int) -> int:
        return len(list(self.M.select().where(self.M.level >= min_level).tuples()))

    def fetch(self, ids: list[int]) -> list[Any]:
        return list(self.M.select().where(self.M.id.in_(ids)))

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            obj.save()

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            obj.save()

    def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            obj.delete_instance()

    def stream(self, chunk_size: int) -> Iterator[Any]:
        query = self.M.select()
        if self.target.db in ("sqlite", "mysql"):
            yield from query.iterator()
            return
        with self.db.atomic():
            yield from ServerSide(query, array_size=chunk_size)
