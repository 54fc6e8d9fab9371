"""A typed repository over ormada: ``Repository[Book]`` with a custom query, sync and async,
checked by ``mypy --strict`` (``reveal_type`` would show ``Book`` wherever a row comes out).

    python examples/repository.py                          # SQLite, in a temporary directory
    python examples/repository.py postgresql://postgres@127.0.0.1:5432/test

Each run starts from an empty table and prints what every step reads back.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import ormada
from ormada import Model, PrimaryKey, Q
from ormada.pagination import CursorPage, NumberedPage
from ormada.repository import Repository


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    year: int
    shelf: str = "new"

    class Meta:
        table = "repository_books"


class BookRepository(Repository[Book]):
    """The books, with the queries the application needs, named after what they mean."""

    def classics(self, before: int = 1970) -> list[Book]:
        return self.query().filter(year__lt=before).order_by("year").all()

    async def ashelved(self, shelf: str) -> list[Book]:
        return await self.query().filter(shelf=shelf).order_by("title").aall()


def main_sync(books: BookRepository) -> None:
    dune = books.add(Book(title="Dune", year=1965))
    books.add_many([Book(title="Kindred", year=1979), Book(title="Neuromancer", year=1984),
                    Book(title="Solaris", year=1961)])
    print("added:", dune.id is not None, books.count())
    print("get:", books.get(title="Kindred").year)
    print("get_or_none:", books.get_or_none(title="Missing"))
    newest: list[Book] = books.list({"year__gte": 1965}, order=["-year"])
    print("list:", [b.title for b in newest])
    page: NumberedPage[Book] = books.list(Q(year__gt=1900), order=["year"], page=2, per_page=3)
    print("page:", page.number, "of", page.num_pages, [b.title for b in page])
    first: CursorPage[Book] = books.paginate(order=["title"], size=2)
    second = books.paginate(order=["title"], size=2, after=first.next_cursor)
    print("cursor pages:", [b.title for b in first], [b.title for b in second])
    books.update(dune, shelf="classics")
    print("updated:", books.get(id=dune.id).shelf)
    print("classics:", [b.title for b in books.classics()])
    print("exists:", books.exists({"title": "Solaris"}), books.exists(Q(year__lt=1900)))


async def main_async(books: BookRepository) -> None:
    solaris = await books.aget(title="Solaris")
    await books.aupdate(solaris, shelf="classics")
    print("async shelved:", [b.title for b in await books.ashelved("classics")])
    page = await books.alist(order=["title"], page=1, per_page=2)
    print("async page:", [b.title for b in page], page.has_next)
    print("async delete:", await books.adelete(solaris), await books.acount())
    kept = await books.aadd(Book(title="The Dispossessed", year=1974))
    print("async add:", (await books.aget_or_none(id=kept.id)) is not None, await books.aexists({"year": 1974}))


def run(url: str) -> None:
    db = ormada.connect(url)
    db.drop_all([Book])
    db.create_all([Book])
    books = BookRepository()
    print("repository:", books)
    main_sync(books)
    asyncio.run(main_async(books))
    db.drop_all([Book])
    db.close()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'repository.db'}")
