"""Fixtures of the migration tests: a fresh database per test on each SQL backend, the
models of a small library at each of the five changes the tests walk through, and the
schema a database holds, read back by SQLAlchemy's reflection.

The models are module source (:func:`walk_source`), so that the same step can be
imported in the test's process (as one module name, defined again per step: the latest
definition of a model is the one its database maps) or written to a file for the
``ormada`` command to import. Each test binds its models to a database name of its own,
so the models of other tests in the process never reach its metadata.
"""

from __future__ import annotations

import sys
import types
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import ormada
from tests.conftest import database_url

MIGRATION_BACKENDS = ["sqlite", "postgresql", "mysql"]

STEPS = {
    1: "add the models Author and Book",
    2: "add Author.born with a default",
    3: "add the foreign key Book.author",
    4: "add the model Tag and the many-to-many Book.tags",
    5: "drop Author.born",
}


def walk_source(step: int, database: str) -> str:
    """The models module after change ``step`` (1 to 5), bound to ``database``."""
    meta = f"    class Meta:\n        database = {database!r}\n"
    lines = ["from typing import Annotated", "", "from ormada import ForeignKey, ManyToMany, Model, PrimaryKey", ""]
    if step >= 4:
        lines += ["", "class Tag(Model):", "    id: Annotated[int | None, PrimaryKey()] = None", "    name: str",
                  meta + "        table = 'w_tag'", ""]
    lines += ["", "class Author(Model):", "    id: Annotated[int | None, PrimaryKey()] = None", "    name: str"]
    if 2 <= step < 5:
        lines.append("    born: int = 1900")
    lines += [meta + "        table = 'w_author'", "", "", "class Book(Model):",
              "    id: Annotated[int | None, PrimaryKey()] = None", "    title: str"]
    if step >= 3:
        lines.append("    author: Annotated[Author | None, ForeignKey(related_name='books', on_delete='set null')] "
                     "= None")
    if step >= 4:
        lines.append("    tags: Annotated[list[Tag], ManyToMany(related_name='books')] = []")
    lines += [meta + "        table = 'w_book'", ""]
    return "\n".join(lines)


def load_step(step: int, database: str, module: str) -> types.ModuleType:
    """Defines the models of ``step`` in this process, as the module ``module`` (again)."""
    namespace = types.ModuleType(module)
    sys.modules[module] = namespace
    exec(compile(walk_source(step, database), f"<{module} step {step}>", "exec"), namespace.__dict__)
    return namespace


def expected_schema(step: int) -> dict[str, Any]:
    """The tables, columns and foreign keys the database holds after change ``step``
    (0: none of the models' tables)."""
    if step == 0:
        return {}
    author = {"id", "name"} | ({"born"} if 2 <= step < 5 else set())
    book = {"id", "title"} | ({"author_id"} if step >= 3 else set())
    tables: dict[str, Any] = {
        "w_author": (author, set()),
        "w_book": (book, {("author_id", "w_author")} if step >= 3 else set()),
    }
    if step >= 4:
        tables["w_tag"] = ({"id", "name"}, set())
        tables["w_book_tags"] = ({"id", "book_id", "tag_id"}, {("book_id", "w_book"), ("tag_id", "w_tag")})
    return tables


def engine_on(url: str) -> sa.Engine:
    """An engine on ``url`` whose connections ormada's backend opens (as the migrations' are)."""
    from ormada.backends._sql.engine import sqlalchemy_engine

    return sqlalchemy_engine(ormada.Database(url, name=f"probe_{uuid.uuid4().hex[:8]}").backend)


def reflected_schema(url: str) -> dict[str, Any]:
    """The tables (but Alembic's version table), columns and foreign keys ``url`` holds."""
    engine = engine_on(url)
    try:
        inspector = sa.inspect(engine)
        found = {}
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            columns = {c["name"] for c in inspector.get_columns(table)}
            keys = {(fk["constrained_columns"][0], fk["referred_table"]) for fk in inspector.get_foreign_keys(table)}
            found[table] = (columns, keys)
        return found
    finally:
        engine.dispose()


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one statement, on a connection of its own."""
    engine = engine_on(url)
    try:
        with engine.connect() as connection:
            rows = [tuple(row) for row in connection.execute(sa.text(sql))]
            connection.commit()
            return rows
    finally:
        engine.dispose()


@pytest.fixture(params=MIGRATION_BACKENDS)
def migration_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(migration_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database (a SQLite file, a PostgreSQL schema, a MariaDB database), with its password."""
    return database_url(migration_backend, request, tmp_path)


@pytest.fixture
def name() -> str:
    """A database name no other test binds models to."""
    return f"mig_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def connected(url: str, name: str) -> Iterator[ormada.Database]:
    """``url`` connected under the test's own database name."""
    db = ormada.connect(url, name=name)
    try:
        yield db
    finally:
        db.close()
