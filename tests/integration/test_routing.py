"""Routing to named databases and to replicas: two real databases per backend (two SQLite or
DuckDB files, two PostgreSQL databases, two MariaDB databases), holding different rows, show
where each read and write goes, sync and async."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from ormada import ConfigurationError, Model, PrimaryKey
from tests.conftest import MY_HOST, MY_PORT, PG_HOST, PG_PORT, Api, _mysql_admin, _pg_admin, database_url


class Post(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str


@pytest.fixture
def second_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second database of the backend, empty, dropped afterwards."""
    if backend in ("postgresql", "mysql"):  # the server's own fixture skips (or fails in CI) when it is down
        request.getfixturevalue("pg_schema" if backend == "postgresql" else "mysql_database")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'replica.db'}"
    elif backend == "duckdb":
        yield f"duckdb:///{tmp_path / 'replica.duckdb'}"
    elif backend == "postgresql":
        name = f"r_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    else:
        name = f"r_{uuid.uuid4().hex[:12]}"
        with _mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        yield f"mysql://root@{MY_HOST}:{MY_PORT}/{name}"
        with _mysql_admin() as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")


@pytest.fixture
async def routed(backend: str, request: pytest.FixtureRequest, tmp_path: Path, second_url: str) -> Any:
    """The default database with a replica; each holds a row the other has not (a replica
    that lags), so a read shows where it went."""
    primary = ormada.connect(database_url(backend, request, tmp_path), replicas=[second_url])
    replica = primary.replicas[0]
    for database in (primary, replica):
        database.drop_all([Post])
        database.create_all([Post])
    Post.create(title="on the primary")
    # using() names a database for writes too: this row goes to the replica only.
    Post.objects.using(replica.name).get_or_create(title="on the replica")
    try:
        yield primary
    finally:
        for database in (replica, primary):
            database.drop_all([Post])
        await primary.aclose()


async def titles(api: Api, queryset: Any) -> list[str]:
    return [post.title for post in await api.list(queryset)]


async def test_reads_go_to_the_replica_outside_a_transaction(routed: ormada.Database, api: Api) -> None:
    replica = routed.replicas[0]
    assert replica.name == "default.replica1" and ormada.get_database("default.replica1") is replica
    assert await titles(api, Post.filter()) == ["on the replica"]
    assert await api(Post.filter(), "count") == 1
    assert (await api(Post, "get", title="on the replica")).title == "on the replica"
    assert await api(Post.filter(title="on the primary"), "exists") is False
    assert (await api(Post.order_by("id"), "first")).title == "on the replica"
    assert [p.title for p in await api.iterate(Post.filter(), 10)] == ["on the replica"]
    assert await api(Post.values_list("title", flat=True), "all") == ["on the replica"]


async def test_reads_inside_a_transaction_go_to_the_primary(routed: ormada.Database, api: Api) -> None:
    async with api.transaction(routed):
        assert await titles(api, Post.filter()) == ["on the primary"]
        await api(Post, "create", title="written in the transaction")
        assert await api(Post.filter(), "count") == 2  # it sees its own write
        assert (await api(Post, "get", title="written in the transaction")).id is not None
    assert await titles(api, Post.filter()) == ["on the replica"]  # outside again


async def test_writes_always_go_to_the_primary(routed: ormada.Database, api: Api) -> None:
    replica = routed.replicas[0].name
    post = await api(Post, "create", title="new")
    post.title = "renamed"
    await api(post, "save")
    await api(Post, "bulk_create", [Post(title="bulk")])
    assert await api(Post.filter(title="on the primary"), "update", title="updated") == 1
    assert await api(Post.filter(title="bulk"), "delete") == 1
    _, created = await api(Post, "get_or_create", title="on the replica")  # read and written on the primary
    assert created
    on_primary = await titles(api, Post.objects.using("default").order_by("id"))
    assert on_primary == ["updated", "renamed", "on the replica"]
    assert await titles(api, Post.objects.using(replica)) == ["on the replica"]  # the replica is untouched


async def test_using_names_the_database_for_reads_and_writes(routed: ormada.Database, api: Api) -> None:
    replica = routed.replicas[0].name
    assert await titles(api, Post.objects.using("default")) == ["on the primary"]
    async with api.transaction(routed):  # using() wins over the transaction rule: it was asked for
        assert await titles(api, Post.filter().using(replica)) == ["on the replica"]
    assert await api(Post.objects.using(replica), "update", title="changed on the replica") == 1
    assert await titles(api, Post.objects.using(replica)) == ["changed on the replica"]
    assert await titles(api, Post.objects.using("default")) == ["on the primary"]
    with pytest.raises(ConfigurationError, match="no database named 'nowhere'"):
        Post.objects.using("nowhere")


async def test_an_instance_read_from_a_replica_is_written_to_the_primary(routed: ormada.Database, api: Api) -> None:
    replica = routed.replicas[0].name
    post = await api(Post.objects.using(replica), "get", title="on the replica")
    post.title = "saved"
    await api(post, "save")
    # Both rows have key 1: a real replica holds the primary's rows, so the key names the same one.
    assert await titles(api, Post.objects.using("default")) == ["saved"]
    assert await titles(api, Post.objects.using(replica)) == ["on the replica"]


@pytest.fixture
async def archived(backend: str, request: pytest.FixtureRequest, tmp_path: Path, second_url: str) -> Any:
    """The default database and a second one, "archive", that is no replica of it; each holds one row."""
    default = ormada.connect(database_url(backend, request, tmp_path))
    archive = ormada.connect(second_url, name="archive")
    for database in (default, archive):
        database.drop_all([Post])
        database.create_all([Post])
    Post.create(title="current")
    Post.objects.using("archive").get_or_create(title="archived")
    try:
        yield archive
    finally:
        for database in (archive, default):
            database.drop_all([Post])
            await database.aclose()


async def test_an_instance_is_written_back_to_the_database_it_came_from(archived: ormada.Database,
                                                                        api: Api) -> None:
    """As Django's ``_state.db``: an instance read with ``using()`` saves, updates, refreshes and
    deletes there, not in its model's database."""
    post = await api(Post.objects.using("archive"), "get", title="archived")
    post.title = "archived, edited"
    await api(post, "save")
    await api(post, "update", title="archived, updated")
    assert await titles(api, Post.objects.using("archive")) == ["archived, updated"]
    assert await titles(api, Post.objects.using("default")) == ["current"]
    await api(Post.objects.using("archive"), "update", title="changed elsewhere")
    assert (await api(post, "refresh")).title == "changed elsewhere"
    made, created = await api(Post.objects.using("archive"), "get_or_create", title="made in the archive")
    assert created
    made.title = "made, then saved"
    await api(made, "save")  # an instance written there stays there
    assert await api(post, "delete") == 1
    assert await titles(api, Post.objects.using("archive")) == ["made, then saved"]
    assert await titles(api, Post.objects.using("default")) == ["current"]
    # A new instance goes to its model's database.
    await api(Post(title="new"), "save")
    assert await titles(api, Post.objects.using("default").order_by("id")) == ["current", "new"]


@pytest.mark.requires("row_locks")
async def test_a_locking_read_goes_to_the_primary(routed: ormada.Database, api: Api) -> None:
    async with api.transaction(routed):
        assert await titles(api, Post.select_for_update()) == ["on the primary"]


class Visit(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    path: str

    class Meta:
        database = "analytics"


async def test_a_model_bound_by_meta_database_reads_from_that_databases_replica(tmp_path: Path, api: Api) -> None:
    analytics = ormada.connect(f"sqlite:///{tmp_path / 'analytics.db'}", name="analytics",
                               replicas=[f"sqlite:///{tmp_path / 'analytics-copy.db'}"])
    try:
        for database in (analytics, analytics.replicas[0]):
            database.create_all([Visit])
        await api(Visit, "create", path="/")
        assert Visit.database() is analytics and analytics.replicas[0].name == "analytics.replica1"
        assert await api(Visit.filter(), "count") == 0  # the replica
        assert await api(Visit.objects.using("analytics"), "count") == 1
        async with api.transaction(analytics):
            assert await api(Visit.filter(), "count") == 1
    finally:
        await analytics.aclose()


def test_replicas_take_reads_in_turn_and_may_be_named(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}" for name in ("primary.db", "one.db", "two.db")]
    named = ormada.connect(urls[2], name="second copy")
    primary = ormada.connect(urls[0], name="routed", replicas=[urls[1], "second copy"])
    try:
        assert [r.name for r in primary.replicas] == ["routed.replica1", "second copy"]
        assert [primary.for_read() for _ in range(4)] == [*primary.replicas, *primary.replicas]
        with primary.transaction():
            assert primary.for_read() is primary
        with pytest.raises(ConfigurationError, match="no database named 'missing'"):
            ormada.connect(urls[0], name="broken", replicas=["missing"])
    finally:
        primary.close()
        named.close()
