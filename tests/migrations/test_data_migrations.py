"""Data migrations that use ormada's models, on SQLite, PostgreSQL and MariaDB: a revision
that adds a column and fills it through the models (update, iteration, bulk_create, a
nested transaction), applied and reverted by the Python API and by ``ormada migrate`` as a
process; a revision that fails after writing, rolled back with its schema change where DDL
is transactional; async calls inside a revision, refused with an error that says why; and
``Database.borrowing()``, which lends the migration's connection to the models, on its own."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

import ormada
from ormada.migrations import MigrationError, migrations_for
from ormada.migrations._connection import DIALECTS
from ormada.migrations.sql import SqlMigrations
from tests.cli.conftest import run_process
from tests.migrations.conftest import query, reflected_schema

MODELS = '''
from typing import Annotated

from ormada import Model, PrimaryKey


class Author(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
BORN
    class Meta:
        database = DATABASE
        table = "d_author"


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    author_id: int | None = None

    class Meta:
        database = DATABASE
        table = "d_book"
'''

# The revision after the tables: adds Author.born and fills it, and writes a book per author,
# all through the models (the current ones, which have born: the column exists once added).
DATA = '''
import ormada
from MODULE import Author, Book


def upgrade() -> None:
    op.add_column("d_author", sa.Column("born", sa.Integer(), nullable=True))
    Author.filter(name="Ursula K. Le Guin").update(born=1929)
    Author.filter(born__isnull=True).update(born=1900)
    Book.bulk_create([Book(title=f"{author.name}: collected works", author_id=author.id)
                      for author in Author.filter(born__gte=1900).order_by("name")])
    for author in Author.iterator(chunk_size=1):  # a server-side cursor on PostgreSQL
        author.name = author.name.upper()
        author.save()
    try:
        with ormada.get_database(DATABASE).transaction():  # a savepoint inside the revision's transaction
            Book.create(title="never kept")
            raise LookupError("undo this block only")
    except LookupError:
        pass
    FAIL


def downgrade() -> None:
    Book.filter(title__endswith=": collected works").delete()
    for author in Author.only("id", "name"):  # born is about to go: read only what stays
        Author.filter(id=author.id).update(name=author.name.title())
    with op.batch_alter_table("d_author") as batch:
        batch.drop_column("born")
'''

ASYNC = '''
import asyncio

from MODULE import Author


def upgrade() -> None:
    asyncio.run(Author.acount())


def downgrade() -> None:
    pass
'''


def models_module(module: str, database: str, born: bool) -> types.ModuleType:
    """Defines the models (with or without ``Author.born``) as the module ``module``."""
    source = MODELS.replace("BORN", "    born: int | None = None\n" if born else "").replace("DATABASE", repr(database))
    namespace = types.ModuleType(module)
    sys.modules[module] = namespace
    exec(compile(source, module, "exec"), namespace.__dict__)
    return namespace


def fill(path: Path, body: str) -> None:
    """Replaces the upgrade() and downgrade() of the empty revision at ``path`` with ``body``."""
    text = path.read_text()
    path.write_text(text[:text.index("\ndef upgrade")] + body)


def prepared(connected: ormada.Database, name: str, tmp_path: Path, body: str) -> tuple[SqlMigrations, list[str]]:
    """The tables revision applied with two authors in the tables, and the data revision made."""
    migrations = migrations_for(connected, tmp_path / "migrations")
    assert isinstance(migrations, SqlMigrations)
    module = f"tests_data_migrations_{name}"
    first = models_module(module, name, born=False)
    tables = migrations.make("tables")
    migrations.upgrade()
    first.Author.create(name="Ursula K. Le Guin")
    first.Author.create(name="Octavia E. Butler")
    models_module(module, name, born=True)  # what the project's models are now
    data = migrations.make("born, and a book per author", empty=True)
    assert tables is not None and data is not None
    fill(data, body.replace("MODULE", module).replace("DATABASE", repr(name)))
    return migrations, [p.name.split("_")[0] for p in (tables, data)]


def authors(url: str) -> list[tuple[str, int | None]]:
    return sorted((str(n), b) for n, b in query(url, "SELECT name, born FROM d_author"))


def test_a_revision_uses_the_models(url: str, name: str, connected: ormada.Database, tmp_path: Path) -> None:
    from ormada.cache import MemoryCache

    migrations, ids = prepared(connected, name, tmp_path, DATA.replace("FAIL", ""))
    books = sys.modules[f"tests_data_migrations_{name}"].Book
    ormada.cache.configure(MemoryCache(), default=ormada.Cache(ttl=300))
    try:
        assert books.count() == books.count() == 0
        store = ormada.cache.store()
        assert store is not None and store.hits == 1
        applied = migrations.upgrade()
        assert books.count() == 2  # the writes of the revision were invalidated
    finally:
        ormada.cache.reset()
    assert [r.id for r in applied] == [ids[1]]
    # Read on connections of their own: what the revision wrote was committed with it.
    assert authors(url) == [("OCTAVIA E. BUTLER", 1900), ("URSULA K. LE GUIN", 1929)]
    assert sorted(t for (t,) in query(url, "SELECT title FROM d_book")) == [
        "Octavia E. Butler: collected works", "Ursula K. Le Guin: collected works"]
    assert migrations.status().current == ids[1]
    assert books.count() == 2  # after the migration the models run on their own connections again

    assert [r.id for r in migrations.downgrade("-1")] == [ids[1]]
    assert reflected_schema(url)["d_author"][0] == {"id", "name"}
    assert sorted(str(n) for (n,) in query(url, "SELECT name FROM d_author")) == [
        "Octavia E. Butler", "Ursula K. Le Guin"]
    assert query(url, "SELECT count(*) FROM d_book") == [(0,)]


def test_a_failing_data_migration_is_rolled_back(url: str, name: str, connected: ormada.Database, tmp_path: Path,
                                                 migration_backend: str) -> None:
    migrations, ids = prepared(connected, name, tmp_path,
                               DATA.replace("FAIL", 'raise ValueError("no year of birth for the rest")'))
    with pytest.raises(MigrationError) as failed:
        migrations.upgrade()
    message = str(failed.value)
    assert f"upgrade of revision {ids[1]} (born, and a book per author) failed" in message
    assert "ValueError: no year of birth for the rest" in message
    assert f"the database is at {ids[0]}" in message
    assert migrations.status().current == ids[0]
    # The data the revision wrote through the models is gone with it, on every database.
    assert query(url, "SELECT count(*) FROM d_book") == [(0,)]
    assert sorted(str(n) for (n,) in query(url, "SELECT name FROM d_author")) == [
        "Octavia E. Butler", "Ursula K. Le Guin"]
    if DIALECTS[migration_backend].transactional:  # and so is its schema change
        assert reflected_schema(url)["d_author"][0] == {"id", "name"}
        assert "rolled back" in message
    else:  # MySQL committed the ALTER TABLE: the error says the revision may be half done
        assert reflected_schema(url)["d_author"][0] == {"id", "name", "born"}
        assert "commits DDL statement by statement" in message


def test_async_calls_inside_a_revision_are_refused(url: str, name: str, connected: ormada.Database,
                                                   tmp_path: Path) -> None:
    migrations, ids = prepared(connected, name, tmp_path, ASYNC)
    with pytest.raises(MigrationError) as failed:
        migrations.upgrade()
    message = str(failed.value)
    assert (f"TransactionError: async call inside the upgrade of revision {ids[1]} (born, and a book per author) "
            f"on {name!r}, which runs on a sync connection: use the sync API there") in message
    assert migrations.status().current == ids[0]


def test_the_migrate_command_runs_a_data_migration(url: str, tmp_path: Path, project: Any) -> None:
    # The data migration is applied by a process of its own, which imports the models anew; the other
    # commands run in this process (a process starts in seconds).
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.ormada]\nurl = "{url}"\nmodels = ["datamodels"]\nmigrations = "migrations"\n')
    for_database = MODELS.replace("DATABASE", repr("default"))
    (tmp_path / "datamodels.py").write_text(for_database.replace("BORN", ""))
    made = project("makemigrations", "-m", "tables")
    assert made.exit_code == 0, made.output
    assert project("migrate").exit_code == 0
    with ormada.connect(url, name=f"seed_{tmp_path.name}") as db:
        db.execute("INSERT INTO d_author (name) VALUES ('Ursula K. Le Guin'), ('Octavia E. Butler')")
    (tmp_path / "datamodels.py").write_text(for_database.replace("BORN", "    born: int | None = None\n"))
    empty = project("makemigrations", "-m", "born", "--empty")
    assert empty.exit_code == 0, empty.output
    [path] = [p for p in (tmp_path / "migrations" / "versions").glob("*_born.py")]
    assert "#     Author.filter(born__isnull=True).update(born=1900)" in path.read_text()
    fill(path, DATA.replace("MODULE", "datamodels").replace("DATABASE", repr("default")).replace("FAIL", ""))
    applied = run_process(["migrate"], cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert f"applied {path.name.split('_')[0]} born" in applied.stdout
    assert authors(url) == [("OCTAVIA E. BUTLER", 1900), ("URSULA K. LE GUIN", 1929)]
    assert query(url, "SELECT count(*) FROM d_book") == [(2,)]
    reverted = project("downgrade", "-1")
    assert reverted.exit_code == 0, reverted.output
    assert query(url, "SELECT count(*) FROM d_book") == [(0,)]
    assert reflected_schema(url)["d_author"][0] == {"id", "name"}


def test_borrowing_a_driver_connection(tmp_path: Path, name: str) -> None:
    import sqlite3

    import duckdb

    from ormada.errors import NotSupported

    path = tmp_path / "lent.db"
    with ormada.connect(f"sqlite:///{path}", name=name) as db:
        db.execute("CREATE TABLE lent (id INTEGER PRIMARY KEY, title TEXT)")
        own = sqlite3.connect(path, isolation_level=None)
        own.execute("BEGIN IMMEDIATE")
        with db.borrowing(own, purpose="a test's transaction") as tx:
            db.execute("INSERT INTO lent (title) VALUES (:title)", {"title": "kept only if the owner commits"})
            assert db.in_transaction() and tx.handed_over
            assert own.execute("SELECT count(*) FROM lent").fetchone() == (1,)  # the owner's transaction sees it
        assert tx.closed and not db.in_transaction()
        own.execute("ROLLBACK")  # the owner decides: nothing stays
        assert db.execute("SELECT count(*) FROM lent") == [(0,)]
        own.close()
        implicit = sqlite3.connect(path)  # pysqlite's own transactions would COMMIT before DDL
        with pytest.raises(NotSupported, match="autocommit mode"), db.borrowing(implicit):
            pass
        implicit.close()
    with ormada.connect(f"duckdb:///{tmp_path / 'x.duckdb'}", name=f"{name}_duck") as duck:
        raw = duckdb.connect()
        with pytest.raises(NotSupported, match="only on connections it opens itself"), duck.borrowing(raw):
            pass
        raw.close()
