"""Fixtures of the introspection tests: a source database holding the models of
``inspect_models`` (with rows), an empty second database of the same backend, and a way to
import generated files under module names of their own."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ormada
from tests.conftest import MY_HOST, MY_PORT, PG_URL, _mysql_admin, _pg_admin, database_url
from tests.introspect.inspect_models import MODELS, Edition, Label, Person, Publisher, Work

SQL_BACKENDS = ["sqlite", "postgresql", "mysql", "duckdb"]


@dataclass
class Pair:
    """The source database (the models' tables, with rows) and an empty one beside it."""

    backend: str
    url: str
    db: ormada.Database
    empty_url: str


def empty_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of a second, empty database of ``backend``, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'empty.duckdb'}"
    if backend == "postgresql":
        with _pg_admin() as admin:
            admin.execute(f'CREATE SCHEMA "{name}"')

        def drop_schema() -> None:
            with _pg_admin() as admin:
                admin.execute(f'DROP SCHEMA "{name}" CASCADE')

        request.addfinalizer(drop_schema)
        return f"{PG_URL}?schema={name}"
    with _mysql_admin() as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")

    def drop_database() -> None:
        with _mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")

    request.addfinalizer(drop_database)
    return f"mysql://root@{MY_HOST}:{MY_PORT}/{name}"


def seed() -> None:
    """A few rows in every table, relations and the many-to-many links included."""
    import datetime as dt
    import ipaddress
    from decimal import Decimal

    acme = Publisher.create(name="Acme", country="uk")
    ursula = Person.create(name="Ursula")
    ed = Person.create(name="Ed", mentor_id=ursula.id)
    sf, classic = Label.create(title="sf"), Label.create(title="classic")
    work = Work.create(
        title="The Dispossessed", pages=387, copies=10**12, price=Decimal("12.50"), rating=4.5, public=True,
        token=uuid.UUID(int=7), published=dt.date(1974, 5, 1), opens=dt.time(9, 30, 15, 250),
        added=dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), local=dt.datetime(2024, 1, 2, 3, 4, 5),
        cover=b"\x00\x01", extra={"tags": ["a"], "n": 1}, loan=dt.timedelta(days=3),
        address=ipaddress.ip_address("10.0.0.1"), publisher_id=acme.id, author_id=ursula.id, editor_id=ed.id,
        klass="novel", odd=3)
    Work.create(title="Lathe", price=Decimal("1"), token=uuid.UUID(int=8), added=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                publisher_id=acme.id, author_id=ursula.id)
    work.labels.add(sf, classic)
    Edition.create(work_id=work.id, number=1, isbn="978-0", year=1974)
    Edition.create(work_id=work.id, number=2, isbn="978-1", year=1994)


@pytest.fixture(params=SQL_BACKENDS)
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pair]:
    """The models' tables, with rows, on a fresh database of each SQL backend."""
    backend = str(request.param)
    url = database_url(backend, request, tmp_path)
    database = ormada.connect(url)
    database.create_all(MODELS)
    seed()
    try:
        yield Pair(backend, url, database, empty_database(backend, tmp_path, request))
    finally:
        database.drop_all(MODELS)
        await database.aclose()


@contextmanager
def importing(directory: Path) -> Iterator[Any]:
    """Imports generated files from ``directory`` (put first on ``sys.path``) and forgets
    them afterwards."""
    sys.path.insert(0, str(directory))
    before = set(sys.modules)

    def load(name: str) -> ModuleType:
        importlib.invalidate_caches()
        return importlib.import_module(name)

    try:
        yield load
    finally:
        sys.path.remove(str(directory))
        generated = {name for name in set(sys.modules) - before
                     if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(directory))}
        for name in generated:
            del sys.modules[name]
        forget_models(generated)


def forget_models(modules: set[str]) -> None:
    """Takes the models of ``modules`` out of the registry. Generated models use the database
    named "default", as most tests' models do: left registered, a table of theirs (a
    ``shelf`` keyed by ``code``) would meet another model's ``shelf`` in the next
    ``create_all()`` of a "default" database this process makes."""
    from ormada import _registry

    _registry._configured[:] = [i for i in _registry._configured if i.model.__module__ not in modules]
    for classes in _registry._by_name.values():
        classes[:] = [c for c in classes if c.__module__ not in modules]


@pytest.fixture
def importer(tmp_path: Path) -> Iterator[Any]:
    """:func:`importing` from the test's ``tmp_path``."""
    with importing(tmp_path) as load:
        yield load


def unique_stem(prefix: str = "models") -> str:
    """A module name no other test imports (generated models register by module)."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def models_of(module: ModuleType) -> list[type[ormada.Model]]:
    """The model classes a generated module defines."""
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, ormada.Model) and v.__module__ == module.__name__]
