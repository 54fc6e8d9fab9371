"""SQL text of the relations workload for the raw-driver baselines (and the mappers that take
their tables as given): DDL and the statements of R1-R6, in each driver's placeholder style.

R1, R2 and R5 are one JOIN each; R3, R4 and R6 read the parents, then the related rows with
``WHERE key IN (...)`` (``= ANY($1)`` on PostgreSQL), as a mapper's prefetch does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_PK = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "SERIAL PRIMARY KEY"}
#: Keys per IN list on SQLite: below its parameter limit, like a mapper's batches.
KEYS_PER_QUERY = 2_000
#: Which table and key column each R6 relation reads.
RELATED = {"books": ("rel_book", "id, title, author_id"), "awards": ("rel_award", "id, name, author_id"),
           "addresses": ("rel_address", "id, city, author_id")}


def ddl(db: str) -> tuple[str, ...]:
    """Fresh tables with foreign keys (the harness adds the key indexes)."""
    pk = _PK[db]
    drop = " CASCADE" if db == "postgresql" else ""
    tables = ("rel_sale", "rel_book_tag", "rel_address", "rel_award", "rel_book", "rel_tag", "rel_author",
              "rel_country")
    return (
        *(f"DROP TABLE IF EXISTS {t}{drop}" for t in tables),
        f"CREATE TABLE rel_country (id {pk}, name VARCHAR(255) NOT NULL)",
        f"CREATE TABLE rel_author (id {pk}, name VARCHAR(255) NOT NULL, "
        "country_id INTEGER NOT NULL REFERENCES rel_country (id))",
        f"CREATE TABLE rel_book (id {pk}, title VARCHAR(255) NOT NULL, "
        "author_id INTEGER NOT NULL REFERENCES rel_author (id))",
        f"CREATE TABLE rel_tag (id {pk}, name VARCHAR(255) NOT NULL)",
        "CREATE TABLE rel_book_tag (book_id INTEGER NOT NULL REFERENCES rel_book (id), "
        "tag_id INTEGER NOT NULL REFERENCES rel_tag (id), PRIMARY KEY (book_id, tag_id))",
        f"CREATE TABLE rel_award (id {pk}, name VARCHAR(255) NOT NULL, "
        "author_id INTEGER NOT NULL REFERENCES rel_author (id))",
        f"CREATE TABLE rel_address (id {pk}, city VARCHAR(255) NOT NULL, "
        "author_id INTEGER NOT NULL REFERENCES rel_author (id))",
        f"CREATE TABLE rel_sale (id {pk}, book_id INTEGER NOT NULL REFERENCES rel_book (id), "
        "region INTEGER NOT NULL, amount NUMERIC(12, 2) NOT NULL)",
    )


@dataclass(frozen=True)
class RelSQL:
    """Every statement of the raw contenders; ``*_in`` take a key list (see ``in_list``)."""

    select_one: str  # book + author columns
    select_two: str  # book + author + country columns
    authors: str
    books_in: str  # books of some authors
    books_upto: str  # books with id <= p1
    tags_in: str  # (book_id, tag id, tag name) of some books, through the junction
    filter_across: str  # books whose author's name is LIKE p1
    related_in: dict[str, str]  # R6: books / awards / addresses of some authors
    sales_by_region: str  # R7: (region, total, count); on SQLite the total in cents (see ``from_cents``)
    authors_book_count: str  # R8: author columns + the number of their books
    best_sales: str  # R9: each region's largest sale (lowest id on ties)


def build(db: str, ph: Callable[[int], str]) -> RelSQL:
    """Statements for ``db`` with the driver's placeholder style ``ph``.

    On SQLite an ``*_in`` statement ends in ``IN `` and the caller appends ``(?, ?, ...)``; on
    PostgreSQL it ends in ``= ANY(p1)`` and takes the list as one array parameter.
    """

    def key_in(column: str) -> str:
        return f"{column} IN " if db == "sqlite" else f"{column} = ANY({ph(1)})"

    book_author = "b.id, b.title, b.author_id, a.id, a.name, a.country_id"
    return RelSQL(
        select_one=f"SELECT {book_author} FROM rel_book b JOIN rel_author a ON a.id = b.author_id",
        select_two=f"SELECT {book_author}, c.id, c.name FROM rel_book b JOIN rel_author a ON a.id = b.author_id "
                   "JOIN rel_country c ON c.id = a.country_id",
        authors="SELECT id, name, country_id FROM rel_author",
        books_in=f"SELECT id, title, author_id FROM rel_book WHERE {key_in('author_id')}",
        books_upto=f"SELECT id, title, author_id FROM rel_book WHERE id <= {ph(1)}",
        tags_in="SELECT j.book_id, t.id, t.name FROM rel_book_tag j JOIN rel_tag t ON t.id = j.tag_id "
                f"WHERE {key_in('j.book_id')}",
        filter_across="SELECT b.id, b.title, b.author_id FROM rel_book b JOIN rel_author a ON a.id = b.author_id "
                      f"WHERE a.name LIKE {ph(1)}",
        related_in={name: f"SELECT {cols} FROM {table} WHERE {key_in('author_id')}"
                    for name, (table, cols) in RELATED.items()},
        # SQLite's SUM of NUMERIC adds binary floats: an exact total adds whole cents, converted once per group.
        sales_by_region=("SELECT region, SUM(CAST(ROUND(amount * 100) AS INTEGER)), COUNT(id) FROM rel_sale "
                         "GROUP BY region") if db == "sqlite" else
                        "SELECT region, SUM(amount), COUNT(id) FROM rel_sale GROUP BY region",
        authors_book_count="SELECT a.id, a.name, a.country_id, COUNT(b.id) FROM rel_author a "
                           "LEFT OUTER JOIN rel_book b ON b.author_id = a.id GROUP BY a.id, a.name, a.country_id",
        best_sales="SELECT id, book_id, region, amount FROM (SELECT id, book_id, region, amount, row_number() OVER "
                   "(PARTITION BY region ORDER BY amount DESC, id) AS r FROM rel_sale) ranked WHERE r = 1",
    )


def in_list(sql: str, count: int) -> str:
    """A SQLite ``... IN `` statement completed for ``count`` keys."""
    return f"{sql}({', '.join('?' * count)})"


def batches(keys: list[int]) -> list[list[int]]:
    """``keys`` in lists of at most ``KEYS_PER_QUERY``."""
    return [keys[i : i + KEYS_PER_QUERY] for i in range(0, len(keys), KEYS_PER_QUERY)]


def group(rows: list[Any], key: int) -> dict[int, list[Any]]:
    """Related rows by the owner key in column ``key``: what a prefetch attaches to each owner."""
    out: dict[int, list[Any]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


def attached(owners: list[Any], groups: dict[int, list[Any]]) -> int:
    """Touches every owner's related list (owner key in column 0) and counts what it holds."""
    return sum(len(groups.get(owner[0], ())) for owner in owners)


def from_cents(rows: list[Any]) -> list[tuple[Any, Decimal, Any]]:
    """SQLite's R7 rows ``(region, cents, count)`` with each total as an exact ``Decimal``."""
    return [(region, Decimal(cents).scaleb(-2), n) for region, cents, n in rows]
