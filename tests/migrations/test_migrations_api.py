"""SQL migrations through the Python API: five model changes made and applied one by one,
then reverted, on SQLite, PostgreSQL and MariaDB, with the schema read back by reflection
after every step; status, offline SQL, failures, and the backends without migrations."""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

import ormada
from ormada.errors import NotSupported
from ormada.migrations import MigrationError, MigrationStatus, directory_for, migrations_for
from ormada.migrations._connection import DIALECTS
from ormada.migrations.sql import MigrationWarning, SqlMigrations
from tests.migrations.conftest import STEPS, expected_schema, load_step, reflected_schema


def test_five_changes_up_and_down(url: str, name: str, connected: ormada.Database, tmp_path: Path) -> None:
    migrations = migrations_for(connected, tmp_path / "migrations")
    assert isinstance(migrations, SqlMigrations)
    module = f"tests_migrations_walk_{name}"
    made = []
    for step, message in STEPS.items():
        models = load_step(step, name, module)
        path = migrations.make(message)
        assert path is not None and path.parent == tmp_path / "migrations" / "versions"
        made.append(path)
        assert "def downgrade() -> None:" in path.read_text()
        applied = migrations.upgrade()
        assert [r.path for r in applied] == [path]
        assert [r.message for r in applied] == [message]
        assert reflected_schema(url) == expected_schema(step)
        status = migrations.status()
        assert status == MigrationStatus(applied[0].id, applied[0].id, (), ())
        assert migrations.make("nothing changed") is None
        if step == 1:
            models.Author.create(name="Ursula K. Le Guin")
        if step == 2:  # the row that was there took the field's default
            assert models.Author.get(name="Ursula K. Le Guin").born == 1900
        if step == 4:
            tag = models.Tag.create(name="sf")
            book = models.Book.create(title="The Dispossessed", author=models.Author.get(name="Ursula K. Le Guin"))
            book.tags.add(tag)
            assert [b.title for b in models.Book.filter(tags__name="sf")] == ["The Dispossessed"]
    assert (tmp_path / "migrations" / "env.py").is_file()
    history = migrations.history()
    assert [r.message for r in history] == list(STEPS.values())
    assert [r.path for r in history] == made
    assert all(r.applied for r in history)
    assert [r.parent for r in history] == [None, *(r.id for r in history[:-1])]

    for step in range(5, 0, -1):  # back down one revision at a time
        reverted = migrations.downgrade("-1")
        assert [r.id for r in reverted] == [history[step - 1].id]
        assert not reverted[0].applied
        assert reflected_schema(url) == expected_schema(step - 1)
    assert migrations.status().current is None
    assert migrations.downgrade("base") == []

    assert [r.id for r in migrations.upgrade(history[2].id)] == [r.id for r in history[:3]]
    assert reflected_schema(url) == expected_schema(3)
    assert [r.applied for r in migrations.history()] == [True, True, True, False, False]
    with pytest.raises(MigrationError, match=f"revision {history[1].id} is already applied .* use downgrade"):
        migrations.upgrade(history[1].id)
    assert [r.id for r in migrations.upgrade()] == [r.id for r in history[3:]]
    assert reflected_schema(url) == expected_schema(5)
    assert [r.id for r in migrations.downgrade(history[0].id)] == [r.id for r in reversed(history[1:])]
    assert reflected_schema(url) == expected_schema(1)
    assert [r.id for r in migrations.downgrade("base")] == [history[0].id]
    assert reflected_schema(url) == {}


def test_status_reports_pending_revisions_and_drift(url: str, name: str, connected: ormada.Database,
                                                    tmp_path: Path) -> None:
    migrations = migrations_for(connected, tmp_path / "migrations")
    module = f"tests_migrations_status_{name}"
    load_step(1, name, module)
    fresh = migrations.status()
    assert (fresh.current, fresh.head, fresh.pending, fresh.compared) == (None, None, (), True)
    assert set(fresh.drift) == {"create table w_author", "create table w_book"}
    first = migrations.make(STEPS[1])
    assert first is not None
    behind = migrations.status()
    assert behind.current is None and behind.head == first.name.split("_")[0]
    assert [r.path for r in behind.pending] == [first]
    assert (behind.drift, behind.compared) == ((), False)
    with pytest.raises(MigrationError, match="behind its revisions"):
        migrations.make("too early")
    migrations.upgrade()
    load_step(3, name, module)  # born and the foreign key, without a revision for them
    drifted = migrations.status()
    assert drifted.pending == () and drifted.compared
    assert "add column w_author.born (INTEGER NOT NULL)" in drifted.drift
    assert "add column w_book.author_id (INTEGER)" in drifted.drift
    assert "add foreign key w_book(author_id) -> w_author" in drifted.drift


def test_sql_of_a_revision_and_its_downgrade(url: str, name: str, connected: ormada.Database,
                                            tmp_path: Path, migration_backend: str) -> None:
    migrations = migrations_for(connected, tmp_path / "migrations")
    module = f"tests_migrations_sql_{name}"
    load_step(1, name, module)
    first = migrations.make(STEPS[1])
    migrations.upgrade()
    load_step(2, name, module)
    second = migrations.make(STEPS[2])
    assert first is not None and second is not None
    revision = second.name.split("_")[0]
    created = migrations.sql(first.name.split("_")[0])
    assert "CREATE TABLE w_author" in created and "CREATE TABLE w_book" in created
    assert "CREATE TABLE alembic_version" in created
    added = migrations.sql(revision)
    assert "ALTER TABLE w_author ADD COLUMN born INTEGER" in added
    assert "1900" in added
    assert f"UPDATE alembic_version SET version_num='{revision}'" in added
    removed = migrations.sql(revision, downgrade=True)
    if DIALECTS[migration_backend].batch:  # SQLite copies the table without the column
        assert "CREATE TABLE _alembic_tmp_w_author" in removed
        assert "ALTER TABLE _alembic_tmp_w_author RENAME TO w_author" in removed
    else:
        assert "ALTER TABLE w_author DROP COLUMN born" in removed
    assert migrations.status().current == first.name.split("_")[0]  # nothing was applied
    with pytest.raises(MigrationError, match="no revision 'nope'"):
        migrations.sql("nope")


FAILING = '''
def upgrade() -> None:
    op.create_table("w_partial", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO w_no_such_table VALUES (1)")


def downgrade() -> None:
    op.drop_table("w_partial")
'''


def test_a_failing_revision_leaves_the_one_before(url: str, name: str, connected: ormada.Database,
                                                  tmp_path: Path, migration_backend: str) -> None:
    migrations = migrations_for(connected, tmp_path / "migrations")
    module = f"tests_migrations_fail_{name}"
    load_step(1, name, module)
    first = migrations.make(STEPS[1])
    migrations.upgrade()
    load_step(2, name, module)
    second = migrations.make(STEPS[2])
    third = migrations.make("a revision that fails", empty=True)
    assert first is not None and second is not None and third is not None
    text = third.read_text()
    third.write_text(text[:text.index("\ndef upgrade")] + FAILING)
    ids = [p.name.split("_")[0] for p in (first, second, third)]
    with pytest.raises(MigrationError) as failed:
        migrations.upgrade()
    message = str(failed.value)
    assert f"upgrade of revision {ids[2]} (a revision that fails) failed" in message
    assert "w_no_such_table" in message
    assert f"applied before it: {ids[1]}" in message
    assert f"the database is at {ids[1]}" in message
    assert migrations.status().current == ids[1]
    schema = reflected_schema(url)
    assert schema.get("w_author") == expected_schema(2)["w_author"]
    if DIALECTS[migration_backend].transactional:
        assert "rolled back" in message
        assert "w_partial" not in schema
    else:  # MySQL commits each DDL statement: the error says so
        assert "commits DDL statement by statement" in message
        assert "w_partial" in schema


def test_revision_warnings_and_data_migrations(url: str, name: str, connected: ormada.Database,
                                               tmp_path: Path) -> None:
    migrations = migrations_for(connected, tmp_path / "migrations")
    module = f"tests_migrations_warn_{name}"
    load_step(1, name, module)
    migrations.make(STEPS[1])
    migrations.upgrade()
    # Author.name becomes Author.full_name, and a required field is added.
    namespace = load_step(1, name, module)
    exec(compile("class Author(Model):\n    id: Annotated[int | None, PrimaryKey()] = None\n    full_name: str\n"
                 "    rank: int\n    class Meta:\n        database = " + repr(name) + "\n        table = 'w_author'\n",
                 module, "exec"), namespace.__dict__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        revision = migrations.make("rename")
    assert revision is not None
    told = [str(w.message) for w in caught if issubclass(w.category, MigrationWarning)]
    assert any("w_author: dropped column(s) 'name' and added 'full_name', 'rank'" in t for t in told), told
    assert any("w_author.rank is added NOT NULL and its field has no default" in t for t in told), told
    revision.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigrationWarning)  # the required field, told above
        renamed = migrations.make("rename, asked", rename=lambda table, old, new: (table, old, new) ==
                                  ("w_author", "name", "full_name"))
    assert renamed is not None
    assert "new_column_name='full_name'" in renamed.read_text()
    renamed.unlink()
    data = migrations.make("fill in", empty=True)
    assert data is not None
    text = data.read_text()
    assert "def upgrade() -> None:\n    # A data migration may use ormada's models" in text
    assert "#     Author.filter(born__isnull=True).update(born=1900)" in text
    assert "    pass\n\n\ndef downgrade() -> None:\n    pass\n" in text


def test_directories_of_named_databases(tmp_path: Path) -> None:
    assert directory_for() == Path("migrations")
    assert directory_for("default", "db/migrations", tmp_path) == tmp_path / "db" / "migrations"
    assert directory_for("analytics", None, tmp_path) == tmp_path / "migrations" / "analytics"
    assert directory_for("analytics", "/srv/m", tmp_path) == Path("/srv/m/analytics")


def test_backends_without_migrations(tmp_path: Path, name: str) -> None:
    duck = ormada.connect(f"duckdb:///{tmp_path / 'x.duckdb'}", name=f"{name}_duck")
    with pytest.raises(NotSupported, match=r"DuckDB .*create_all"):
        migrations_for(duck, tmp_path / "migrations")
    memory = ormada.connect("sqlite://:memory:", name=f"{name}_memory")
    with pytest.raises(NotSupported, match="in-memory SQLite"):
        migrations_for(memory, tmp_path / "migrations")
    for db in (duck, memory):
        db.close()


def test_cassandra_gets_cql_migration_files(tmp_path: Path, name: str) -> None:
    from ormada.migrations.cql import CqlMigrations

    with ormada.connect("cassandra://127.0.0.1:9042/ks", name=f"{name}_cql") as cassandra:
        migrations = migrations_for(cassandra, tmp_path / "migrations")
        assert isinstance(migrations, CqlMigrations)
        assert migrations.directory == tmp_path / "migrations"


KINDS = '''
import datetime as dt
import enum
import uuid
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any

from pydantic import Field

from ormada import Indexed, Model, PrimaryKey, Unique


class Genre(enum.Enum):
    SF = "sf"
    FANTASY = "fantasy"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Kinds(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    code: Annotated[str, Unique()]
    title: Annotated[str, Indexed()]
    raw: bytes | None = None
    d: Annotated[Decimal | None, Field(max_digits=12, decimal_places=4)] = None
    u: uuid.UUID | None = None
    at: dt.datetime | None = None
    day: dt.date | None = None
    mapping: dict[str, Any] | None = None
    client: IPv4Address | IPv6Address | None = None
    length: dt.timedelta | None = None
    genre: Genre = Genre.SF
ADDED

    class Meta:
        database = DATABASE
        table = "k_kinds"
'''

ADDED = '''    flag: bool = True
    ratio: float = 0.5
    amount: Decimal = Decimal("2.50")
    level: Level = Level.HIGH
    other: Genre = Genre.FANTASY
    tags: list[str] = ["new"]
    born: dt.date = dt.date(1929, 10, 21)
'''


def test_every_kind_of_column_and_defaults_for_rows_already_there(url: str, name: str, connected: ormada.Database,
                                                                    tmp_path: Path) -> None:
    migrations = migrations_for(connected, tmp_path / "migrations")
    module = f"tests_migrations_kinds_{name}"
    first = types_module(module, KINDS.replace("ADDED", "").replace("DATABASE", repr(name)))
    assert migrations.make("kinds") is not None
    migrations.upgrade()
    assert migrations.status().drift == ()  # each type reads back as the models declare it
    first.Kinds.create(code="a", title="first", mapping={"k": [1]})
    second = types_module(module, KINDS.replace("ADDED", ADDED).replace("DATABASE", repr(name)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigrationWarning)  # every added column has a default to give the row
        revision = migrations.make("columns with defaults")
    assert revision is not None
    text = revision.read_text()
    assert "server_default='[\"new\"]'" in text and "server_default='fantasy'" in text
    migrations.upgrade()
    assert migrations.status().drift == ()
    row = second.Kinds.get(code="a")
    assert (row.flag, row.ratio, row.amount, row.level, row.other, row.tags, row.born) == (
        True, 0.5, second.Decimal("2.50"), second.Level.HIGH, second.Genre.FANTASY, ["new"],
        second.dt.date(1929, 10, 21))
    assert row.mapping == {"k": [1]}
    # The defaults went into the revision, not into the models' metadata (create_all's DDL).
    assert all(column.server_default is None for column in connected.metadata.tables["k_kinds"].columns
               if not column.primary_key)
    migrations.downgrade("base")
    assert reflected_schema(url) == {}


def types_module(module: str, source: str) -> Any:
    namespace = types.ModuleType(module)
    sys.modules[module] = namespace
    exec(compile(source, module, "exec"), namespace.__dict__)
    return namespace
