"""What the PostgreSQL backend compiles: exact text (``$n::TYPE`` placeholders) and parameters."""

from __future__ import annotations

import pytest

from ormada import F, Q

from .helpers import assert_compiles, squash
from .models import postgres_models as lib

Author, Book, Everything, Membership = lib.Author, lib.Book, lib.Everything, lib.Membership
backend = lib.database.backend
book = Book.__ormada__

SELECT_BOOKS = "SELECT books.id, books.title, books.year, books.author_id, books.tags FROM books"


def test_database_opens_nothing_and_hides_its_password() -> None:
    assert lib.database._sync_pool is None
    assert "secret" not in repr(lib.database)
    assert repr(lib.database) == "<Database 'unit_pg' postgresql://u:***@h:5432/db>"


# -- lookups ---------------------------------------------------------------------------

def test_exact() -> None:
    assert_compiles(Book.filter(title="Dune"), f"{SELECT_BOOKS} WHERE books.title = $1::VARCHAR", ["Dune"])


def test_comparisons() -> None:
    assert_compiles(
        Book.filter(year__gt=1, id__gte=2, author_id__lt=3, year__lte=4),
        f"{SELECT_BOOKS} WHERE books.year > $1::INTEGER AND books.id >= $2::INTEGER "
        "AND books.author_id < $3::INTEGER AND books.year <= $4::INTEGER",
        [1, 2, 3, 4],
    )


@pytest.mark.parametrize(
    ("values", "placeholders", "params"),
    [
        ([7], 1, [7]),
        ([1, 2], 2, [1, 2]),
        ([1, 2, 3], 4, [1, 2, 3, 3]),
        ([1, 2, 3, 4, 5], 8, [1, 2, 3, 4, 5, 5, 5, 5]),
    ],
)
def test_in_pads_to_a_power_of_two(values: list[int], placeholders: int, params: list[int]) -> None:
    marks = ", ".join(f"${n}::INTEGER" for n in range(1, placeholders + 1))
    assert_compiles(Book.filter(year__in=values), f"{SELECT_BOOKS} WHERE books.year IN ({marks})", params)


def test_empty_in_matches_nothing() -> None:
    assert_compiles(Book.filter(year__in=[]), f"{SELECT_BOOKS} WHERE false")


def test_range() -> None:
    assert_compiles(Book.filter(year__range=(1950, 1960)),
                    f"{SELECT_BOOKS} WHERE books.year BETWEEN $1::INTEGER AND $2::INTEGER", [1950, 1960])


def test_isnull_and_exact_none() -> None:
    assert_compiles(Book.filter(author_id__isnull=True, title__isnull=False),
                    f"{SELECT_BOOKS} WHERE books.author_id IS NULL AND books.title IS NOT NULL")
    assert_compiles(Book.filter(author_id=None), f"{SELECT_BOOKS} WHERE books.author_id IS NULL")


def test_iexact() -> None:
    assert_compiles(Book.filter(title__iexact="DuNe"),
                    f"{SELECT_BOOKS} WHERE lower(books.title) = lower($1::VARCHAR)", ["DuNe"])


# LIKE wildcards (%, _) and the escape character itself are escaped with a backslash;
# GLOB's *, ? and [ mean nothing to LIKE and stay as they are.
@pytest.mark.parametrize(
    ("op", "operator", "pattern"),
    [
        ("contains", "LIKE", "%5\\%\\_\\\\*?[%"),
        ("icontains", "ILIKE", "%5\\%\\_\\\\*?[%"),
        ("startswith", "LIKE", "5\\%\\_\\\\*?[%"),
        ("istartswith", "ILIKE", "5\\%\\_\\\\*?[%"),
        ("endswith", "LIKE", "%5\\%\\_\\\\*?["),
        ("iendswith", "ILIKE", "%5\\%\\_\\\\*?["),
    ],
)
def test_text_lookups_escape_like_wildcards(op: str, operator: str, pattern: str) -> None:
    assert_compiles(
        Book.filter(**{f"title__{op}": "5%_\\*?["}),
        f"{SELECT_BOOKS} WHERE books.title {operator} $1::VARCHAR ESCAPE '\\'",
        [pattern],
    )


def test_list_contains_uses_jsonb_containment() -> None:
    assert_compiles(Book.filter(tags__contains="sf"), f"{SELECT_BOOKS} WHERE books.tags @> $1::JSONB", ['["sf"]'])


def test_list_contains_validates_the_item() -> None:
    statement = Everything.filter(numbers__contains="3").statement()
    assert "everything.numbers @> $1::JSONB" in statement.text
    assert statement.params == ["[3]"]


def test_json_document_containment() -> None:
    assert_compiles(
        lib.Document.filter(body__contains={"a": [1, 2]}),
        "SELECT document.id, document.body FROM document WHERE document.body @> $1::JSONB",
        ['{"a":[1,2]}'],
    )


# -- combining filters ----------------------------------------------------------------

def test_q_or() -> None:
    assert_compiles(
        Book.filter(Q(year__lt=1950) | Q(title__startswith="The")),
        f"{SELECT_BOOKS} WHERE books.year < $1::INTEGER OR books.title LIKE $2::VARCHAR ESCAPE '\\'",
        [1950, "The%"],
    )


def test_q_nested_and_negated() -> None:
    assert_compiles(
        Book.filter(Q(year=1) & (Q(title="a") | ~Q(author_id=2))),
        f"{SELECT_BOOKS} WHERE books.year = $1::INTEGER AND (books.title = $2::VARCHAR "
        "OR NOT (books.author_id = $3::INTEGER AND books.author_id IS NOT NULL))",
        [1, "a", 2],
    )


def test_q_negated_or() -> None:
    assert_compiles(Book.filter(~(Q(year=1) | Q(title="a"))),
                    f"{SELECT_BOOKS} WHERE NOT (books.year = $1::INTEGER OR books.title = $2::VARCHAR)", [1, "a"])


def test_exclude() -> None:
    assert_compiles(
        Book.filter(year=1).exclude(title="a", author_id=2),
        f"{SELECT_BOOKS} WHERE books.year = $1::INTEGER AND NOT (books.title = $2::VARCHAR "
        "AND books.author_id = $3::INTEGER AND books.author_id IS NOT NULL)",
        [1, "a", 2],
    )


def test_exclude_on_a_nullable_field_keeps_null_rows() -> None:
    assert_compiles(Book.exclude(author_id=2),
                    f"{SELECT_BOOKS} WHERE NOT (books.author_id = $1::INTEGER AND books.author_id IS NOT NULL)", [2])


# -- ordering, windows and projections ----------------------------------------------

def test_order_by() -> None:
    assert_compiles(Book.order_by("-year", "title"), f"{SELECT_BOOKS} ORDER BY books.year DESC, books.title ASC")


def test_limit_and_offset() -> None:
    assert_compiles(Book.query().limit(10), f"{SELECT_BOOKS} LIMIT $1::INTEGER", [10])
    assert_compiles(Book.query().offset(5), f"{SELECT_BOOKS} LIMIT ALL OFFSET $1::INTEGER", [5])


def test_slice_and_slice_of_a_slice() -> None:
    assert_compiles(Book.order_by("id")[10:20],
                    f"{SELECT_BOOKS} ORDER BY books.id ASC LIMIT $1::INTEGER OFFSET $2::INTEGER", [10, 10])
    assert_compiles(Book.order_by("id")[10:20][2:5],
                    f"{SELECT_BOOKS} ORDER BY books.id ASC LIMIT $1::INTEGER OFFSET $2::INTEGER", [3, 12])


def test_projections() -> None:
    assert_compiles(Book.only("title"), "SELECT books.id, books.title FROM books")
    assert_compiles(Book.defer("tags", "author_id"), "SELECT books.id, books.title, books.year FROM books")
    assert_compiles(Book.values("title", "year"), "SELECT books.title, books.year FROM books")
    assert_compiles(Book.values_list("year").distinct(), "SELECT DISTINCT books.year FROM books")


# -- count, exists ---------------------------------------------------------------------

def test_count() -> None:
    assert_compiles(backend.count(book, Book.filter(year=1).state),
                    "SELECT count(*) AS count_1 FROM books WHERE books.year = $1::INTEGER", [1])


def test_count_of_a_slice_and_of_distinct_rows() -> None:
    assert_compiles(
        backend.count(book, Book.filter(year=1)[5:15].state),
        "SELECT count(*) AS count_1 FROM (SELECT books.id AS id FROM books WHERE books.year = $1::INTEGER "
        "LIMIT $2::INTEGER OFFSET $3::INTEGER) AS anon_1",
        [1, 10, 5],
    )
    assert_compiles(
        backend.count(book, Book.values("year").distinct().state),
        "SELECT count(*) AS count_1 FROM (SELECT DISTINCT books.year AS year FROM books) AS anon_1",
    )


def test_exists() -> None:
    assert_compiles(backend.exists(book, Book.filter(year=1).state),
                    "SELECT 1 FROM books WHERE books.year = $1::INTEGER LIMIT 1", [1])
    assert_compiles(backend.exists(book, Book.query()[3:].state),
                    "SELECT 1 FROM (SELECT books.id AS id FROM books LIMIT ALL OFFSET $1::INTEGER) AS anon_1 LIMIT 1",
                    [3])


# -- update and delete ----------------------------------------------------------------

def test_update_with_f_expressions() -> None:
    assert_compiles(
        backend.update(book, Book.filter(id=1).state, {"year": F("year") + 1, "title": "x"}),
        "UPDATE books SET title=$1::VARCHAR, year=(books.year + $2::INTEGER) WHERE books.id = $3::INTEGER",
        ["x", 1, 1],
    )
    assert_compiles(backend.update(book, Book.query().state, {"year": (F("year") - 1) * 2}),
                    "UPDATE books SET year=((books.year - $1::INTEGER) * $2::INTEGER)", [1, 2])


def test_delete() -> None:
    assert_compiles(backend.delete(book, Book.filter(year__lt=1900).state),
                    "DELETE FROM books WHERE books.year < $1::INTEGER", [1900])


def test_update_and_delete_of_a_slice_select_primary_keys() -> None:
    assert_compiles(
        backend.delete(book, Book.order_by("-year")[:10].state),
        "DELETE FROM books WHERE books.id IN (SELECT anon_1.id FROM (SELECT books.id AS id FROM books "
        "ORDER BY books.year DESC LIMIT $1::INTEGER) AS anon_1)",
        [10],
    )
    assert_compiles(
        backend.update(book, Book.filter(year=1)[:10].state, {"title": "x"}),
        "UPDATE books SET title=$1::VARCHAR WHERE books.id IN (SELECT anon_1.id FROM (SELECT books.id AS id "
        "FROM books WHERE books.year = $2::INTEGER LIMIT $3::INTEGER) AS anon_1)",
        ["x", 1, 10],
    )


# -- inserts ---------------------------------------------------------------------------

def test_insert_returning_the_generated_key() -> None:
    assert_compiles(
        backend.insert(book, ("title", "year", "author_id", "tags"), [("a", 1, None, ["x"])], ("id",)),
        "INSERT INTO books (title, year, author_id, tags) VALUES ($1::VARCHAR, $2::INTEGER, $3::INTEGER, "
        "$4::JSONB) RETURNING books.id",
        ["a", 1, None, '["x"]'],
    )


def test_multi_row_insert_sends_one_array_per_column() -> None:
    assert_compiles(
        backend.insert(book, ("id", "title", "year", "author_id", "tags"), [(1, "a", 1, None, []), (2, "b", 2, 3, [])]),
        "INSERT INTO books (id, title, year, author_id, tags) SELECT v.id, v.title, v.year, v.author_id, v.tags "
        "FROM unnest($1::INTEGER[], $2::TEXT[], $3::INTEGER[], $4::INTEGER[], $5::JSONB[]) AS v(id, title, year, "
        "author_id, tags)",
        [[1, 2], ["a", "b"], [1, 2], [None, 3], ["[]", "[]"]],
    )


def test_multi_row_insert_of_many_columns_is_one_row_insert_run_per_row() -> None:
    info = Everything.__ormada__
    columns = ("i", "small", "big", "f", "b", "s", "short", "raw", "d", "u", "at", "day", "clock")
    assert len(columns) > 12
    rows = [(i, 1, 2, 0.5, True, f"s{i}", "x", b"", None, None, None, None, None) for i in range(3)]
    statement = backend.insert(info, columns, rows, ("id",))
    assert statement.many and statement.fetch == "rows"
    assert statement.text == squash(
        "INSERT INTO everything (i, small, big, f, b, s, short, raw, d, u, at, day, clock) VALUES ($1::INTEGER, "
        "$2::SMALLINT, $3::BIGINT, $4::FLOAT, $5::BOOLEAN, $6::VARCHAR, $7::VARCHAR, $8::BYTEA, $9::NUMERIC(12, 4), "
        "$10::UUID, $11::TIMESTAMP WITH TIME ZONE, $12::DATE, $13::TIME WITHOUT TIME ZONE) RETURNING everything.id"
    )
    assert [list(p) for p in statement.params] == [list(row) for row in rows]
    assert backend.insert(info, columns[:12], [row[:12] for row in rows], ("id",)).text.startswith(
        "INSERT INTO everything (i, small, big, f, b, s, short, raw, d, u, at, day) SELECT")


def test_insert_without_returning_asks_for_nothing_back() -> None:
    statement = backend.insert(book, ("title", "year", "author_id", "tags"), [("a", 1, None, [])])
    assert statement.fetch == "rowcount"
    assert "RETURNING" not in statement.text


def test_insert_of_only_generated_columns_binds_no_null_key() -> None:
    statement = backend.insert(lib.Counter.__ormada__, (), [()], ("id",))
    assert None not in statement.params


def test_upsert() -> None:
    assert_compiles(
        backend.upsert(book, ("id", "title", "year"), [(1, "a", 2)], ("id",), ("title", "year"), ("id",)),
        "INSERT INTO books (id, title, year) VALUES ($1::INTEGER, $2::VARCHAR, $3::INTEGER) ON CONFLICT (id) "
        "DO UPDATE SET title = excluded.title, year = excluded.year RETURNING books.id",
        [1, "a", 2],
    )


def test_upsert_with_nothing_to_update_still_returns_every_row() -> None:
    statement = backend.upsert(book, ("id", "title", "year"), [(1, "a", 2)], ("id",), (), ("id",))
    assert "ON CONFLICT (id) DO UPDATE SET id = excluded.id RETURNING books.id" in squash(statement.text)


def test_update_rows() -> None:
    statement = backend.update_rows(book, ("title", "year"), [("a", 1, 10), ("b", 2, 20)])
    assert squash(statement.text) == "UPDATE books SET title=$1::VARCHAR, year=$2::INTEGER WHERE books.id = $3::INTEGER"
    assert statement.many
    assert [list(p) for p in statement.params] == [["a", 1, 10], ["b", 2, 20]]


# -- DDL -------------------------------------------------------------------------------

def test_create_tables() -> None:
    texts = [squash(s.text) for s in backend.create_tables([Book.__ormada__, Author.__ormada__])]
    assert texts == [
        "CREATE TABLE IF NOT EXISTS author ( id INTEGER GENERATED BY DEFAULT AS IDENTITY, "
        "name VARCHAR(100) NOT NULL, born INTEGER, PRIMARY KEY (id), UNIQUE (name) )",
        "CREATE TABLE IF NOT EXISTS books ( id INTEGER GENERATED BY DEFAULT AS IDENTITY, title TEXT NOT NULL, "
        "year INTEGER NOT NULL, author_id INTEGER, tags JSONB NOT NULL, PRIMARY KEY (id), "
        "FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE )",
        "CREATE INDEX IF NOT EXISTS ix_books_author_id_year ON books (author_id, year)",
        "CREATE INDEX IF NOT EXISTS ix_books_title ON books (title)",
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_books_title_author_id ON books (title, author_id)",
    ]


def test_column_types() -> None:
    (create,) = backend.create_tables([Everything.__ormada__])
    assert squash(create.text) == (
        "CREATE TABLE IF NOT EXISTS everything ( id BIGINT GENERATED BY DEFAULT AS IDENTITY, i INTEGER, "
        "small SMALLINT, big BIGINT, f DOUBLE PRECISION, b BOOLEAN, s TEXT, short VARCHAR(20), raw BYTEA, "
        "d NUMERIC(12, 4), u UUID, at TIMESTAMP WITH TIME ZONE, naive TIMESTAMP WITHOUT TIME ZONE, day DATE, "
        "clock TIME WITHOUT TIME ZONE, genre VARCHAR(7), level INTEGER, numbers JSONB, mapping JSONB, "
        "address JSONB, shelf JSONB, ci CITEXT, PRIMARY KEY (id) )"
    )


def test_composite_primary_key() -> None:
    (create,) = backend.create_tables([Membership.__ormada__])
    assert squash(create.text) == (
        'CREATE TABLE IF NOT EXISTS membership ( "group" TEXT NOT NULL, member UUID NOT NULL, '
        'role TEXT NOT NULL, PRIMARY KEY ("group", member) )'
    )


def test_drop_tables() -> None:
    texts = [s.text for s in backend.drop_tables([Author.__ormada__, Book.__ormada__])]
    assert texts == ["DROP TABLE IF EXISTS books", "DROP TABLE IF EXISTS author"]


# -- raw SQL and EXPLAIN -----------------------------------------------------------------

def test_raw_sql_numbers_each_name_once() -> None:
    assert_compiles(
        backend.raw("SELECT * FROM books WHERE year > :year AND (id = :id OR author_id = :id)",
                    {"id": 7, "year": 1900}),
        "SELECT * FROM books WHERE year > $1 AND (id = $2 OR author_id = $2)",
        [1900, 7],
    )


def test_raw_sql_leaves_percent_signs_alone() -> None:
    assert_compiles(backend.raw("SELECT '100%', :a", {"a": 1}), "SELECT '100%', $1", [1])


def test_explain_prefix() -> None:
    assert_compiles(backend.explain(Book.filter(year=1).statement()),
                    f"EXPLAIN {SELECT_BOOKS} WHERE books.year = $1::INTEGER", [1])
