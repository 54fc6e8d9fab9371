"""Models and write steps shared by the processes of the cross-process cache test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import ormada
from ormada import Cache, ForeignKey, ManyToMany, Model, PrimaryKey, Unique


class Bin(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: Annotated[str, Unique()]

    class Meta:
        cache = Cache(ttl=300)


class Item(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: Annotated[str, Unique()]
    grams: int = 0
    bin_id: Annotated[int | None, ForeignKey("Bin", on_delete="cascade")] = None
    tags: Annotated[list[Sticker], ManyToMany(related_name="items")] = []

    class Meta:
        cache = Cache(ttl=300)


class Sticker(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str

    class Meta:
        cache = Cache(ttl=300)


JUNCTIONS = [r.through for r in Item.__ormada__.relations.values() if r.through is not None]
MODELS: list[Any] = [Bin, Item, Sticker, *JUNCTIONS]


def _bin() -> Bin:
    return Bin.query().cache(False).get(name="main")


def save() -> None:
    item = Item.get(label="a")
    item.grams += 1
    item.save()


def delete() -> None:
    Item.get(label="b").delete()


def create() -> None:
    Item.create(label="c", bin_id=_bin().id)


def bulk_create() -> None:
    Item.bulk_create([Item(label=f"bulk-{i}", bin_id=_bin().id) for i in range(3)])


def bulk_update() -> None:
    items = Item.filter(label__startswith="bulk-").cache(False).all()
    for item in items:
        item.grams = 7
    Item.bulk_update(items, ["grams"])


def upsert() -> None:
    if not ormada.get_database().backend.supports.upsert:
        Item.create(label="upserted", bin_id=_bin().id)
        return
    Item.upsert([Item(label="bulk-0", grams=70, bin_id=_bin().id)], conflict=["label"], update=["grams"])


def queryset_update() -> None:
    Item.filter(label__startswith="bulk-").update(grams=8)


def queryset_delete() -> None:
    Item.filter(label="bulk-2").delete()


def m2m_add() -> None:
    Item.get(label="a").tags.add(Sticker.create(name="red"))


def m2m_clear() -> None:
    Item.prefetch_related("tags").cache(False).get(label="a").tags.clear()


def get_or_create() -> None:
    Item.get_or_create(label="d", defaults={"bin_id": _bin().id})


def update_or_create() -> None:
    Item.update_or_create(label="d", defaults={"grams": 99})


def raw_execute() -> None:
    ormada.get_database().execute("UPDATE item SET grams = :g WHERE label = :l", {"g": 5, "l": "a"})


def transaction() -> None:
    with ormada.get_database().transaction():
        Item.filter(label="a").update(grams=11)
        Item.create(label="e", bin_id=_bin().id)


def cascade() -> None:
    _bin().delete()  # its items go too (ON DELETE CASCADE)


STEPS: dict[str, Callable[[], None]] = {f.__name__: f for f in (
    save, delete, create, bulk_create, bulk_update, upsert, queryset_update, queryset_delete, m2m_add, m2m_clear,
    get_or_create, update_or_create, raw_execute, transaction, cascade)}
