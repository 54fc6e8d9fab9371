"""What set operations, row locks and DISTINCT ON compile to: SQLite's compound SELECT
without parentheses around its members, PostgreSQL's FOR UPDATE and DISTINCT ON clauses."""

from __future__ import annotations

from typing import Annotated

import pytest

from ormada import ForeignKey, Model, NotSupported, PrimaryKey, QueryError

from .helpers import assert_compiles, squash
from .models import POSTGRES
from .models import postgres_models as pg
from .models import sqlite_models as lib

Book = lib.Book


class LockWriter(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        database = POSTGRES


class LockNovel(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    year: int
    writer: Annotated[LockWriter, ForeignKey()]
    editor: Annotated[LockWriter | None, ForeignKey(related_name="edited")] = None

    class Meta:
        database = POSTGRES


def test_sqlite_compound_members_are_sub_selects_without_parentheses() -> None:
    newest = Book.filter(year__gt=2000).order_by("-year")[:2].values_list("title")
    older = Book.filter(year__lt=1950).values_list("title")
    text = squash(newest.union(older).order_by("title")[:3].statement().text)
    assert "AS anon_1 UNION SELECT anon_2" in text and "UNION (" not in text
    assert_compiles(
        newest.union(older).order_by("title")[:3],
        "SELECT combined.c0 FROM (SELECT anon_1.title AS c0 FROM (SELECT books.title AS title FROM books "
        "WHERE books.year > ? ORDER BY books.year DESC LIMIT ? OFFSET ?) AS anon_1 UNION SELECT anon_2.title AS c0 "
        "FROM (SELECT books.title AS title FROM books WHERE books.year < ?) AS anon_2) AS combined "
        "ORDER BY combined.c0 ASC LIMIT ? OFFSET ?",
        [2000, 2, 0, 1950, 3, 0])


def test_the_same_shape_compiles_once_whatever_the_values() -> None:
    first = Book.filter(year=1).intersection(Book.filter(year=2)).statement()
    second = Book.filter(year=3).intersection(Book.filter(year=4)).statement()
    assert first.text == second.text and list(second.params) == [3, 4]
    assert "INTERSECT" in first.text and "EXCEPT" in Book.query().difference(Book.query()).statement().text


def test_postgres_row_locks() -> None:
    qs = LockNovel.filter(year=1).select_related("writer")
    assert squash(qs.select_for_update().statement().text).endswith("FOR UPDATE")
    assert squash(qs.select_for_update(nowait=True, of=("self", "writer")).statement().text).endswith(
        "FOR UPDATE OF lock_novel, j0 NOWAIT")
    assert squash(qs.select_for_update(skip_locked=True, no_key=True).statement().text).endswith(
        "FOR NO KEY UPDATE SKIP LOCKED")
    with pytest.raises(QueryError, match=r"LockNovel.select_for_update\(of=…\): 'genre' is neither 'self' nor "
                                         r"a relation the query joins \(joined: 'writer'\)"):
        qs.select_for_update(of=("genre",)).statement()
    with pytest.raises(QueryError, match=r"nowait=True and skip_locked=True exclude each other"):
        qs.select_for_update(nowait=True, skip_locked=True)
    with pytest.raises(QueryError, match=r"cannot lock the rows of a query with distinct\(\)"):
        pg.Book.query().distinct().select_for_update().statement()


def test_postgres_refuses_to_lock_the_nullable_side_of_an_outer_join() -> None:
    qs = LockNovel.select_related("writer", "editor")
    with pytest.raises(QueryError, match=r"LockNovel.select_for_update\(\): postgresql cannot lock the rows of "
                                         r"'editor', joined with LEFT JOIN.*of=\('self', 'writer',\)"):
        qs.select_for_update().statement()
    with pytest.raises(QueryError, match=r"cannot lock the rows of 'editor'"):
        qs.select_for_update(of=("self", "editor")).statement()
    assert squash(qs.select_for_update(of=("self", "writer")).statement().text).endswith(
        "FOR UPDATE OF lock_novel, j0")


def test_postgres_distinct_on_and_its_ordering() -> None:
    text = squash(pg.Book.query().distinct("author_id").order_by("author_id", "-year").statement().text)
    assert text.startswith("SELECT DISTINCT ON (books.author_id) books.id")
    with pytest.raises(QueryError, match=r"Book.distinct\('author_id'\) with order_by\('-year'\): the ordering "
                                         r"must start with the DISTINCT ON fields"):
        pg.Book.query().distinct("author_id").order_by("-year").statement()
    with pytest.raises(QueryError, match=r"Book has no field 'nope'"):
        pg.Book.query().distinct("nope")


def test_sqlite_refuses_locks_and_distinct_on_with_the_alternative() -> None:
    with pytest.raises(NotSupported, match=r"Book.select_for_update\(\): sqlite has no row locks; SQLite locks the "
                                           r"whole database.*BEGIN IMMEDIATE.*with db.transaction\(\)"):
        Book.query().select_for_update().statement()
    with pytest.raises(NotSupported, match=r"Book.distinct\('year'\): DISTINCT ON is PostgreSQL's; sqlite has none"):
        Book.query().distinct("year").statement()
