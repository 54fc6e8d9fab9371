"""Fixtures: a fresh database per test on every backend, and one test body for both modes.

``db`` is parametrised by backend (SQLite, PostgreSQL, MySQL/MariaDB) and ``api`` by mode (sync,
async): a test written once as ``await api(Book, "create", ...)`` runs the sync
method ``Book.create`` in sync mode and ``Book.acreate`` in async mode.

PostgreSQL tests each get their own schema, so they are isolated under xdist.
When the server cannot be reached the tests are skipped with a message saying how
to start it, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ormada
from tests.kept_databases import KeptDatabases

PG_HOST = os.environ.get("ORMADA_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("ORMADA_PG_PORT", "5432"))
PG_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or: make services)"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MY_HOST = os.environ.get("ORMADA_MYSQL_HOST", "127.0.0.1")
MY_PORT = int(os.environ.get("ORMADA_MYSQL_PORT", "3306"))
MY_START = "make services (or: sudo bash scripts/services.sh mariadb)"
# The PostgreSQL with pgvector of the vector-search tests (Debian's PostgreSQL has no pgvector).
PGV_HOST = os.environ.get("ORMADA_PGVECTOR_HOST", "127.0.0.1")
PGV_PORT = int(os.environ.get("ORMADA_PGVECTOR_PORT", "5433"))
PGV_START = "make services (or, once make lint has installed the test extras: bash scripts/services.sh pgvector)"

BACKENDS = ["sqlite", "postgresql", "mysql", "duckdb"]

# Test modules that do not run on MySQL/MariaDB yet, each with the reason; the list
# is what is left to do for that backend.
MYSQL_NOT_YET: dict[str, str] = {}
# Test modules that do not run on DuckDB yet, each with the reason.
DUCKDB_NOT_YET: dict[str, str] = {
    "test_sqlite_datetimes": "SQLite's stored text forms of datetimes, written raw with offsets; DuckDB stores "
                             "TIMESTAMP/TIMESTAMPTZ values, which test_duckdb checks",
}
NOT_YET = {"mysql": MYSQL_NOT_YET, "duckdb": DUCKDB_NOT_YET}
MODES = ["sync", "async"]


def unreachable(what: str, how: str, error: Exception) -> None:
    """Fails in CI, skips elsewhere, always saying how to start the server."""
    message = f"{what} is not reachable ({error}); start it with: {how}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", autocommit=True,
                           connect_timeout=5)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    import psycopg

    try:
        admin = _pg_admin()
    except psycopg.OperationalError as exc:
        unreachable("PostgreSQL on 127.0.0.1:5432", PG_START, exc)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield name
        finally:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def pgvector_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL that has pgvector, dropped afterwards."""
    import psycopg

    try:
        admin = psycopg.connect(host=PGV_HOST, port=PGV_PORT, user="postgres", dbname="postgres", autocommit=True,
                                connect_timeout=5)
    except psycopg.OperationalError as exc:
        unreachable(f"PostgreSQL with pgvector on {PGV_HOST}:{PGV_PORT}", PGV_START, exc)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _mysql_admin() -> Any:
    import pymysql

    return pymysql.connect(host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True,
                           connect_timeout=5)


@pytest.fixture
def mysql_database() -> Iterator[str]:
    """A fresh MySQL/MariaDB database (what PostgreSQL calls a schema), dropped afterwards."""
    import pymysql

    try:
        admin = _mysql_admin()
    except pymysql.err.OperationalError as exc:
        unreachable(f"MariaDB on {MY_HOST}:{MY_PORT}", MY_START, exc)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        try:
            yield name
        finally:
            cursor.execute(f"DROP DATABASE `{name}`")


def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'test.duckdb'}"
    if backend == "mysql":
        module = request.node.module.__name__.rsplit(".", 1)[-1]
        if module in MYSQL_NOT_YET:  # pragma: no cover - deselected by pytest_collection_modifyitems
            pytest.fail(f"{module} does not run on MySQL yet: {MYSQL_NOT_YET[module]}")
        return f"mysql://root@{MY_HOST}:{MY_PORT}/{request.getfixturevalue('mysql_database')}"
    schema = request.getfixturevalue("pg_schema")
    return f"{PG_URL}?schema={schema}"


@asynccontextmanager
async def models_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                          models: list[Any]) -> AsyncIterator[ormada.Database]:
    """The default database on a fresh SQLite file or server schema holding just ``models``'
    tables (dropped first, in case another test left them), dropped again afterwards."""
    database = ormada.connect(database_url(backend, request, tmp_path))
    database.drop_all(models)
    database.create_all(models)
    try:
        yield database
    finally:
        database.drop_all(models)
        await database.aclose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def kept_databases() -> Iterator[KeptDatabases]:
    """The server databases this test process reuses for the ``db`` fixture, dropped at its end."""
    kept = KeptDatabases()
    yield kept
    kept.drop_all()


@pytest.fixture
async def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
             kept_databases: KeptDatabases) -> AsyncIterator[ormada.Database]:
    """The default database on a fresh SQLite or DuckDB file, or a PostgreSQL schema or MariaDB
    database kept by the test process and emptied for each test (:class:`KeptDatabases`),
    with every test model's table created and no rows in them."""
    from tests.models import ALL_MODELS

    url = kept_databases.url(backend, request, tmp_path)
    database = ormada.connect(url)
    # On a database that holds the tables, the statements are built (as the models are configured) but not run.
    database.create_all(ALL_MODELS, dry_run=kept_databases.reused(backend))
    kept_databases.created(backend)
    try:
        yield database
    finally:
        await database.aclose()
        kept_databases.hand_back(backend)


class Api:
    """Calls the sync method or its ``a``-prefixed async twin, by mode."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.is_async = mode == "async"

    async def __call__(self, target: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
        if self.is_async:
            return await getattr(target, "a" + name)(*args, **kwargs)
        return getattr(target, name)(*args, **kwargs)

    async def list(self, queryset: Any) -> list[Any]:
        """Iterates a QuerySet: ``for`` in sync mode, ``async for`` in async mode."""
        if self.is_async:
            return [item async for item in queryset]
        return list(queryset)

    async def iterate(self, queryset: Any, chunk_size: int) -> list[Any]:
        if self.is_async:
            return [item async for item in queryset.aiterator(chunk_size)]
        return list(queryset.iterator(chunk_size))

    @asynccontextmanager
    async def transaction(self, database: ormada.Database) -> AsyncIterator[Any]:
        if self.is_async:
            async with database.atransaction() as tx:
                yield tx
        else:
            with database.transaction() as tx:
                yield tx

    async def execute(self, database: ormada.Database, sql: str, params: dict[str, Any] | None = None) -> Any:
        if self.is_async:
            return await database.aexecute(sql, params)
        return database.execute(sql, params)


@pytest.fixture(params=MODES)
def api(request: pytest.FixtureRequest) -> Api:
    return Api(str(request.param))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(*capabilities): runs only on backends that have them (Capabilities fields, or keys "
        "of Capabilities.extra), e.g. @pytest.mark.requires(\"savepoints\")")


def capable(backend: str, capability: str) -> bool:
    """Whether a backend has a capability, as its class declares it (no connection made)."""
    import importlib

    from ormada.database import BACKENDS as CLASSES

    module, _, name = CLASSES[backend].partition(":")
    supports = getattr(importlib.import_module(module), name).supports
    if hasattr(supports, capability):
        return bool(getattr(supports, capability))
    return bool(supports.extra.get(capability, True))


def _left_out(item: pytest.Item) -> bool:
    """A run on a backend that lacks a capability the test requires, or of a module listed
    as not yet running on that backend."""
    callspec = getattr(item, "callspec", None)
    backend = None if callspec is None else callspec.params.get("backend")
    if backend is None:
        return False
    module = getattr(item, "module", None)
    if module is not None and module.__name__.rsplit(".", 1)[-1] in NOT_YET.get(backend, {}):
        return True
    return any(not capable(backend, name) for marker in item.iter_markers("requires") for name in marker.args)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leaves out, visibly, the runs of the modules in :data:`NOT_YET` on their backend and
    the runs of ``requires(...)`` tests on backends without the capability."""
    left_out = [item for item in items if _left_out(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        chosen = set(map(id, left_out))
        items[:] = [item for item in items if id(item) not in chosen]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Runs ``ormada`` commands through Typer's runner in this process, in ``tmp_path`` (the
    project's directory), as a process of its own would run them: with no models but the
    project's (the registry of models is set aside meanwhile), each command importing the
    project's model modules afresh. A process costs seconds of interpreter and import
    start-up per command; the tests that need real processes (the console script, two
    processes racing) start them. Afterwards the project's modules, models and ``sys.path``
    entry are forgotten, so later tests of this process never meet them."""
    from ormada import _registry

    monkeypatch.chdir(tmp_path)
    paths = list(sys.path)
    roots = (str(tmp_path), str(tmp_path.resolve()))
    kept = {name: copy.copy(getattr(_registry, name))
            for name in ("_configured", "_waiting", "_by_name", "_many_waiting", "_listeners")}

    def restore(registry: dict[str, Any]) -> None:
        for name, value in registry.items():
            current = getattr(_registry, name)
            current.clear()
            (current.update if isinstance(current, dict) else current.extend)(value)

    def forget_modules() -> None:
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", "") or "").startswith(roots):
                del sys.modules[name]
        importlib.invalidate_caches()

    def invoke(*args: str, input: str | None = None, **env: str) -> Any:
        from ormada.cli import app

        forget_modules()
        return CliRunner().invoke(app, list(args), input=input,
                                  env={"ORMADA_URL": None, "ORMADA_MODELS": None, "COLUMNS": "200", **env})

    restore({name: type(value)() for name, value in kept.items()})
    try:
        yield invoke
    finally:
        forget_modules()
        restore(kept)
        sys.path[:] = paths
