"""The relations workload: eight tables, their sizes, the operations R1-R9 and deterministic rows.

Every contender maps the same tables (its own DDL, the same names and key columns)::

    rel_country (id, name)
    rel_author  (id, name, country_id -> rel_country)
    rel_book    (id, title, author_id -> rel_author)
    rel_tag     (id, name)
    rel_book_tag (book_id -> rel_book, tag_id -> rel_tag)       the many-to-many junction
    rel_award   (id, name, author_id -> rel_author)
    rel_address (id, city, author_id -> rel_author)
    rel_sale    (id, book_id -> rel_book, region, amount NUMERIC(12, 2))

The harness fills them once per contender process, untimed and through the plain driver, so every
contender reads the same rows. Each operation returns ``(rows, checksum)``: how many parent rows it
read and a figure that only comes out right when every related object is attached to the right
parent (say, the total length of the attached authors' names); both are checked against what the
generated data says.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from functools import cached_property

#: (parent rows read, checksum over the related objects reached).
Check = tuple[int, int]

#: Every table with its columns, parents before children (the order they are filled in).
COLUMNS: dict[str, tuple[str, ...]] = {
    "rel_country": ("id", "name"),
    "rel_author": ("id", "name", "country_id"),
    "rel_book": ("id", "title", "author_id"),
    "rel_tag": ("id", "name"),
    "rel_book_tag": ("book_id", "tag_id"),
    "rel_award": ("id", "name", "author_id"),
    "rel_address": ("id", "city", "author_id"),
    "rel_sale": ("id", "book_id", "region", "amount"),
}
TABLES = tuple(COLUMNS)
#: The key columns the harness indexes when a contender's DDL did not (PostgreSQL does not index
#: a foreign key by itself), so every contender's reads find the same indexes.
KEY_INDEXES: tuple[tuple[str, str], ...] = (
    ("rel_author", "country_id"), ("rel_book", "author_id"), ("rel_book_tag", "book_id"),
    ("rel_award", "author_id"), ("rel_address", "author_id"),
)
#: Author names start with one of these letters (upper case only, so a case-insensitive LIKE on
#: SQLite matches exactly what a case-sensitive one on PostgreSQL does); R5 asks for the first.
INITIALS = "ABCDEFGHIJ"
PREFIX = INITIALS[0]
#: The relations R6 loads at once, and the single prefetches it is compared with.
R6_RELATIONS = ("books", "awards", "addresses")


@dataclass(frozen=True)
class RelOperation:
    """One measured operation; rates count ``unit`` (parent rows) per second."""

    key: str
    method: str
    title: str
    unit: str = "rows"
    async_only: bool = False


REL_OPERATIONS: tuple[RelOperation, ...] = (
    RelOperation("R1", "select_one", "select_related, one level (book -> author)"),
    RelOperation("R2", "select_two", "select_related, two levels (book -> author -> country)"),
    RelOperation("R3", "prefetch_reverse", "prefetch a to-many relation (author -> books)"),
    RelOperation("R4", "prefetch_m2m", "prefetch many-to-many (book -> tags)"),
    RelOperation("R5", "filter_across", "filter across a relation (author name prefix) -> objects"),
    RelOperation("R6", "prefetch_three", "prefetch three relations of the same authors at once", async_only=True),
    RelOperation("R7", "aggregate_groups", "aggregate with group by (SUM and COUNT of sales per region)",
                 unit="groups"),
    RelOperation("R8", "annotate_count", "annotate a Count across a relation (books per author)"),
    RelOperation("R9", "window_rank", "window ranking: the largest sale of each region (ROW_NUMBER, filtered)",
                 unit="groups"),
)


@dataclass(frozen=True)
class RelSizes:
    """How many rows each table holds, and how often each operation runs."""

    repetitions: int
    countries: int
    authors: int
    books_per_author: int
    tags: int
    tag_books: int  # books 1..tag_books have tags (R4 reads exactly those)
    tags_per_book: int
    awards_per_author: int
    addresses_per_author: int
    sales: int  # rows R7 aggregates
    regions: int  # groups R7 returns

    @property
    def books(self) -> int:
        return self.authors * self.books_per_author


REL_SIZES: dict[str, RelSizes] = {
    "full": RelSizes(repetitions=5, countries=20, authors=1_000, books_per_author=10, tags=50, tag_books=1_000,
                     tags_per_book=3, awards_per_author=5, addresses_per_author=5, sales=100_000, regions=50),
    "quick": RelSizes(repetitions=3, countries=5, authors=50, books_per_author=4, tags=10, tag_books=50,
                      tags_per_book=3, awards_per_author=2, addresses_per_author=2, sales=2_000, regions=10),
}

_ALPHABET = string.ascii_lowercase + " "


def _text(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choices(_ALPHABET, k=rng.randint(low, high)))


@dataclass(frozen=True)
class RelData:
    """Every row of the seven tables as tuples in column order, ids from 1, and the expected checks."""

    sizes: RelSizes
    countries: list[tuple[int, str]]
    authors: list[tuple[int, str, int]]
    books: list[tuple[int, str, int]]
    tags: list[tuple[int, str]]
    book_tags: list[tuple[int, int]]
    awards: list[tuple[int, str, int]]
    addresses: list[tuple[int, str, int]]
    sales: list[tuple[int, int, int, str]]  # amounts as text ("12.34"), exact for every driver

    def rows(self, table: str) -> list[tuple[object, ...]]:
        """The rows of one table of ``TABLES``."""
        by_table: dict[str, list[tuple[object, ...]]] = {
            "rel_country": list(self.countries), "rel_author": list(self.authors), "rel_book": list(self.books),
            "rel_tag": list(self.tags), "rel_book_tag": list(self.book_tags), "rel_award": list(self.awards),
            "rel_address": list(self.addresses), "rel_sale": list(self.sales),
        }
        return by_table[table]

    @cached_property
    def expected(self) -> dict[str, Check]:
        """What each operation (and each single prefetch of R6) must return."""
        author_name = {a[0]: a[1] for a in self.authors}
        author_country = {a[0]: a[2] for a in self.authors}
        country_name = {c[0]: c[1] for c in self.countries}
        matching = [b for b in self.books if author_name[b[2]].startswith(PREFIX)]
        tagged = [b for b in self.books if b[0] <= self.sizes.tag_books]
        out: dict[str, Check] = {
            "R1": (len(self.books), sum(len(author_name[b[2]]) for b in self.books)),
            "R2": (len(self.books), sum(len(country_name[author_country[b[2]]]) for b in self.books)),
            "R3": (len(self.authors), len(self.books)),
            "R4": (len(tagged), sum(1 for bt in self.book_tags if bt[0] <= self.sizes.tag_books)),
            "R5": (len(matching), sum(b[2] for b in matching)),
        }
        singles = {"books": len(self.books), "awards": len(self.awards), "addresses": len(self.addresses)}
        for name, count in singles.items():
            out[f"R6.{name}"] = (len(self.authors), count)
        out["R6"] = (len(self.authors), sum(singles.values()))
        cents: dict[int, int] = {}
        for sale in self.sales:
            cents[sale[2]] = cents.get(sale[2], 0) + int(sale[3].replace(".", ""))
        out["R7"] = (len(cents), sum(cents.values()) + len(self.sales))
        out["R8"] = (len(self.authors), len(self.books))
        best: dict[int, tuple[int, int]] = {}  # region -> (cents, -id) of its largest sale, the lowest id on ties
        for sale in self.sales:
            key = (int(sale[3].replace(".", "")), -sale[0])
            best[sale[2]] = max(best.get(sale[2], key), key)
        out["R9"] = (len(best), sum(-key[1] for key in best.values()))
        return out


def make_data(sizes: RelSizes, seed: int = 20_24) -> RelData:
    """The rows every contender reads, identical in every process for the same sizes."""
    rng = random.Random(seed)
    countries = [(i, _text(rng, 5, 20).capitalize()) for i in range(1, sizes.countries + 1)]
    authors = [(i, rng.choice(INITIALS) + _text(rng, 8, 30), rng.randint(1, sizes.countries))
               for i in range(1, sizes.authors + 1)]
    # Books are spread over the authors round-robin: every author has exactly books_per_author
    # books, and an author's books are not neighbours in the table.
    books = [(i, _text(rng, 10, 60), (i - 1) % sizes.authors + 1) for i in range(1, sizes.books + 1)]
    tags = [(i, _text(rng, 3, 12)) for i in range(1, sizes.tags + 1)]
    book_tags = [(book, tag) for book in range(1, sizes.tag_books + 1)
                 for tag in sorted(rng.sample(range(1, sizes.tags + 1), sizes.tags_per_book))]
    awards = [(i, _text(rng, 5, 30), (i - 1) % sizes.authors + 1)
              for i in range(1, sizes.authors * sizes.awards_per_author + 1)]
    addresses = [(i, _text(rng, 4, 20), (i - 1) % sizes.authors + 1)
                 for i in range(1, sizes.authors * sizes.addresses_per_author + 1)]
    # Amounts from 1.00 to 999.99, two places, written as text so no driver rounds them on the way in.
    sales = [(i, rng.randint(1, sizes.books), rng.randint(1, sizes.regions), f"{rng.randint(100, 99_999) / 100:.2f}")
             for i in range(1, sizes.sales + 1)]
    return RelData(sizes, countries, authors, books, tags, book_tags, awards, addresses, sales)
