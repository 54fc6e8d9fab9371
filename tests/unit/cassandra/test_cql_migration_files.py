"""CQL migration files without a server: what makemigrations writes, the refusals, sqlmigrate's
text, and how the files are read and put in order (the live tests apply them)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel

import ormada
from ormada import ClusteringKey, Frozen, Indexed, PartitionKey, PrimaryKey
from ormada.migrations import MigrationError
from ormada.migrations.cql import CqlMigrations

from . import cqlcheck

UNBOUND = "cql_migration_unit"
db = ormada.Database("cassandra://127.0.0.1/shop", name="cql_migration_unit_db")  # never connects here


class Tag(BaseModel):
    label: str


class Tag2(BaseModel):
    __cql_type_name__ = "tag"
    label: int  # refused: a field changes type


class Post(ormada.Model):
    blog: Annotated[uuid.UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    title: Annotated[str, Indexed()]
    tag: Tag | None = None
    frozen_tag: Annotated[Tag | None, Frozen()] = None

    class Meta:
        table = "post"
        database = UNBOUND
        options = {"comment": "posts"}


class PostByTitle(ormada.Model):
    title: Annotated[str, PartitionKey()]
    blog: Annotated[uuid.UUID, ClusteringKey()]
    at: Annotated[dt.datetime, ClusteringKey()]

    class Meta:
        table = "post_by_title"
        database = UNBOUND
        options = {"view_of": Post}


class PostV2(ormada.Model):  # SAI instead of 2i on title, frozen_tag dropped, TTL, no comment
    blog: Annotated[uuid.UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    title: Annotated[str, Indexed(using="sai")]
    tag: Tag | None = None

    class Meta:
        table = "post"
        database = UNBOUND
        default_ttl = 60


class PostNoTag(ormada.Model):  # refused: a non-frozen user type column cannot be dropped
    blog: Annotated[uuid.UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    title: Annotated[str, Indexed()]
    frozen_tag: Annotated[Tag | None, Frozen()] = None

    class Meta:
        table = "post"
        database = UNBOUND


class PostTag2(ormada.Model):
    blog: Annotated[uuid.UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="desc")]
    title: Annotated[str, Indexed()]
    tag: Tag2 | None = None
    frozen_tag: Annotated[Tag2 | None, Frozen()] = None

    class Meta:
        table = "post"
        database = UNBOUND


class PostAscending(ormada.Model):  # refused: the clustering order changes
    blog: Annotated[uuid.UUID, PartitionKey()]
    at: Annotated[dt.datetime, ClusteringKey(order="asc")]
    title: Annotated[str, Indexed()]
    tag: Tag | None = None
    frozen_tag: Annotated[Tag | None, Frozen()] = None

    class Meta:
        table = "post"
        database = UNBOUND
        options = {"comment": "posts"}


class Author(ormada.Model):
    id: Annotated[int, PrimaryKey(autoincrement=False)]
    name: str = ""

    class Meta:
        table = "author"
        database = UNBOUND


def _assert_parse(lines: list[str]) -> None:
    """cqlsh's grammar accepts each statement (bridging the grammar's known gaps, as the other CQL tests do)."""
    for line in lines:
        text = line.removesuffix(";")
        assert cqlcheck.parses(text) or cqlcheck.parses(cqlcheck.bridge_gaps(text)[0]), line


def _statements(migrations: CqlMigrations, downgrade: bool = False) -> list[str]:
    return migrations.sql(migrations.revisions()[-1].revision.id, downgrade=downgrade).splitlines()[1:]


def test_first_revision_creates_everything_and_its_downgrade_drops_it(tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Post, PostByTitle])
    assert migrations.diff().lines() == ["create type tag", "create table post", "create materialized view "
                                         "post_by_title"]
    path = migrations.make("posts")
    assert path is not None and path.parent == tmp_path / "versions" and path.name.endswith("_posts.py")
    up = _statements(migrations)
    assert up == [
        "CREATE TYPE IF NOT EXISTS tag (label text);",
        "CREATE TABLE IF NOT EXISTS post (blog uuid, at timestamp, title text, tag tag, frozen_tag frozen<tag>, "
        "PRIMARY KEY (blog, at)) WITH CLUSTERING ORDER BY (at DESC) AND comment = 'posts';",
        "CREATE INDEX IF NOT EXISTS post_title_idx ON post (title);",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS post_by_title AS SELECT title, blog, at FROM post WHERE title IS NOT "
        "NULL AND blog IS NOT NULL AND at IS NOT NULL PRIMARY KEY (title, blog, at) WITH CLUSTERING ORDER BY "
        "(blog ASC, at ASC);",
    ]
    assert _statements(migrations, downgrade=True) == [
        "DROP MATERIALIZED VIEW IF EXISTS post_by_title;", "DROP TABLE IF EXISTS post;", "DROP TYPE IF EXISTS tag;"]
    _assert_parse(up + _statements(migrations, downgrade=True))
    assert migrations.make("again") is None  # the file's schema is the models': nothing changed
    assert migrations.diff().lines() == []


def test_changes_each_with_their_downgrade(tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Post, PostByTitle])
    migrations.make("posts")
    migrations.models = [PostV2, Author]
    migrations.make("second")
    assert _statements(migrations) == [
        "DROP MATERIALIZED VIEW IF EXISTS post_by_title;",
        "DROP INDEX IF EXISTS post_title_idx;",
        "CREATE TABLE IF NOT EXISTS author (id int, name text, PRIMARY KEY (id));",
        "ALTER TABLE post DROP IF EXISTS frozen_tag;",
        "ALTER TABLE post WITH default_time_to_live = 60 AND comment = '';",
        "CREATE CUSTOM INDEX IF NOT EXISTS post_title_idx ON post (title) USING 'StorageAttachedIndex';",
    ]
    assert _statements(migrations, downgrade=True) == [
        "DROP INDEX IF EXISTS post_title_idx;",
        "ALTER TABLE post WITH comment = 'posts' AND default_time_to_live = 0;",
        "ALTER TABLE post ADD IF NOT EXISTS frozen_tag frozen<tag>;",
        "DROP TABLE IF EXISTS author;",
        "CREATE INDEX IF NOT EXISTS post_title_idx ON post (title);",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS post_by_title AS SELECT title, blog, at FROM post WHERE title IS NOT "
        "NULL AND blog IS NOT NULL AND at IS NOT NULL PRIMARY KEY (title, blog, at) WITH CLUSTERING ORDER BY "
        "(blog ASC, at ASC);",
    ]
    _assert_parse(_statements(migrations) + _statements(migrations, downgrade=True))
    text = migrations.revisions()[-1].revision.path.read_text()
    assert "the downgrade re-adds the column (frozen<tag>) empty: its data is lost" in text

    migrations.models = [Author]  # the post table goes; its downgrade re-creates it with its index
    migrations.make("third")
    assert _statements(migrations) == ["DROP TABLE IF EXISTS post;", "DROP TYPE IF EXISTS tag;"]
    assert _statements(migrations, downgrade=True) == [
        "CREATE TYPE IF NOT EXISTS tag (label text);",
        "CREATE TABLE IF NOT EXISTS post (blog uuid, at timestamp, title text, tag tag, PRIMARY KEY (blog, at)) "
        "WITH CLUSTERING ORDER BY (at DESC) AND default_time_to_live = 60;",
        "CREATE CUSTOM INDEX IF NOT EXISTS post_title_idx ON post (title) USING 'StorageAttachedIndex';",
    ]


@pytest.mark.parametrize(("model", "reason"), [
    (PostAscending, "the key changes from PRIMARY KEY ((blog), at DESC) to PRIMARY KEY ((blog), at ASC); CQL cannot "
                    "change a table's primary key or clustering order (create a new model on a new table"),
    (PostNoTag, "post.tag: CQL cannot drop a non-frozen user type column (tag)"),
    (PostTag2, "type tag.label is text in the schema the revisions build, int in the models; CQL cannot change a "
               "user type field's type (add a new field"),
])
def test_what_cql_cannot_change_is_refused(tmp_path: Path, model: type[ormada.Model], reason: str) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Post])
    migrations.make("posts")
    migrations.models = [model]
    with pytest.raises(MigrationError, match="no revision was written") as caught:
        migrations.make("refused")
    assert reason in str(caught.value)
    assert len(migrations.revisions()) == 1
    assert any(reason in line for line in migrations.diff().lines())


def test_a_data_migration_keeps_the_schema_and_waits_for_the_models(tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Author])
    migrations.make("authors")
    migrations.models = [Author, Post]
    path = migrations.make("backfill", empty=True)
    assert path is not None and "schema = None" in path.read_text()
    assert _statements(migrations) == []
    assert migrations.diff().lines()[:2] == ["create type tag", "create table post"]  # still to make


def test_files_form_one_chain(tmp_path: Path) -> None:
    migrations = CqlMigrations(db, tmp_path, models=[Author])
    migrations.make("authors")
    first = migrations.revisions()[0].revision
    versions = tmp_path / "versions"
    for name in ("b", "c"):
        (versions / f"{name}.py").write_text(f"revision = {name * 12!r}\ndown_revision = {first.id!r}\n")
    with pytest.raises(MigrationError, match=f"revisions b{{12}}, c{{12}} all follow {first.id}"):
        migrations.revisions()
    (versions / "c.py").write_text(f"revision = {'c' * 12!r}\ndown_revision = 'nowhere'\n")
    with pytest.raises(MigrationError, match="down_revision 'nowhere' is no file"):
        migrations.revisions()
    (versions / "c.py").write_text(f"revision = {'c' * 12!r}\ndown_revision = {'b' * 12!r}\n")
    assert [f.revision.id for f in migrations.revisions()] == [first.id, "b" * 12, "c" * 12]
    with pytest.raises(MigrationError, match="'zzz' is no revision"):
        migrations.sql("zzz")
    with pytest.raises(MigrationError, match="'base' names no revision file"):
        migrations.sql("base")


def test_only_a_cassandra_database_with_a_keyspace(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="needs a Cassandra database whose URL names a keyspace"):
        CqlMigrations(ormada.Database("sqlite://", name="cql_migration_unit_sqlite"), tmp_path)
