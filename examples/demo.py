"""A tour of ormada on SQLite: models, queries, transactions, rollbacks and the async API.

Run it with ``make demo`` (or ``python examples/demo.py``). It builds a small library in a
fresh SQLite file in a temporary directory, so every run starts from the same data.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

import ormada
from ormada import F, ForeignKey, Indexed, Model, PrimaryKey, Q, Unique

console = Console()


class Author(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique()]
    born: int
    country: str


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Indexed()]
    year: int
    author_id: Annotated[int, ForeignKey(Author)]
    pages: int
    tags: list[str] = []

    class Meta:
        table = "books"


AUTHORS = [
    ("Ursula K. Le Guin", 1929, "US"),
    ("Octavia E. Butler", 1947, "US"),
    ("Stanisław Lem", 1921, "PL"),
]

BOOKS = [
    ("A Wizard of Earthsea", 1968, "Ursula K. Le Guin", 183, ["fantasy"]),
    ("The Left Hand of Darkness", 1969, "Ursula K. Le Guin", 286, ["sf", "classic"]),
    ("The Dispossessed", 1974, "Ursula K. Le Guin", 341, ["sf", "utopia"]),
    ("Kindred", 1979, "Octavia E. Butler", 264, ["classic"]),
    ("Parable of the Sower", 1993, "Octavia E. Butler", 345, ["sf"]),
    ("Solaris", 1961, "Stanisław Lem", 204, ["sf", "classic"]),
    ("The Cyberiad", 1965, "Stanisław Lem", 295, ["sf", "humour"]),
]


# -- showing things ------------------------------------------------------------

def section(title: str) -> None:
    console.print()
    console.rule(f"[bold cyan]{title}")


def code(text: str, language: str = "python") -> None:
    console.print(Syntax(inspect.cleandoc(text), language, theme="ansi_dark", word_wrap=True))


def books_table(title: str, books: Iterable[Book]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("id", justify="right", style="dim")
    table.add_column("title", style="bold")
    table.add_column("year", justify="right")
    table.add_column("pages", justify="right")
    table.add_column("tags")
    for book in books:
        table.add_row(str(book.id), book.title, str(book.year), str(book.pages), ", ".join(book.tags))
    return table


def results_table(rows: Sequence[tuple[str, Any]]) -> Table:
    table = Table(show_header=True, header_style="bold", show_lines=True)
    table.add_column("query", style="green", overflow="fold", ratio=3)
    table.add_column("result", overflow="fold", ratio=2)
    for query, result in rows:
        table.add_row(query, repr(result))
    return table


# -- the tour ------------------------------------------------------------------

def build_library(db: ormada.Database) -> None:
    section("1. Models and tables")
    console.print("Models are pydantic models; markers in [bold]Annotated[...][/] give fields their database role.")
    code(inspect.getsource(Author) + "\n\n" + inspect.getsource(Book))
    statements = db.create_all()
    console.print(f"[bold]db.create_all()[/] ran {len(statements)} statements; the first one:")
    code(statements[0].text, "sql")

    section("2. Writing rows")
    authors = {name: Author.create(name=name, born=born, country=country) for name, born, country in AUTHORS}
    console.print(f"Author.create() x{len(authors)}: the database generated the ids "
                  f"{[a.id for a in authors.values()]}")
    books = Book.bulk_create([
        Book(title=title, year=year, author_id=authors[author].id, pages=pages, tags=tags)
        for title, year, author, pages, tags in BOOKS
    ])
    console.print(f"Book.bulk_create() wrote {len(books)} books in one statement.")
    console.print(books_table("books", Book.order_by("id")))


def run_queries() -> None:
    section("3. Queries")
    le_guin = Author.get(name="Ursula K. Le Guin")
    oldest = Book.order_by("year").first()
    assert oldest is not None
    # Each row shows the exact code that ran and what it returned.
    rows: list[tuple[str, Any]] = [
        ('Book.filter(year__gte=1970).count()', Book.filter(year__gte=1970).count()),
        ('Book.filter(title__icontains="the").order_by("id").values_list("title", flat=True).all()',
         Book.filter(title__icontains="the").order_by("id").values_list("title", flat=True).all()),
        ('Book.filter(tags__contains="classic").order_by("year").values_list("title", flat=True).all()',
         Book.filter(tags__contains="classic").order_by("year").values_list("title", flat=True).all()),
        ('Book.filter(year__range=(1960, 1969)).count()', Book.filter(year__range=(1960, 1969)).count()),
        ('Book.filter(Q(pages__lt=200) | Q(year__gt=1990)).order_by("id").values_list("title", flat=True).all()',
         Book.filter(Q(pages__lt=200) | Q(year__gt=1990)).order_by("id").values_list("title", flat=True).all()),
        ('Book.exclude(tags__contains="sf").order_by("id").values_list("title", flat=True).all()',
         Book.exclude(tags__contains="sf").order_by("id").values_list("title", flat=True).all()),
        ('Book.order_by("-pages").values_list("title", "pages")[:3].all()',
         Book.order_by("-pages").values_list("title", "pages")[:3].all()),
        ('Book.filter(author_id=le_guin.id).order_by("year").values("title", "year")[1:2].all()',
         Book.filter(author_id=le_guin.id).order_by("year").values("title", "year")[1:2].all()),
        ('Book.order_by("year").first().title', oldest.title),
        ('Author.get(name="Stanisław Lem").born', Author.get(name="Stanisław Lem").born),
        ('Book.get_or_none(title="Dune")', Book.get_or_none(title="Dune")),
        ('Author.filter(country="PL").exists()', Author.filter(country="PL").exists()),
    ]
    console.print(results_table(rows))

    console.print("\nA QuerySet is lazy: [bold]statement()[/] shows the SQL it would send, and sends nothing.")
    qs = Book.filter(year__gte=1970, tags__contains="sf").order_by("-year")[:5]
    statement = qs.statement()
    code('Book.filter(year__gte=1970, tags__contains="sf").order_by("-year")[:5].statement()')
    code(statement.text, "sql")
    console.print(f"params: {list(statement.params)!r}")


def transactions(db: ormada.Database) -> None:
    section("4. An update inside a transaction")
    code("""
        with db.transaction():
            changed = Book.filter(year__lt=1970).update(pages=F("pages") + 10)
    """)
    with db.transaction():
        changed = Book.filter(year__lt=1970).update(pages=F("pages") + 10)
    console.print(f"update() returned {changed}: the number of rows it changed, committed at the end of the block.")
    console.print(books_table("books before 1970", Book.filter(year__lt=1970).order_by("year")))

    section("5. Rollbacks")
    before = Book.count()
    try:
        with db.transaction():
            Book.create(title="A Book That Never Was", year=2030, author_id=1, pages=1)
            Book.filter(title="Kindred").update(year=1)
            console.print(f"inside the block: {Book.count()} books, Kindred dated "
                          f"{Book.get(title='Kindred').year}")
            raise RuntimeError("something went wrong")
    except RuntimeError as exc:
        console.print(f"[yellow]RuntimeError({str(exc)!r})[/] escaped the block, so it was rolled back:")
    console.print(f"after the block: {Book.count()} books (was {before}), Kindred dated "
                  f"{Book.get(title='Kindred').year}")

    console.print("\nA unique field refuses a duplicate; nothing is half-written:")
    try:
        with db.transaction():
            Author.create(name="Ann Leckie", born=1966, country="US")
            Author.create(name="Ursula K. Le Guin", born=1929, country="US")
    except ormada.IntegrityError as exc:
        console.print(Panel(str(exc).splitlines()[0], title="ormada.IntegrityError", border_style="red",
                            title_align="left"))
    console.print(f"Ann Leckie stored? {Author.filter(name='Ann Leckie').exists()} "
                  f"(authors: {Author.count()})")

    console.print("\nAsking for a row that is not there:")
    try:
        Book.get(title="Dune")
    except Book.DoesNotExist as exc:
        console.print(Panel(str(exc).splitlines()[0], title="Book.DoesNotExist", border_style="red",
                            title_align="left"))


async def async_tour(db: ormada.Database) -> None:
    section("6. The async API")
    console.print("Every operation has an [bold]a[/]-prefixed async twin on native async drivers (aiosqlite here).")
    code("""
        lem = await Author.aget(name="Stanisław Lem")
        await Book.acreate(title="His Master's Voice", year=1968, author_id=lem.id, pages=199, tags=["sf"])
        books = await Book.filter(author_id=lem.id).order_by("year")   # await a QuerySet: a list
        async for book in Book.filter(tags__contains="classic").order_by("year"):
            ...
        async with db.atransaction():
            await Book.filter(author_id=lem.id).aupdate(pages=F("pages") + 1)
    """)
    lem = await Author.aget(name="Stanisław Lem")
    await Book.acreate(title="His Master's Voice", year=1968, author_id=lem.id, pages=199, tags=["sf"])
    books = await Book.filter(author_id=lem.id).order_by("year")
    console.print(books_table("books by Stanisław Lem (await qs)", books))
    classics = [book.title async for book in Book.filter(tags__contains="classic").order_by("year")]
    console.print(f"classics (async for): {classics}")
    async with db.atransaction():
        changed = await Book.filter(author_id=lem.id).aupdate(pages=F("pages") + 1)
    console.print(f"aupdate() inside atransaction() changed {changed} rows; "
                  f"{await Book.acount()} books in all")
    await db.aclose()


def command_line(path: Path) -> None:
    section("7. The command line")
    console.print("The same models and database from a shell: the ormada command imports this file's models.")
    url = f"sqlite:///{path}"
    query = ["query", "Book", "filter", "--filter", "year__gte=1970", "--order", "year", "--fields", "title,year"]
    for args in (["models"], query):
        console.print(f"[bold]$ ormada --url {url} --models examples/demo.py {' '.join(args)}[/]", highlight=False)
        # Run as a reader would run it: a process of its own, reading the file this demo wrote.
        done = subprocess.run([sys.executable, "-m", "ormada", "--url", url, "--models", __file__, *args],
                              capture_output=True, text=True, check=False,
                              env={**os.environ, "COLUMNS": str(console.width)})
        console.out(done.stdout.rstrip() or done.stderr.rstrip(), highlight=False)


def main() -> None:
    console.print(Panel.fit("[bold]ormada[/] demo: one Pydantic-native model API, sync and async, "
                            "here on SQLite", border_style="cyan"))
    with tempfile.TemporaryDirectory(prefix="ormada-demo-") as tmp:
        path = Path(tmp) / "library.db"
        db = ormada.connect(f"sqlite:///{path}")
        console.print(f"database: [bold]{db.url}[/]")
        build_library(db)
        run_queries()
        transactions(db)
        asyncio.run(async_tour(db))
        db.close()
        command_line(path)
    section("Done")
    console.print("Next: the quickstart and the full reference are in README.md.")


if __name__ == "__main__":
    main()
