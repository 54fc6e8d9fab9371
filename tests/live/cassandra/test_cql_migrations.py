"""CQL migration files on a live node: make, upgrade and downgrade a model through five changes,
refusals, the lock between two migrating processes, a failing revision, ``sql()``, and the README.

Each test that applies revisions has a keyspace of its own (the record table is per keyspace);
the model versions below are bound to no database and handed to ``CqlMigrations`` explicitly.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import pytest
from pydantic import BaseModel
from tests.integration.test_readme import assert_ran, marked_blocks, run_python
from tests.live.cassandra.conftest import HOSTS, SCHEMA_CHANGE_TIMEOUT

import ormada
from ormada import ClusteringKey, Indexed, PartitionKey, PrimaryKey
from ormada.migrations import MigrationError
from ormada.migrations.cql import CqlMigrations, PartialMigrationError

UNBOUND = "cql_migration_versions"  # no database has this name: the models reach a database only through migrations


class Address(BaseModel):
    street: str
    city: str


class Address2(BaseModel):  # the same user type with a field added
    __cql_type_name__ = "address"
    street: str
    city: str
    country: str | None = None


class Account1(ormada.Model):
    id: Annotated[UUID, PrimaryKey()]
    name: str

    class Meta:
        table = "account"
        database = UNBOUND


class Account2(ormada.Model):  # + email
    id: Annotated[UUID, PrimaryKey()]
    name: str
    email: str | None = None

    class Meta:
        table = "account"
        database = UNBOUND


class Account3(ormada.Model):  # + an SAI index on email
    id: Annotated[UUID, PrimaryKey()]
    name: str
    email: Annotated[str | None, Indexed(using="sai")] = None

    class Meta:
        table = "account"
        database = UNBOUND


class Account4(ormada.Model):  # + a user type column (and a second table, Login)
    id: Annotated[UUID, PrimaryKey()]
    name: str
    email: Annotated[str | None, Indexed(using="sai")] = None
    address: Address | None = None

    class Meta:
        table = "account"
        database = UNBOUND


class Account5(ormada.Model):  # - name; the user type gains a field
    id: Annotated[UUID, PrimaryKey()]
    email: Annotated[str | None, Indexed(using="sai")] = None
    address: Address2 | None = None

    class Meta:
        table = "account"
        database = UNBOUND


class Login(ormada.Model):
    account: Annotated[UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    ip: str | None = None

    class Meta:
        table = "login"
        database = UNBOUND
        default_ttl = 3600


class AccountNewKey(ormada.Model):  # refused: a clustering column joins the key
    id: Annotated[UUID, PartitionKey()]
    name: Annotated[str, ClusteringKey()]

    class Meta:
        table = "account"
        database = UNBOUND


class AccountNewType(ormada.Model):  # refused: name changes type
    id: Annotated[UUID, PrimaryKey()]
    name: int

    class Meta:
        table = "account"
        database = UNBOUND


class Probe(ormada.Model):
    id: Annotated[int, PrimaryKey(autoincrement=False)]

    class Meta:
        table = "probe"
        database = UNBOUND


class Visit(ormada.Model):
    page: Annotated[str, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    visitor: str

    class Meta:
        table = "visit"
        database = UNBOUND
        options = {"comment": "page visits"}


class VisitByVisitor(ormada.Model):
    visitor: Annotated[str, PartitionKey()]
    page: Annotated[str, ClusteringKey()]
    at: Annotated[dt.datetime, ClusteringKey()]

    class Meta:
        table = "visit_by_visitor"
        database = UNBOUND
        options = {"view_of": Visit}


def _schema_change(statement: Any) -> Any:
    statement.timeout = SCHEMA_CHANGE_TIMEOUT
    return statement


@pytest.fixture
def db() -> Iterator[ormada.Database]:
    """A database on a keyspace of its own, dropped after the test."""
    name = f"ormada_mig_{uuid.uuid4().hex[:8]}"
    database = ormada.Database(f"cassandra://{HOSTS}/{name}", name=name)
    database.execute_statement(_schema_change(database.backend.create_keyspace()))
    yield database
    database.execute_statement(_schema_change(database.backend.drop_keyspace()))
    database.close()


def _schema(db: ormada.Database) -> dict[str, Any]:
    """What system_schema says about the keyspace: tables with their columns, indexes, types."""
    keyspace = db.backend.keyspace  # type: ignore[attr-defined]
    columns: dict[str, dict[str, str]] = {}
    for table, column, ctype in db.execute("SELECT table_name, column_name, type FROM system_schema.columns "
                                           "WHERE keyspace_name = :k", {"k": keyspace}):
        columns.setdefault(table, {})[column] = ctype
    indexes = {row[0] for row in db.execute("SELECT index_name FROM system_schema.indexes WHERE keyspace_name = :k",
                                            {"k": keyspace})}
    types = {row[0]: list(row[1]) for row in db.execute(
        "SELECT type_name, field_names FROM system_schema.types WHERE keyspace_name = :k", {"k": keyspace})}
    columns.pop("ormada_migrations", None)
    return {"columns": columns, "indexes": indexes, "types": types}


def _step(migrations: CqlMigrations, models: list[type[ormada.Model]], message: str) -> str:
    migrations.models = models
    path = migrations.make(message)
    assert path is not None
    applied = migrations.upgrade()
    assert [r.message for r in applied] == [message]
    status = migrations.status()
    assert status.current == status.head == applied[0].id
    assert status.pending == () and status.drift == ()
    return applied[0].id


def test_five_changes_up_and_back_down(db: ormada.Database, tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Account1])
    assert migrations.status().drift == ("create table account",)

    migrations.make("accounts")
    first = migrations.upgrade("+1")[0].id  # "+N": N revisions after the current one
    assert _schema(db) == {"columns": {"account": {"id": "uuid", "name": "text"}}, "indexes": set(), "types": {}}
    assert migrations.make("nothing") is None  # no change, no file

    second = _step(migrations, [Account2], "account email")
    assert _schema(db)["columns"]["account"] == {"id": "uuid", "name": "text", "email": "text"}
    assert migrations.sql(second) == (f"-- {second} (upgrade): account email\n"
                                      "ALTER TABLE account ADD IF NOT EXISTS email text;\n")
    assert migrations.sql(second, downgrade=True) == (f"-- {second} (downgrade): account email\n"
                                                      "ALTER TABLE account DROP IF EXISTS email;\n")

    _step(migrations, [Account3], "index email")
    assert _schema(db)["indexes"] == {"account_email_idx"}

    fourth = _step(migrations, [Account4, Login], "addresses and logins")
    schema = _schema(db)
    assert schema["types"] == {"address": ["street", "city"]}
    assert schema["columns"]["account"]["address"] == "address"
    assert schema["columns"]["login"] == {"account": "uuid", "at": "timestamp", "ip": "text"}
    assert db.execute("SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = :k AND "
                      "table_name = 'login'", {"k": db.backend.keyspace}) == [(3600,)]  # type: ignore[attr-defined]
    assert migrations.sql(fourth).splitlines()[1:] == [
        "CREATE TYPE IF NOT EXISTS address (street text, city text);",
        "CREATE TABLE IF NOT EXISTS login (account uuid, at timestamp, ip text, PRIMARY KEY (account, at)) "
        "WITH CLUSTERING ORDER BY (at DESC) AND default_time_to_live = 3600;",
        "ALTER TABLE account ADD IF NOT EXISTS address address;",
    ]

    fifth = _step(migrations, [Account5, Login], "drop name")
    schema = _schema(db)
    assert "name" not in schema["columns"]["account"]
    assert schema["types"] == {"address": ["street", "city", "country"]}
    text = migrations.history()[-1].path.read_text()
    assert "data is lost" in text and "ALTER TABLE account ADD IF NOT EXISTS name text" in text

    # Down one: the dropped column comes back (empty), with its type.
    assert [r.id for r in migrations.downgrade("-1")] == [fifth]
    assert _schema(db)["columns"]["account"]["name"] == "text"
    assert migrations.status().current == fourth
    assert [r.applied for r in migrations.history()] == [True, True, True, True, False]

    reverted = migrations.downgrade("base")
    assert len(reverted) == 4 and reverted[-1].id == first
    # CQL drops neither a non-frozen user type column nor a type's field: the type added with
    # account.address stays (and the column went with the table).
    assert _schema(db) == {"columns": {}, "indexes": set(), "types": {"address": ["street", "city", "country"]}}
    assert "cannot drop a non-frozen user type column" in migrations.history()[3].path.read_text()
    status = migrations.status()
    assert status.current is None and len(status.pending) == 5


def test_materialized_view_and_table_options(db: ormada.Database, tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Visit, VisitByVisitor])
    _step(migrations, [Visit, VisitByVisitor], "visits")
    keyspace = db.backend.keyspace  # type: ignore[attr-defined]
    assert db.execute("SELECT view_name, base_table_name FROM system_schema.views WHERE keyspace_name = :k",
                      {"k": keyspace}) == [("visit_by_visitor", "visit")]
    assert db.execute("SELECT comment FROM system_schema.tables WHERE keyspace_name = :k AND table_name = 'visit'",
                      {"k": keyspace}) == [("page visits",)]
    assert [r.message for r in migrations.downgrade("base")] == ["visits"]
    assert db.execute("SELECT view_name FROM system_schema.views WHERE keyspace_name = :k", {"k": keyspace}) == []
    assert _schema(db)["columns"] == {}


def test_key_and_type_changes_are_refused(db: ormada.Database, tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Account1])
    assert migrations.make("accounts") is not None
    for model, reason in ((AccountNewKey, "CQL cannot change a table's primary key"),
                          (AccountNewType, "CQL cannot change a column's type")):
        migrations.models = [model]
        with pytest.raises(MigrationError, match=re.escape(reason)) as caught:
            migrations.make("refused")
        assert "create a new" in str(caught.value) or "add a new field" in str(caught.value)
        assert len(migrations.history()) == 1  # nothing written
        assert any(line.startswith("cannot migrate: account") for line in migrations.status().drift)


def test_two_concurrent_upgrades_apply_once(db: ormada.Database, tmp_path: Path) -> None:
    CqlMigrations(db, tmp_path, models=[Probe]).make("probe")
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def migrate(slot: int) -> None:
        # A database of its own: its own driver cluster and sessions, as another process would have.
        other = ormada.Database(db.url, name=f"{db.name}_{slot}")
        try:
            migrations = CqlMigrations(other, tmp_path, models=[Probe])
            barrier.wait()
            results[slot] = migrations.upgrade()
        except Exception as exc:  # reported below
            results[slot] = exc
        finally:
            other.close()

    threads = [threading.Thread(target=migrate, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(len(r) for r in results) == [0, 1]
    assert "probe" in _schema(db)["columns"]


def test_a_held_lock_is_reported(db: ormada.Database, tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Probe], lock_timeout=0)
    migrations.make("probe")
    assert migrations.upgrade() != []  # creates the record table
    with pytest.raises(MigrationError, match=r"'base' is before the current revision .*; use downgrade"):
        migrations.upgrade("base")
    keyspace = db.backend.keyspace  # type: ignore[attr-defined]
    db.execute(f"INSERT INTO {keyspace}.ormada_migrations (name, owner) VALUES ('lock', 'elsewhere:42') "
               "IF NOT EXISTS USING TTL 60")
    with pytest.raises(MigrationError, match=r"another process is migrating .* lock of elsewhere:42"):
        migrations.downgrade("base")
    assert migrations.status().current == migrations.history()[0].id  # nothing reverted
    db.execute(f"DELETE FROM {keyspace}.ormada_migrations WHERE name = 'lock' IF EXISTS")
    assert len(migrations.downgrade("base")) == 1


FAILING = '''
revision = "bad000000002"
down_revision = {parent!r}
message = "breaks halfway"


def upgrade(op):
    op.execute("CREATE TABLE IF NOT EXISTS half (id int PRIMARY KEY)")
    op.execute("ALTER TABLE no_such_table ADD x int")
    op.execute("CREATE TABLE IF NOT EXISTS never (id int PRIMARY KEY)")


def downgrade(op):
    op.execute("DROP TABLE IF EXISTS never")
    op.execute("DROP TABLE IF EXISTS half")
'''


def test_a_failing_statement_is_reported_precisely(db: ormada.Database, tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[])
    first = migrations.make("data only", empty=True)
    assert first is not None
    parent = migrations.history()[0].id
    (tmp_path / "versions" / "0002_bad000000002_breaks_halfway.py").write_text(FAILING.format(parent=parent))
    assert migrations.sql("bad0").splitlines()[1:] == [
        "CREATE TABLE IF NOT EXISTS half (id int PRIMARY KEY);", "ALTER TABLE no_such_table ADD x int;",
        "CREATE TABLE IF NOT EXISTS never (id int PRIMARY KEY);"]

    with pytest.raises(PartialMigrationError) as caught:
        migrations.upgrade()
    error = caught.value
    assert error.revision == "bad000000002" and error.recorded == parent
    assert error.applied == ("CREATE TABLE IF NOT EXISTS half (id int PRIMARY KEY)",)
    assert error.failed == "ALTER TABLE no_such_table ADD x int"
    assert error.not_applied == ("CREATE TABLE IF NOT EXISTS never (id int PRIMARY KEY)",)
    assert "1. CREATE TABLE IF NOT EXISTS half" in str(error) and "3. CREATE TABLE IF NOT EXISTS never" in str(error)
    assert f"ormada_migrations records {parent}" in str(error)
    status = migrations.status()
    assert status.current == parent and [r.id for r in status.pending] == ["bad000000002"]
    assert set(_schema(db)["columns"]) == {"half"}

    # Fixed, it runs again: the statement that had run is skipped (IF NOT EXISTS), the rest runs.
    path = migrations.history()[1].path
    path.write_text(path.read_text().replace('    op.execute("ALTER TABLE no_such_table ADD x int")\n', ""))
    assert [r.id for r in migrations.upgrade()] == ["bad000000002"]
    assert set(_schema(db)["columns"]) == {"half", "never"}


def test_data_migration_binds_values_and_sql_lists_only_cql(db: ormada.Database, tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Probe])
    migrations.make("probe")
    path = migrations.make("seed", empty=True)
    assert path is not None
    text = path.read_text().replace(
        "def upgrade(op: Operations) -> None:\n    pass",
        "def upgrade(op: Operations) -> None:\n    op.execute('INSERT INTO probe (id) VALUES (?)', (7,))\n"
        "    if op.offline:\n        return\n    op.db.execute(f'INSERT INTO {op.keyspace}.probe (id) VALUES (8)')")
    path.write_text(text)
    seed = migrations.history()[-1].id
    assert migrations.sql(seed).splitlines()[1:] == [
        "INSERT INTO probe (id) VALUES (?);  -- with (7,)",
        "-- then Python code in upgrade() that reads or writes through the models (not shown)"]
    migrations.upgrade()
    keyspace = db.backend.keyspace  # type: ignore[attr-defined]
    assert sorted(db.execute(f"SELECT id FROM {keyspace}.probe")) == [(7,), (8,)]


def test_readme_example(db: ormada.Database, tmp_path: Path) -> None:
    [code], [output] = marked_blocks("cql-migrations"), marked_blocks("cql-migrations-output")
    url = f"cassandra://{HOSTS}/{db.backend.keyspace}"  # type: ignore[attr-defined]
    assert_ran(run_python(code.replace('"cassandra://127.0.0.1/shop"', repr(url)), tmp_path), output)
