"""Sans-I/O operations driven by hand: statements out, rows in, no database."""

from __future__ import annotations

from typing import Any

import pytest

from ormada import IntegrityError, NotSupported, QueryError
from ormada import _operations as ops
from ormada import _tracking as tracking
from ormada.backends.base import Capabilities
from ormada.backends.sqlite import SqliteBackend
from ormada.query.state import QueryState

from .helpers import drive, squash
from .models import sqlite_models

Book, Author, Membership = sqlite_models.Book, sqlite_models.Author, sqlite_models.Membership
backend = sqlite_models.database.backend
book = Book.__ormada__
author = Author.__ormada__

SELECT_BOOKS = "SELECT books.id, books.title, books.year, books.author_id, books.tags FROM books"


def loaded_book(**values: Any) -> Any:
    """A Book as read from the database (its row as SQLite returns it)."""
    row = {"id": 1, "title": "Dune", "year": 1965, "author_id": None, "tags": '["sf"]', **values}
    driven = drive(ops.fetch(backend, book, QueryState()), [tuple(row.values())])
    (instance,) = driven.result
    return instance


# -- reads -------------------------------------------------------------------------------

def test_fetch_hydrates_rows() -> None:
    driven = drive(ops.fetch(backend, book, Book.filter(year=1965).state), [(1, "Dune", 1965, None, '["sf"]')])
    assert driven.texts == [f"{SELECT_BOOKS} WHERE books.year = ?"]
    (found,) = driven.result
    assert found == Book(id=1, title="Dune", year=1965, tags=["sf"])
    assert tracking.is_persisted(found)


@pytest.mark.parametrize(("shape", "expected"), [
    ("dicts", [{"title": "Dune", "tags": ["sf"]}]),
    ("tuples", [("Dune", ["sf"])]),
])
def test_fetch_shapes_rows(shape: str, expected: list[Any]) -> None:
    qs = Book.values("title", "tags") if shape == "dicts" else Book.values_list("title", "tags")
    assert drive(ops.fetch(backend, book, qs.state), [("Dune", '["sf"]')]).result == expected


def test_fetch_flat_values() -> None:
    qs = Book.values_list("title", flat=True)
    assert drive(ops.fetch(backend, book, qs.state), [("Dune",), ("Emma",)]).result == ["Dune", "Emma"]
    tags = Book.values_list("tags", flat=True)
    assert drive(ops.fetch(backend, book, tags.state), [('["sf"]',), (None,)]).result == [["sf"], None]


def test_fetch_rows_of_one_column() -> None:
    assert drive(ops.fetch(backend, book, Book.values("tags").state), [('["a"]',)]).result == [{"tags": ["a"]}]
    assert drive(ops.fetch(backend, book, Book.values_list("tags").state), [('["a"]',)]).result == [(["a"],)]
    assert drive(ops.fetch(backend, book, Book.values_list("year").state), [(1965,)]).result == [(1965,)]


def test_get_reads_at_most_two_rows() -> None:
    driven = drive(ops.get(backend, book, Book.filter(id=1).state), [(1, "Dune", 1965, None, "[]")])
    assert driven.texts == [f"{SELECT_BOOKS} WHERE books.id = ? LIMIT ? OFFSET ?"]
    assert driven.statements[0].params == [1, 2, 0]
    assert driven.result.title == "Dune"


def test_get_of_nothing_raises_the_models_does_not_exist() -> None:
    with pytest.raises(Book.DoesNotExist, match="Book matching id=1 does not exist"):
        drive(ops.get(backend, book, Book.filter(id=1).state), [])


def test_get_of_two_rows_raises_multiple_objects_returned() -> None:
    rows = [(1, "Dune", 1965, None, "[]"), (2, "Dune", 1965, None, "[]")]
    with pytest.raises(Book.MultipleObjectsReturned, match="found more than one row matching title='Dune'"):
        drive(ops.get(backend, book, Book.filter(title="Dune").state), rows)


def test_get_or_none() -> None:
    assert drive(ops.get(backend, book, Book.filter(id=1).state, missing_ok=True), []).result is None


def test_keyed_get_sends_what_the_general_path_sends() -> None:
    plan = backend.keyed_select(book, ("id",))
    assert plan is not None and plan is backend.keyed_select(book, ("id",))
    driven = drive(ops.keyed_get(backend, book, plan, {"id": 1}), [(1, "Dune", 1965, None, "[]")])
    general = drive(ops.get(backend, book, Book.filter(id=1).state), [(1, "Dune", 1965, None, "[]")])
    assert driven.texts == general.texts
    assert driven.statements[0].params == general.statements[0].params == [1, 2, 0]
    assert driven.statements[0].quick  # one row by primary key
    assert driven.result.title == "Dune" and tracking.is_persisted(driven.result)


def test_keyed_get_of_other_fields_is_not_quick_and_reports_like_get() -> None:
    plan = backend.keyed_select(book, ("title", "year"))
    assert plan is not None
    found = drive(ops.keyed_get(backend, book, plan, {"title": "Dune", "year": 1965}, missing_ok=True), [])
    assert found.texts == [f"{SELECT_BOOKS} WHERE books.title = ? AND books.year = ? LIMIT ? OFFSET ?"]
    assert not found.statements[0].quick
    assert found.result is None
    with pytest.raises(Book.DoesNotExist, match=r"^Book matching \(title='Dune' AND year=1965\) does not exist"):
        drive(ops.keyed_get(backend, book, plan, {"title": "Dune", "year": 1965}), [])
    rows = [(1, "Dune", 1965, None, "[]"), (2, "Dune", 1965, None, "[]")]
    with pytest.raises(Book.MultipleObjectsReturned, match=r"get_or_none\(\) found more than one row"):
        drive(ops.keyed_get(backend, book, plan, {"title": "Dune", "year": 1965}, missing_ok=True), rows)


def test_keyed_select_only_for_plain_field_names() -> None:
    assert backend.keyed_select(book, ("title__startswith",)) is None
    assert backend.keyed_select(book, ("titel",)) is None
    assert backend.keyed_select(book, ()) is None


def test_count_and_exists() -> None:
    assert drive(ops.count(backend, book, Book.query().state), [(42,)]).result == 42
    assert drive(ops.exists(backend, book, Book.query().state), [(1,)]).result is True
    assert drive(ops.exists(backend, book, Book.query().state), []).result is False


def test_sql_backends_refuse_cassandra_options() -> None:
    with pytest.raises(NotSupported, match="ttl have no meaning on sqlite"):
        next(ops.fetch(backend, book, Book.query().ttl(5).state))


# -- single instances ----------------------------------------------------------------------

def test_insert_assigns_the_generated_key() -> None:
    new = Book(title="Dune", year=1965)
    driven = drive(ops.insert(backend, book, new), [(7,)])
    assert driven.texts == ["INSERT INTO books (title, year, author_id, tags) VALUES (?, ?, ?, ?) RETURNING id"]
    assert driven.statements[0].params == ["Dune", 1965, None, "[]"]
    assert new.id == 7
    assert tracking.is_persisted(new)


def test_insert_with_a_given_key_returns_nothing() -> None:
    driven = drive(ops.insert(backend, book, Book(id=3, title="Dune", year=1965)), 1)
    assert driven.texts == ["INSERT INTO books (id, title, year, author_id, tags) VALUES (?, ?, ?, ?, ?)"]


def test_save_of_an_unchanged_loaded_instance_sends_nothing() -> None:
    instance = loaded_book()
    driven = drive(ops.save(backend, book, instance))
    assert driven.statements == []
    assert driven.result is instance


def test_save_writes_only_what_changed() -> None:
    instance = loaded_book()
    instance.year = 1966
    driven = drive(ops.save(backend, book, instance), 1)
    assert driven.texts == ["UPDATE books SET year=? WHERE books.id = ?"]
    assert driven.statements[0].params == [1966, 1]
    assert drive(ops.save(backend, book, instance)).statements == []


def test_save_sees_changes_made_in_place() -> None:
    instance = loaded_book()
    instance.tags.append("classic")
    driven = drive(ops.save(backend, book, instance), 1)
    assert driven.texts == ["UPDATE books SET tags=? WHERE books.id = ?"]
    assert driven.statements[0].params == ['["sf","classic"]', 1]
    instance.tags.append("again")
    assert len(drive(ops.save(backend, book, instance), 1).statements) == 1


def test_save_of_a_row_that_is_gone_raises_does_not_exist() -> None:
    instance = loaded_book()
    instance.year = 2000
    with pytest.raises(Book.DoesNotExist, match="no longer exists"):
        drive(ops.save(backend, book, instance), 0)


def test_delete_instance_forgets_it_was_stored() -> None:
    instance = loaded_book()
    driven = drive(ops.delete_instance(backend, book, instance), 1)
    assert driven.texts == ["DELETE FROM books WHERE books.id = ?"]
    assert driven.result == 1
    assert not tracking.is_persisted(instance)


def test_delete_of_a_new_instance_needs_its_key() -> None:
    with pytest.raises(QueryError, match="no value for primary key id"):
        drive(ops.delete_instance(backend, book, Book(title="x", year=1)))


def test_refresh_reloads_every_field() -> None:
    instance = loaded_book()
    driven = drive(ops.refresh(backend, book, instance), [(1, "Dune Messiah", 1969, None, "[]")])
    assert driven.texts == [f"{SELECT_BOOKS} WHERE books.id = ? LIMIT ? OFFSET ?"]
    assert (instance.title, instance.year, instance.tags) == ("Dune Messiah", 1969, [])
    assert drive(ops.save(backend, book, instance)).statements == []


# -- many instances ----------------------------------------------------------------------------

def test_bulk_create_inserts_in_batches_inside_a_savepoint() -> None:
    books = [Book(title=t, year=2000 + i) for i, t in enumerate("abc")]
    driven = drive(ops.bulk_create(backend, book, books, 2), None, [(10,), (11,)], [(12,)], None)
    assert driven.texts == [
        "SAVEPOINT ormada_bulk",
        "INSERT INTO books (title, year, author_id, tags) VALUES (?, ?, ?, ?), (?, ?, ?, ?) RETURNING id",
        "INSERT INTO books (title, year, author_id, tags) VALUES (?, ?, ?, ?) RETURNING id",
        "RELEASE SAVEPOINT ormada_bulk",
    ]
    assert driven.statements[1].params == ["a", 2000, None, "[]", "b", 2001, None, "[]"]
    assert [b.id for b in books] == [10, 11, 12]
    assert driven.result == books
    assert all(tracking.is_persisted(b) for b in books)


def test_bulk_create_sends_rows_with_keys_before_rows_whose_key_is_generated() -> None:
    # Keys set by hand go in first, so SQLite's generated keys (above the highest) step around them.
    books = [Book(title="a", year=1), Book(id=5, title="b", year=2)]
    driven = drive(ops.bulk_create(backend, book, books, None), None, 1, [(6,)], None)
    assert driven.texts[1:] == [
        "INSERT INTO books (id, title, year, author_id, tags) VALUES (?, ?, ?, ?, ?)",
        "INSERT INTO books (title, year, author_id, tags) VALUES (?, ?, ?, ?) RETURNING id",
        "RELEASE SAVEPOINT ormada_bulk",
    ]
    assert [b.id for b in books] == [6, 5]


def test_bulk_create_names_the_row_that_was_refused() -> None:
    books = [Book(title="a", year=1), Book(title="b", year=2), Book(title="c", year=3)]
    operation = ops.bulk_create(backend, book, books, 2)
    assert next(operation).text == "SAVEPOINT ormada_bulk"
    assert operation.send(None).params == ["a", 1, None, "[]", "b", 2, None, "[]"]
    assert operation.send([(1,), (2,)]).params == ["c", 3, None, "[]"]
    # The second batch fails: the rows sent so far are replayed one at a time to find the culprit.
    assert operation.throw(IntegrityError("UNIQUE constraint failed")).text == "ROLLBACK TO SAVEPOINT ormada_bulk"
    assert operation.send(None).params == ["a", 1, None, "[]"]
    assert operation.send([(1,)]).params == ["b", 2, None, "[]"]
    assert operation.send([(2,)]).params == ["c", 3, None, "[]"]
    assert operation.throw(IntegrityError("UNIQUE constraint failed")).text == "ROLLBACK TO SAVEPOINT ormada_bulk"
    with pytest.raises(IntegrityError, match=r"Book\.bulk_create\(\): row 2 .* was refused, so nothing was written"):
        operation.send(None)
    # Nothing was written, so no instance keeps a key the database handed out.
    assert [b.id for b in books] == [None, None, None]
    assert not any(tracking.is_persisted(b) for b in books)


def test_bulk_create_refuses_other_models() -> None:
    with pytest.raises(QueryError, match="item 0 is a Author, not a Book"):
        drive(ops.bulk_create(backend, book, [Author(name="x")], None))  # type: ignore[list-item]


def test_bulk_update() -> None:
    first, second = loaded_book(id=1), loaded_book(id=2)
    first.year, second.year = 2001, 2002
    driven = drive(ops.bulk_update(backend, book, [first, second], ["year"], None), 2)
    (statement,) = driven.statements
    assert squash(statement.text) == "UPDATE books SET year=? WHERE books.id = ?"
    assert statement.many
    assert [list(p) for p in statement.params] == [[2001, 1], [2002, 2]]
    assert driven.result == 2


def test_bulk_update_refuses_keys_and_unknown_fields() -> None:
    with pytest.raises(QueryError, match="cannot change primary-key field 'id'"):
        drive(ops.bulk_update(backend, book, [loaded_book()], ["id"], None))
    with pytest.raises(QueryError, match="did you mean 'year'"):
        drive(ops.bulk_update(backend, book, [loaded_book()], ["yeer"], None))
    with pytest.raises(QueryError, match="needs the fields to write"):
        drive(ops.bulk_update(backend, book, [loaded_book()], [], None))


def test_upsert_assigns_generated_keys() -> None:
    new = Book(title="a", year=1)
    driven = drive(ops.upsert(backend, book, [new], ["title", "author_id"], None, None), [(9,)])
    assert driven.texts == [
        "INSERT INTO books (title, year, author_id, tags) VALUES (?, ?, ?, ?) ON CONFLICT (title, author_id) "
        "DO UPDATE SET year = excluded.year, tags = excluded.tags RETURNING id"
    ]
    assert new.id == 9


# -- get_or_create ---------------------------------------------------------------------------

def test_get_or_create_finds_the_row() -> None:
    driven = drive(ops.get_or_create(backend, author, Author.filter(name="Le Guin").state, {"name": "Le Guin"}, None),
                   [(3, "Le Guin", 1929)])
    found, created = driven.result
    assert (found.id, created) == (3, False)
    assert len(driven.statements) == 1


def test_get_or_create_inserts_inside_a_savepoint() -> None:
    state = Author.filter(name="Le Guin").state
    driven = drive(ops.get_or_create(backend, author, state, {"name": "Le Guin"}, {"born": 1929}),
                   [], None, [(4,)], None)
    assert driven.texts[1:] == [
        "SAVEPOINT ormada_create",
        "INSERT INTO author (name, born) VALUES (?, ?) RETURNING id",
        "RELEASE SAVEPOINT ormada_create",
    ]
    assert driven.statements[2].params == ["Le Guin", 1929]
    instance, created = driven.result
    assert (instance.id, instance.born, created) == (4, 1929, True)


def test_get_or_create_loses_a_race_and_reads_the_winner() -> None:
    state = Author.filter(name="Le Guin").state
    driven = drive(ops.get_or_create(backend, author, state, {"name": "Le Guin"}, None),
                   [], None, IntegrityError("UNIQUE constraint failed: author.name"), None, [(5, "Le Guin", None)])
    assert driven.texts[1:] == [
        "SAVEPOINT ormada_create",
        "INSERT INTO author (name, born) VALUES (?, ?) RETURNING id",
        "ROLLBACK TO SAVEPOINT ormada_create",
        "SELECT author.id, author.name, author.born FROM author WHERE author.name = ? LIMIT ? OFFSET ?",
    ]
    found, created = driven.result
    assert (found.id, created) == (5, False)


def test_get_or_create_reraises_when_nothing_is_found_after_the_conflict() -> None:
    state = Author.filter(name="Le Guin").state
    with pytest.raises(IntegrityError, match="NOT NULL"):
        drive(ops.get_or_create(backend, author, state, {"name": "Le Guin"}, None),
              [], None, IntegrityError("NOT NULL constraint failed"), None, [])


def test_get_or_create_leaves_lookups_with_operators_out_of_the_new_row() -> None:
    state = Author.filter(name="Le Guin", born__gte=1900).state
    driven = drive(ops.get_or_create(backend, author, state, {"name": "Le Guin", "born__gte": 1900}, None),
                   [], None, [(6,)], None)
    assert driven.statements[2].params == ["Le Guin", None]


def test_update_or_create_updates_the_found_row() -> None:
    state = Author.filter(name="Le Guin").state
    driven = drive(ops.update_or_create(backend, author, state, {"name": "Le Guin"}, {"born": 1929}),
                   [(3, "Le Guin", None)], 1)
    assert driven.texts[1] == "UPDATE author SET born=? WHERE author.id = ?"
    assert driven.statements[1].params == [1929, 3]
    found, created = driven.result
    assert (found.born, created) == (1929, False)


def test_reading_a_deferred_field_raises() -> None:
    from ormada import DeferredFieldError

    (instance,) = drive(ops.fetch(backend, book, Book.only("title").state), [(1, "Dune")]).result
    assert instance.title == "Dune"
    with pytest.raises(DeferredFieldError, match=r"Book\.year was not loaded"):
        _ = instance.year


def test_upsert_without_the_capability_is_not_supported() -> None:
    class NoUpsert(SqliteBackend):
        supports = Capabilities(upsert=False)

    plain = NoUpsert(backend.url)
    with pytest.raises(NotSupported, match=r"Book.upsert\(\) is not available on sqlite"):
        next(ops.upsert(plain, book, [Book(title="t", year=1)], ["id"], None, None))
