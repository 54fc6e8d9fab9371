"""Relations in ormada: foreign keys (forward, nullable, to a model defined later),
reverse sides, many-to-many, select_related, concurrent prefetch, lookups across
relations, and a ModelView — the same code sync and async.

    python examples/relations.py                          # SQLite, in a temporary directory
    python examples/relations.py postgresql://postgres@127.0.0.1:5432/test

Each run starts from empty tables and prints what every step reads back.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import ormada
from ormada import ForeignKey, ManyToMany, Model, ModelView, PrimaryKey


class Author(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    author: Annotated[Author, ForeignKey(related_name="books", on_delete="cascade")]
    editor: Annotated[Person | None, ForeignKey(related_name="edited", on_delete="set null")] = None  # defined below
    tags: Annotated[list[Tag], ManyToMany(related_name="books")] = []  # a junction table ormada makes


class Person(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Tag(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class BookView(ModelView):
    """A book as an API would show it."""

    model = Book
    prefetch = ["tags"]
    inline = {"author_id": "author"}

    def shelf(self, book: Book) -> str:
        return book.title[0].upper()


MODELS = [Author, Person, Tag, Book, Book.__ormada__.relations["tags"].through]


def sync_tour() -> None:
    le_guin = Author.create(name="Ursula K. Le Guin")
    butler = Author.create(name="Octavia E. Butler")
    ed = Person.create(name="Ed")
    sf, classic = Tag.create(name="sf"), Tag.create(name="classic")
    book = Book.create(title="The Left Hand of Darkness", author=le_guin, editor=ed)
    Book.create(title="The Dispossessed", author=le_guin)
    Book.create(title="Kindred", author=butler)
    book.tags.add(sf, classic)
    book.tags.remove(classic)
    book.tags.set([sf, classic])

    one = Book.select_related("author").get(id=book.id)  # one JOIN
    print("select_related:", one.title, "by", one.author.name, "| author_id without a query:", one.author_id)
    try:
        _ = Book.get(id=book.id).author
    except ormada.RelationNotLoaded as exc:
        print("not loaded:", str(exc).splitlines()[0][:70] + "…")
    found = Book.filter(author__name__icontains="le guin", tags__name="sf").distinct()
    print("across relations:", [b.title for b in found])
    print("reverse:", [a.name for a in Author.filter(books__title__startswith="Kin")])
    print("exclude:", sorted(a.name for a in Author.exclude(books__tags__name="sf")))
    print("values:", Book.values("title", "author__name").order_by("title").all()[0])


async def async_tour() -> None:
    authors = await Author.filter(name__startswith="U").prefetch_related("books__tags", "books__editor")
    for author in authors:
        print("prefetch:", author.name, [(b.title, [t.name for t in b.tags]) for b in author.books])
    book = await Book.aget(title="The Left Hand of Darkness")
    await book.afetch_related("author", "tags")  # on an instance already loaded
    print("afetch_related:", book.author.name, sorted(t.name for t in book.tags))
    await book.tags.aclear()
    await book.tags.aadd(*(await Tag.filter(name="sf")))
    views = await Book.filter(id=book.id).view(BookView)
    print("view:", views[0].model_dump(mode="json"))


def main(url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = ormada.connect(url or f"sqlite:///{Path(tmp) / 'relations.db'}")
        db.drop_all(MODELS)
        db.create_all(MODELS)
        try:
            sync_tour()
            asyncio.run(async_tour())
        finally:
            db.drop_all(MODELS)
            db.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
