"""Models of the FastAPI tests (their own tables, apart from the other tests')."""

from __future__ import annotations

from typing import Annotated

from ormada import ForeignKey, Indexed, Model, ModelView, PrimaryKey, Unique


class ApiAuthor(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique()]
    born: int | None = None

    class Meta:
        table = "api_authors"


class ApiBook(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: Annotated[str, Indexed()]
    year: Annotated[int, Indexed()]
    author: Annotated[ApiAuthor, ForeignKey()]
    tags: list[str] = []

    class Meta:
        table = "api_books"


MODELS: list[type[Model]] = [ApiAuthor, ApiBook]


class ApiBookView(ModelView):
    """A book with its author in place of the author's key."""

    model = ApiBook
    inline = {"author_id": "author"}

    def label(self, book: ApiBook) -> str:
        return f"{book.title} ({book.year})"
