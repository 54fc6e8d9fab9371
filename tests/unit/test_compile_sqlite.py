"""What the SQLite backend compiles: exact text (qmark placeholders) and parameters."""

from __future__ import annotations

from typing import Any

import pytest

from ormada import F, NotSupported, Q

from .helpers import assert_compiles, squash
from .models import sqlite_models as lib

Author, Book, Everything, Membership = lib.Author, lib.Book, lib.Everything, lib.Membership
backend = lib.database.backend
book = Book.__ormada__

SELECT_BOOKS = "SELECT books.id, books.title, books.year, books.author_id, books.tags FROM books"


# -- lookups ---------------------------------------------------------------------------

def test_exact() -> None:
    assert_compiles(Book.filter(title="Dune"), f"{SELECT_BOOKS} WHERE books.title = ?", ["Dune"])


def test_comparisons() -> None:
    assert_compiles(
        Book.filter(year__gt=1, id__gte=2, author_id__lt=3, year__lte=4),
        f"{SELECT_BOOKS} WHERE books.year > ? AND books.id >= ? AND books.author_id < ? AND books.year <= ?",
        [1, 2, 3, 4],
    )


@pytest.mark.parametrize(
    ("values", "placeholders", "params"),
    [
        ([7], 1, [7]),
        ([1, 2], 2, [1, 2]),
        ([1, 2, 3], 4, [1, 2, 3, 3]),
        ([1, 2, 3, 4], 4, [1, 2, 3, 4]),
        ([1, 2, 3, 4, 5], 8, [1, 2, 3, 4, 5, 5, 5, 5]),
    ],
)
def test_in_pads_to_a_power_of_two(values: list[int], placeholders: int, params: list[int]) -> None:
    marks = ", ".join(["?"] * placeholders)
    assert_compiles(Book.filter(year__in=values), f"{SELECT_BOOKS} WHERE books.year IN ({marks})", params)


def test_in_takes_any_iterable() -> None:
    assert_compiles(Book.filter(year__in=(y for y in (1, 2))), f"{SELECT_BOOKS} WHERE books.year IN (?, ?)", [1, 2])


def test_empty_in_matches_nothing() -> None:
    assert_compiles(Book.filter(year__in=[]), f"{SELECT_BOOKS} WHERE 0 = 1")


def test_empty_in_excluded_matches_everything() -> None:
    assert_compiles(Book.exclude(year__in=[]), f"{SELECT_BOOKS} WHERE 1 = 1")


def test_range() -> None:
    assert_compiles(Book.filter(year__range=(1950, 1960)), f"{SELECT_BOOKS} WHERE books.year BETWEEN ? AND ?",
                    [1950, 1960])


def test_isnull() -> None:
    assert_compiles(
        Book.filter(author_id__isnull=True, title__isnull=False),
        f"{SELECT_BOOKS} WHERE books.author_id IS NULL AND books.title IS NOT NULL",
    )


def test_exact_none_is_is_null() -> None:
    assert_compiles(Book.filter(author_id=None), f"{SELECT_BOOKS} WHERE books.author_id IS NULL")


def test_iexact() -> None:
    assert_compiles(Book.filter(title__iexact="DuNe"), f"{SELECT_BOOKS} WHERE lower(books.title) = lower(?)", ["DuNe"])


# Text lookups bind the value as it is (no LIKE/GLOB pattern: those fail past 50,000 bytes and
# stop at a NUL byte); startswith is a range, so an index serves it; i… lookups fold with lower().
TEXT_LOOKUPS = {
    "contains": ("instr(books.title, ?) > 0", 1),
    "startswith": ("books.title >= ? AND books.title < (? || CAST(x'F5' AS TEXT))", 2),
    "endswith": ("substr(CAST(books.title AS BLOB), (length(CAST(books.title AS BLOB)) - length(CAST(? AS BLOB)))"
                 " + 1) = CAST(? AS BLOB)", 2),
    "icontains": ("instr(lower(books.title), lower(?)) > 0", 1),
    "istartswith": ("lower(books.title) >= lower(?) AND lower(books.title) < (lower(?) || CAST(x'F5' AS TEXT))", 2),
    "iendswith": ("substr(CAST(lower(books.title) AS BLOB), (length(CAST(lower(books.title) AS BLOB)) - "
                  "length(CAST(lower(?) AS BLOB))) + 1) = CAST(lower(?) AS BLOB)", 2),
}


@pytest.mark.parametrize("op", list(TEXT_LOOKUPS))
def test_text_lookups_bind_the_value_unescaped(op: str) -> None:
    where, uses = TEXT_LOOKUPS[op]
    value = "5%_\\*?[\x00"
    assert_compiles(Book.filter(**{f"title__{op}": value}), f"{SELECT_BOOKS} WHERE {where}", [value] * uses)


def test_list_contains_uses_json_each() -> None:
    assert_compiles(
        Book.filter(tags__contains="sf"),
        f"{SELECT_BOOKS} WHERE EXISTS (SELECT 1 FROM json_each(books.tags) AS anon_1 WHERE anon_1.value = ?)",
        ["sf"],
    )


def test_list_contains_binds_the_item_as_its_json_value() -> None:
    statement = Everything.filter(numbers__contains="3").statement()
    assert "json_each(everything.numbers)" in statement.text
    assert statement.params == [3]


def test_json_document_contains_a_scalar_uses_json_each() -> None:
    assert_compiles(
        lib.Document.filter(body__contains="x"),
        "SELECT document.id, document.body FROM document WHERE EXISTS (SELECT 1 FROM json_each(document.body) "
        "AS anon_1 WHERE anon_1.value = ?)",
        ["x"],
    )


def test_json_containment_of_a_document_binds_keys_and_values() -> None:
    statement = lib.Document.filter(body__contains={"a'; --": 1}).statement()
    assert " ".join(statement.text.split()) == (
        "SELECT document.id, document.body FROM document WHERE json_type(document.body, ?) = 'object' AND "
        "json_type(document.body, ? || ?) IN ('integer', 'real') AND json_extract(document.body, ? || ?) = ?")
    assert statement.params == ["$", "$", '."a\'; --"', "$", '."a\'; --"', 1]


def test_a_json_key_holding_a_double_quote_is_refused() -> None:
    with pytest.raises(NotSupported, match=r"Document\.body: SQLite's JSON paths cannot name the key 'a\"b'"):
        lib.Document.filter(body__contains={'a"b': 1}).statement()


# -- combining filters ----------------------------------------------------------------

def test_q_or() -> None:
    assert_compiles(
        Book.filter(Q(year__lt=1950) | Q(title__startswith="The")),
        f"{SELECT_BOOKS} WHERE books.year < ? OR books.title >= ? AND books.title < (? || CAST(x'F5' AS TEXT))",
        [1950, "The", "The"],
    )


def test_q_nested_and_negated() -> None:
    assert_compiles(
        Book.filter(Q(year=1) & (Q(title="a") | ~Q(author_id=2))),
        f"{SELECT_BOOKS} WHERE books.year = ? AND (books.title = ? OR NOT (books.author_id = ? "
        "AND books.author_id IS NOT NULL))",
        [1, "a", 2],
    )


def test_q_negated_or() -> None:
    assert_compiles(
        Book.filter(~(Q(year=1) | Q(title="a"))),
        f"{SELECT_BOOKS} WHERE NOT (books.year = ? OR books.title = ?)",
        [1, "a"],
    )


def test_chained_filters_and_q_objects_are_anded() -> None:
    assert_compiles(
        Book.filter(Q(year=1) & Q(title="a"), author_id=3).filter(year__lt=5),
        f"{SELECT_BOOKS} WHERE books.year = ? AND books.title = ? AND books.author_id = ? AND books.year < ?",
        [1, "a", 3, 5],
    )


def test_exclude_negates_its_lookups_together() -> None:
    assert_compiles(
        Book.filter(year=1).exclude(title="a", author_id=2),
        f"{SELECT_BOOKS} WHERE books.year = ? AND NOT (books.title = ? AND books.author_id = ? "
        "AND books.author_id IS NOT NULL)",
        [1, "a", 2],
    )


@pytest.mark.filterwarnings("error")
def test_filter_with_empty_q_has_no_where() -> None:
    assert_compiles(Book.filter(Q()), SELECT_BOOKS)


def test_exclude_with_empty_q_matches_every_row() -> None:
    assert squash(Book.exclude(Q()).statement().text) in (SELECT_BOOKS, f"{SELECT_BOOKS} WHERE 1 = 1")


# As in Django, excluding a value keeps the rows where a nullable field is NULL.
def test_exclude_on_a_nullable_field_keeps_null_rows() -> None:
    assert_compiles(Book.exclude(author_id=2),
                    f"{SELECT_BOOKS} WHERE NOT (books.author_id = ? AND books.author_id IS NOT NULL)", [2])


def test_exclude_on_a_required_field_is_a_plain_inequality() -> None:
    assert_compiles(Book.exclude(title="a"), f"{SELECT_BOOKS} WHERE books.title != ?", ["a"])


def test_exclude_of_null_checks() -> None:
    assert_compiles(Book.exclude(author_id=None), f"{SELECT_BOOKS} WHERE books.author_id IS NOT NULL")
    assert_compiles(Book.exclude(author_id__isnull=False), f"{SELECT_BOOKS} WHERE books.author_id IS NULL")


def test_f_expression_in_a_filter() -> None:
    assert_compiles(Book.filter(year__gt=F("id") * 2), f"{SELECT_BOOKS} WHERE books.year > books.id * ?", [2])


# -- ordering, windows and projections ----------------------------------------------

def test_order_by() -> None:
    assert_compiles(Book.order_by("-year", "title"), f"{SELECT_BOOKS} ORDER BY books.year DESC, books.title ASC")


def test_reverse_without_ordering_sorts_by_key_descending() -> None:
    assert_compiles(Book.query().reverse(), f"{SELECT_BOOKS} ORDER BY books.id DESC")


# SQLite always renders an OFFSET; the dialect binds its own constants (0, or -1 for "no limit").
def test_limit() -> None:
    assert_compiles(Book.query().limit(10), f"{SELECT_BOOKS} LIMIT ? OFFSET ?", [10, 0])


def test_offset_without_limit() -> None:
    assert_compiles(Book.query().offset(5), f"{SELECT_BOOKS} LIMIT ? OFFSET ?", [-1, 5])


def test_slice() -> None:
    assert_compiles(Book.order_by("id")[10:20], f"{SELECT_BOOKS} ORDER BY books.id ASC LIMIT ? OFFSET ?", [10, 10])


def test_slice_of_a_slice() -> None:
    assert_compiles(Book.order_by("id")[10:20][2:5], f"{SELECT_BOOKS} ORDER BY books.id ASC LIMIT ? OFFSET ?",
                    [3, 12])


def test_only_keeps_the_primary_key() -> None:
    assert_compiles(Book.only("title"), "SELECT books.id, books.title FROM books")


def test_defer() -> None:
    assert_compiles(Book.defer("tags", "author_id"), "SELECT books.id, books.title, books.year FROM books")


def test_values_and_values_list() -> None:
    assert_compiles(Book.values("title", "year"), "SELECT books.title, books.year FROM books")
    assert_compiles(Book.values_list("title", flat=True), "SELECT books.title FROM books")


def test_distinct() -> None:
    assert_compiles(Book.values_list("year").distinct(), "SELECT DISTINCT books.year FROM books")


# -- count, exists ---------------------------------------------------------------------

def test_count() -> None:
    assert_compiles(backend.count(book, Book.filter(year=1).state),
                    "SELECT count(*) AS count_1 FROM books WHERE books.year = ?", [1])


def test_count_of_a_slice_counts_a_subquery() -> None:
    assert_compiles(
        backend.count(book, Book.filter(year=1)[5:15].state),
        "SELECT count(*) AS count_1 FROM (SELECT books.id AS id FROM books WHERE books.year = ? "
        "LIMIT ? OFFSET ?) AS anon_1",
        [1, 10, 5],
    )


def test_count_distinct_counts_a_subquery() -> None:
    assert_compiles(
        backend.count(book, Book.values("year").distinct().state),
        "SELECT count(*) AS count_1 FROM (SELECT DISTINCT books.year AS year FROM books) AS anon_1",
    )


def test_exists() -> None:
    assert_compiles(backend.exists(book, Book.filter(year=1).state),
                    "SELECT 1 FROM books WHERE books.year = ? LIMIT 1 OFFSET ?", [1, 0])


def test_exists_of_a_slice() -> None:
    assert_compiles(
        backend.exists(book, Book.query()[3:].state),
        "SELECT 1 FROM (SELECT books.id AS id FROM books LIMIT ? OFFSET ?) AS anon_1 LIMIT 1 OFFSET ?",
        [-1, 3, 0],
    )


# -- update and delete ----------------------------------------------------------------

def test_update() -> None:
    assert_compiles(backend.update(book, Book.filter(year__lt=1900).state, {"year": 1900}),
                    "UPDATE books SET year=? WHERE books.year < ?", [1900, 1900])


def test_update_with_f_expressions_orders_params_as_the_text() -> None:
    statement = backend.update(book, Book.filter(id=1).state, {"year": F("year") + 1, "title": "x"})
    assert_compiles(statement, "UPDATE books SET title=?, year=(books.year + ?) WHERE books.id = ?", ["x", 1, 1])
    assert statement.fetch == "rowcount"


def test_update_with_nested_arithmetic() -> None:
    assert_compiles(backend.update(book, Book.query().state, {"year": (F("year") - 1) * 2}),
                    "UPDATE books SET year=((books.year - ?) * ?)", [1, 2])


def test_delete() -> None:
    assert_compiles(backend.delete(book, Book.filter(year__lt=1900).state),
                    "DELETE FROM books WHERE books.year < ?", [1900])
    assert_compiles(backend.delete(book, Book.query().state), "DELETE FROM books")


def test_delete_of_a_slice_selects_primary_keys() -> None:
    assert_compiles(
        backend.delete(book, Book.order_by("-year")[:10].state),
        "DELETE FROM books WHERE books.id IN (SELECT anon_1.id FROM (SELECT books.id AS id FROM books "
        "ORDER BY books.year DESC LIMIT ? OFFSET ?) AS anon_1)",
        [10, 0],
    )


def test_update_of_a_slice_selects_primary_keys() -> None:
    assert_compiles(
        backend.update(book, Book.filter(year=1)[:10].state, {"title": "x"}),
        "UPDATE books SET title=? WHERE books.id IN (SELECT anon_1.id FROM (SELECT books.id AS id FROM books "
        "WHERE books.year = ? LIMIT ? OFFSET ?) AS anon_1)",
        ["x", 1, 10, 0],
    )


def test_delete_of_a_slice_with_a_composite_key() -> None:
    assert_compiles(
        backend.delete(Membership.__ormada__, Membership.query()[:2].state),
        'DELETE FROM membership WHERE (membership."group", membership.member) IN (SELECT anon_1."group", '
        'anon_1.member FROM (SELECT membership."group" AS "group", membership.member AS member FROM membership '
        "LIMIT ? OFFSET ?) AS anon_1)",
        [2, 0],
    )


# -- inserts ---------------------------------------------------------------------------

def test_insert_returning_the_generated_key() -> None:
    statement = backend.insert(book, ("title", "year", "author_id", "tags"), [("a", 1, None, ["x"])], ("id",))
    assert_compiles(statement, "INSERT INTO books (title, year, author_id, tags) VALUES (?, ?, ?, ?) RETURNING id",
                    ["a", 1, None, '["x"]'])
    assert statement.fetch == "rows"


def test_multi_row_insert() -> None:
    statement = backend.insert(book, ("id", "title", "year", "author_id", "tags"),
                               [(1, "a", 1, None, []), (2, "b", 2, 3, ["y"])])
    assert_compiles(statement, "INSERT INTO books (id, title, year, author_id, tags) VALUES (?, ?, ?, ?, ?), "
                               "(?, ?, ?, ?, ?)", [1, "a", 1, None, "[]", 2, "b", 2, 3, '["y"]'])
    assert statement.fetch == "rowcount"


@pytest.mark.parametrize(("returning", "skip_existing"), [((), False), (("id",), False), ((), True), (("id",), True)])
def test_many_row_insert_text_is_the_one_sqlalchemy_compiles(returning: tuple[str, ...], skip_existing: bool) -> None:
    # The n-row text is made from the one-row statement; it must be exactly SQLAlchemy's.
    compiler = backend.compiler
    columns = ("title", "year", "author_id", "tags")
    compiler._cache.clear()
    made = compiler._insert_compiled(book, columns, 3, returning, skip_existing)
    original = ormada_compile_without_shortcut(compiler, columns, 3, returning, skip_existing)
    assert made == original
    assert made[0].count("(?, ?, ?, ?)") == 3


def ormada_compile_without_shortcut(compiler: Any, columns: tuple[str, ...], n_rows: int, returning: tuple[str, ...],
                                    skip_existing: bool) -> Any:
    from ormada.backends._sql import compiler as module

    shortcut = module._repeated_row
    module._repeated_row = lambda *args: None
    try:
        compiler._cache.clear()
        return compiler._insert_compiled(book, columns, n_rows, returning, skip_existing)
    finally:
        module._repeated_row = shortcut
        compiler._cache.clear()


def test_upsert() -> None:
    assert_compiles(
        backend.upsert(book, ("id", "title", "year"), [(1, "a", 2)], ("id",), ("title", "year"), ("id",)),
        "INSERT INTO books (id, title, year) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "title = excluded.title, year = excluded.year RETURNING id",
        [1, "a", 2],
    )


def test_update_rows_runs_once_per_row() -> None:
    statement = backend.update_rows(book, ("title", "year"), [("a", 1, 10), ("b", 2, 20)])
    assert squash(statement.text) == "UPDATE books SET title=?, year=? WHERE books.id = ?"
    assert statement.many
    assert [list(p) for p in statement.params] == [["a", 1, 10], ["b", 2, 20]]


# -- DDL -------------------------------------------------------------------------------

def test_create_tables() -> None:
    texts = [squash(s.text) for s in backend.create_tables([Book.__ormada__, Author.__ormada__])]
    assert texts == [
        "CREATE TABLE IF NOT EXISTS author ( id INTEGER NOT NULL, name VARCHAR(100) NOT NULL, born INTEGER, "
        "PRIMARY KEY (id), UNIQUE (name) )",
        "CREATE TABLE IF NOT EXISTS books ( id INTEGER NOT NULL, title TEXT NOT NULL, year INTEGER NOT NULL, "
        "author_id INTEGER, tags JSON NOT NULL, PRIMARY KEY (id), "
        "FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE )",
        "CREATE INDEX IF NOT EXISTS ix_books_author_id_year ON books (author_id, year)",
        "CREATE INDEX IF NOT EXISTS ix_books_title ON books (title)",
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_books_title_author_id ON books (title, author_id)",
    ]


def test_column_types() -> None:
    (create,) = backend.create_tables([Everything.__ormada__])
    # A generated BigInt key is declared INTEGER: only that makes it SQLite's rowid.
    assert squash(create.text) == (
        "CREATE TABLE IF NOT EXISTS everything ( id INTEGER NOT NULL, i INTEGER, small SMALLINT, big BIGINT, "
        "f DOUBLE, b BOOLEAN, s TEXT, short VARCHAR(20), raw BLOB, d NUMERIC(12, 4), u CHAR(32), at DATETIME, "
        "naive DATETIME, day DATE, clock TIME, genre VARCHAR(7), level INTEGER, numbers JSON, mapping JSON, "
        "address JSON, shelf JSON, ci CITEXT, PRIMARY KEY (id) )"
    )


def test_composite_primary_key() -> None:
    (create,) = backend.create_tables([Membership.__ormada__])
    assert squash(create.text) == (
        'CREATE TABLE IF NOT EXISTS membership ( "group" TEXT NOT NULL, member CHAR(32) NOT NULL, '
        'role TEXT NOT NULL, PRIMARY KEY ("group", member) )'
    )


def test_drop_tables_drops_dependants_first() -> None:
    texts = [s.text for s in backend.drop_tables([Author.__ormada__, Book.__ormada__])]
    assert texts == ["DROP TABLE IF EXISTS books", "DROP TABLE IF EXISTS author"]


# -- raw SQL and EXPLAIN -----------------------------------------------------------------

def test_raw_sql_binds_named_parameters_in_order() -> None:
    statement = backend.raw("SELECT * FROM books WHERE year > :year AND (id = :id OR author_id = :id)",
                            {"id": 7, "year": 1900})
    assert_compiles(statement, "SELECT * FROM books WHERE year > ? AND (id = ? OR author_id = ?)", [1900, 7, 7])
    assert statement.fetch == "auto"


def test_explain_prefix() -> None:
    assert_compiles(backend.explain(Book.filter(year=1).statement()),
                    f"EXPLAIN QUERY PLAN {SELECT_BOOKS} WHERE books.year = ?", [1])
