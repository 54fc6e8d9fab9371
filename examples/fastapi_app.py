"""A small library API with ormada and FastAPI: a lifespan that opens the database, JSON
errors, CRUD routers (async for books, sync for authors) and hand-written endpoints that run
in request transactions.

Run it (after ``pip install 'ormada[fastapi]' uvicorn``) with::

    python examples/fastapi_app.py                  # SQLite, library-api.db, on 127.0.0.1:8000
    ORMADA_URL=postgresql://postgres@127.0.0.1:5432/test python examples/fastapi_app.py

then open http://127.0.0.1:8000/docs, or::

    curl -X POST localhost:8000/authors -H 'content-type: application/json' -d '{"name": "Ursula K. Le Guin"}'
    curl -X POST localhost:8000/books -H 'content-type: application/json' \\
         -d '{"title": "The Dispossessed", "year": 1974, "author_id": 1}'
    curl 'localhost:8000/books?year__gte=1970&order=-year'
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from ormada import ForeignKey, Indexed, Model, ModelView, PrimaryKey, Unique
from ormada.contrib.fastapi import (
    AsyncTransaction,
    CRUDRouter,
    SyncTransaction,
    install_exception_handlers,
    ormada_lifespan,
)


class Author(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique()]
    born: int | None = None


class Book(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Indexed()]
    year: Annotated[int, Indexed()]
    author: Annotated[Author, ForeignKey(related_name="books")]
    tags: list[str] = []


class BookView(ModelView):
    """A book as the API shows it: its author in place of the author's key."""

    model = Book
    inline = {"author_id": "author"}

    def age(self, book: Book) -> int:
        return 2026 - book.year


URL = os.environ.get("ORMADA_URL", "sqlite:///library-api.db")

# create_all=True suits a demo; a real application creates its tables with migrations.
app = FastAPI(title="Library", lifespan=ormada_lifespan(URL, create_all=True, models=[Author, Book]))
install_exception_handlers(app)
app.include_router(CRUDRouter(Book, prefix="/books", view=BookView, filters=["year", "title", "author_id"],
                              ordering=["year", "title"], page_size=10, max_page_size=100))
app.include_router(CRUDRouter(Author, prefix="/authors", filters=["name", "born"], ordering=["name"],
                              pagination="offset", is_async=False))


class Shelf(BaseModel):
    author: str
    titles: list[str]


@app.post("/shelves", status_code=201, responses={400: {"description": "An empty title"},
                                                  409: {"description": "The author exists already"}})
async def add_shelf(shelf: Shelf, tx: AsyncTransaction) -> dict[str, int]:
    """An author and their books in one transaction: all of them, or none."""
    author = await Author.acreate(name=shelf.author)
    for title in shelf.titles:
        if not title.strip():
            raise HTTPException(400, "a title cannot be empty")  # rolls back the author too
        await Book.acreate(title=title, year=0, author_id=author.id)
    return {"author_id": author.id, "books": len(shelf.titles)}


@app.post("/authors/{author_id}/retire", responses={404: {"description": "No such author"}})
def retire(author_id: int, tx: SyncTransaction) -> dict[str, int]:
    """A sync endpoint (FastAPI runs it in its thread pool) in a sync request transaction."""
    author = Author.get(id=author_id)
    deleted = Book.filter(author_id=author.id).delete()
    author.delete()
    return {"books_deleted": deleted}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
