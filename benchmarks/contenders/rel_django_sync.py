"""Django ORM (sync) on the relations workload, configured in-process like ``django_sync``.

R1 ``select_related("author")``, R2 ``select_related("author__country")``, R3
``prefetch_related("books")``, R4 ``filter(id__lte=n).prefetch_related("tags")`` (Django's own
through table, named ``rel_book_tag``), R5 ``filter(author__name__startswith=p)``, R7
``Sale.objects.values("region").annotate(total=Sum("amount"), n=Count("id"))``, R8
``Author.objects.annotate(n=Count("books"))``. A prefetched
relation is read with ``.all()``, which answers from the prefetch cache.
"""

from __future__ import annotations

from typing import Any

from benchmarks.contenders._relcheck import r1, r2, r5, r7, r8, r9
from benchmarks.contenders.django_sync import _configure
from benchmarks.databases import Target
from benchmarks.rel_workload import Check


def _models() -> dict[str, Any]:
    from django.db import models

    def model(cls_name: str, table: str, /, **fields: Any) -> Any:
        meta = type("Meta", (), {"app_label": "django_app", "db_table": table})
        namespace = {"__module__": "benchmarks.contenders.django_app.models", "Meta": meta, **fields}
        return type(cls_name, (models.Model,), namespace)

    def name() -> Any:
        return models.CharField(max_length=255)

    def fk(to: Any, related_name: str) -> Any:
        return models.ForeignKey(to, on_delete=models.CASCADE, related_name=related_name)

    country = model("Country", "rel_country", name=name())
    author = model("Author", "rel_author", name=name(), country=fk(country, "authors"))
    tag = model("Tag", "rel_tag", name=name())
    book = model("Book", "rel_book", title=name(), author=fk(author, "books"),
                 tags=models.ManyToManyField(tag, db_table="rel_book_tag", related_name="books"))
    award = model("Award", "rel_award", name=name(), author=fk(author, "awards"))
    address = model("Address", "rel_address", city=name(), author=fk(author, "addresses"))
    sale = model("Sale", "rel_sale", book=fk(book, "sales"), region=models.IntegerField(),
                 amount=models.DecimalField(max_digits=12, decimal_places=2))
    return {"country": country, "author": author, "tag": tag, "book": book, "award": award, "address": address,
            "sale": sale}


def _attached(owners: list[Any], name: str) -> Check:
    return len(owners), sum(len(getattr(o, name).all()) for o in owners)


class Contender:
    """Django ORM, autocommit."""

    def __init__(self, target: Target) -> None:
        self.target = target
        _configure(target)
        self.m = _models()

    def setup(self) -> None:
        from django.db import connection

        with connection.schema_editor() as editor:
            for model in self.m.values():
                editor.create_model(model)

    def close(self) -> None:
        from django.db import connection

        connection.close()

    def select_one(self) -> Check:
        return r1(list(self.m["book"].objects.select_related("author")))

    def select_two(self) -> Check:
        return r2(list(self.m["book"].objects.select_related("author__country")))

    def prefetch_reverse(self) -> Check:
        return _attached(list(self.m["author"].objects.prefetch_related("books")), "books")

    def prefetch_m2m(self, max_book_id: int) -> Check:
        books = self.m["book"].objects.filter(id__lte=max_book_id).prefetch_related("tags")
        return _attached(list(books), "tags")

    def filter_across(self, prefix: str) -> Check:
        return r5(list(self.m["book"].objects.filter(author__name__startswith=prefix)))

    def aggregate_groups(self) -> Check:
        from django.db.models import Count, Sum

        groups = self.m["sale"].objects.values("region").annotate(total=Sum("amount"), n=Count("id"))
        return r7([(g["region"], g["total"], g["n"]) for g in groups])

    def annotate_count(self) -> Check:
        from django.db.models import Count

        return r8(list(self.m["author"].objects.annotate(n=Count("books"))))

    def window_rank(self) -> Check:
        from django.db.models import F, Window
        from django.db.models.functions import RowNumber

        ranked = self.m["sale"].objects.annotate(r=Window(RowNumber(), partition_by=[F("region")],
                                                          order_by=[F("amount").desc(), F("id").asc()]))
        return r9(list(ranked.filter(r=1)))
