"""ormada models of the relations workload (shared by the sync and async contenders).

``Book.tags`` is a many-to-many field only when this ormada has ``ManyToMany``; without it the
model has no such field and R4 is reported as not supported. Its junction (the model ormada
defines) is told to use ``rel_book_tag``, so the harness fills it like every other table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

import ormada
from ormada import ForeignKey, Model, PrimaryKey, Text

ManyToMany: Any = getattr(ormada, "ManyToMany", None)
NO_M2M = "this ormada has no ManyToMany field yet (ormada.ManyToMany does not exist)"
Name = Annotated[str, Text(max_length=255)]


class Country(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Name

    class Meta:
        table = "rel_country"


class Author(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Name
    country: Annotated[Country, ForeignKey(related_name="authors")]

    class Meta:
        table = "rel_author"


class Tag(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Name

    class Meta:
        table = "rel_tag"


def _book() -> Any:
    """``Book``, with ``tags`` when ormada has many-to-many fields (built so that the class
    statement never names ``ManyToMany`` when it does not exist)."""
    annotations: dict[str, Any] = {
        "id": Annotated[int | None, PrimaryKey()],
        "title": Name,
        "author": Annotated[Author, ForeignKey(related_name="books")],
    }
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": "Book", "id": None}
    if ManyToMany is not None:
        annotations["tags"] = Annotated[list[Tag], ManyToMany(related_name="books", db_table="rel_book_tag")]
        namespace["tags"] = []
    namespace["__annotations__"] = annotations
    namespace["Meta"] = type("Meta", (), {"table": "rel_book", "__qualname__": "Book.Meta", "__module__": __name__})
    return type("Book", (Model,), namespace)


Book: Any = _book()


class Award(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Name
    author: Annotated[Author, ForeignKey(related_name="awards")]

    class Meta:
        table = "rel_award"


class Address(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    city: Name
    author: Annotated[Author, ForeignKey(related_name="addresses")]

    class Meta:
        table = "rel_address"


class Sale(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    book: Annotated[Book, ForeignKey(related_name="sales")]
    region: int
    amount: Annotated[Decimal, Field(max_digits=12, decimal_places=2)]

    class Meta:
        table = "rel_sale"


MODELS: list[Any] = [Country, Author, Book, Tag, Award, Address, Sale]
#: Cells the harness reports as n/a without calling them.
UNSUPPORTED: dict[str, str] = {} if ManyToMany is not None else {"R4": NO_M2M}

