"""Django ORM (sync), configured in-process: no project, one minimal app, sqlite3 / psycopg 3 / PyMySQL.

J uses ``save(update_fields=["level"])``; C is ``bulk_create`` (Django picks the batch size);
the stream is ``QuerySet.iterator(chunk_size=...)`` (a server-side cursor on PostgreSQL; on MySQL
Django's iterator reads the whole result client-side unless the cursor is unbuffered, which its
MySQL backend does not do). On MySQL/MariaDB Django's backend runs on PyMySQL through
``pymysql.install_as_MySQLdb()``: mysqlclient, the driver Django documents, builds from source
against libmysqlclient's headers, and PyMySQL is also what the raw baseline runs on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django
from django.conf import settings

from benchmarks.databases import Target
from benchmarks.workload import Kind, ModelSpec, Row

_APP = "benchmarks.contenders.django_app"


def _configure(target: Target) -> None:
    if settings.configured:
        return
    if target.db == "sqlite":
        db: dict[str, Any] = {"ENGINE": "django.db.backends.sqlite3", "NAME": target.sqlite_path}
    elif target.db == "mysql":
        import pymysql

        pymysql.install_as_MySQLdb()
        my = target.mysql
        db = {
            "ENGINE": "django.db.backends.mysql",
            "NAME": my["database"],
            "USER": my["user"],
            "HOST": my["host"],
            "PORT": str(my["port"]),
            "OPTIONS": {"charset": "utf8mb4"},
        }
    else:
        pg = target.pg
        db = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": pg["database"],
            "USER": pg["user"],
            "HOST": pg["host"],
            "PORT": str(pg["port"]),
        }
    settings.configure(
        DATABASES={"default": db},
        INSTALLED_APPS=[_APP],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()


def _field(kind: Kind, indexed: bool) -> Any:
    from django.db import models

    if kind is Kind.VARCHAR:
        return models.CharField(max_length=255, db_index=indexed)
    if kind is Kind.DECIMAL:
        return models.DecimalField(max_digits=10, decimal_places=2, db_index=indexed)
    simple: dict[Kind, Any] = {
        Kind.INT: models.IntegerField,
        Kind.SMALLINT: models.SmallIntegerField,
        Kind.BIGINT: models.BigIntegerField,
        Kind.FLOAT: models.FloatField,
        Kind.TEXT: models.TextField,
        Kind.DATETIME: models.DateTimeField,
        Kind.JSON: models.JSONField,
    }
    return simple[kind](db_index=indexed)


class Contender:
    """Django ORM, autocommit outside ``transaction.atomic()``."""

    stream_method = "iterator(chunk_size=2000)"

    def __init__(self, target: Target, spec: ModelSpec) -> None:
        self.target, self.spec = target, spec
        _configure(target)
        from django.db import models

        meta = type("Meta", (), {"app_label": "django_app", "db_table": spec.table})
        fields = {c.name: _field(c.kind, c.indexed) for c in spec.columns}
        namespace = {"__module__": f"{_APP}.models", "Meta": meta, **fields}
        self.M: Any = type(spec.class_name, (models.Model,), namespace)
        self.names = ["id", *spec.names]

    def setup(self) -> None:
        from django.db import connection

        with connection.schema_editor() as editor:
            editor.create_model(self.M)

    def close(self) -> None:
        from django.db import connection

        connection.close()

    def insert_single(self, rows: list[Row]) -> None:
        create = self.M.objects.create
        for row in rows:
            create(**row)

    def insert_txn(self, rows: list[Row]) -> None:
        from django.db import transaction

        create = self.M.objects.create
        with transaction.atomic():
            for row in rows:
                create(**row)

    def bulk_insert(self, rows: list[Row]) -> None:
        M = self.M
        M.objects.bulk_create([M(**row) for row in rows])

    def filter_large(self, min_level: int) -> int:
        return len(list(self.M.objects.filter(level__gte=min_level)))

    def filter_page(self, min_level: int, offsets: list[int]) -> int:
        qs = self.M.objects.filter(level__gte=min_level).order_by("id")
        return sum(len(list(qs[o : o + 20])) for o in offsets)

    def get_by_pk(self, ids: list[int]) -> int:
        get = self.M.objects.get
        return sum(1 for i in ids if get(id=i) is not None)

    def values_dicts(self, min_level: int) -> int:
        return len(list(self.M.objects.filter(level__gte=min_level).values()))

    def values_tuples(self, min_level: int) -> int:
        return len(list(self.M.objects.filter(level__gte=min_level).values_list()))

    def fetch(self, ids: list[int]) -> list[Any]:
        return list(self.M.objects.filter(id__in=ids))

    def update_all(self, objs: list[Any], rows: list[Row]) -> None:
        for obj, row in zip(objs, rows, strict=True):
            for name, value in row.items():
                setattr(obj, name, value)
            obj.save()

    def update_one(self, objs: list[Any], levels: list[int]) -> None:
        for obj, level in zip(objs, levels, strict=True):
            obj.level = level
            obj.save(update_fields=["level"])

    def delete(self, objs: list[Any]) -> None:
        for obj in objs:
            obj.delete()

    def stream(self, chunk_size: int) -> Iterator[Any]:
        yield from self.M.objects.all().iterator(chunk_size=chunk_size)
