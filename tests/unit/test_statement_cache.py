"""The statement cache: one compile per query shape, whatever the values."""

from __future__ import annotations

from typing import Any

import pytest

from ormada import F, Q

from .models import postgres_models, sqlite_models


@pytest.fixture(params=["sqlite", "postgresql"])
def lib(request: pytest.FixtureRequest) -> Any:
    models = sqlite_models if request.param == "sqlite" else postgres_models
    # Start from an empty cache, so what other tests compiled does not count.
    models.database.backend.compiler._cache.clear()
    return models


def cache_size(lib: Any) -> int:
    return len(lib.database.backend.compiler._cache)


def test_same_shape_with_other_values_compiles_once(lib: Any) -> None:
    Book = lib.Book
    first = Book.filter(year__gte=1960, title__icontains="dark").order_by("-year")[:10].statement()
    size = cache_size(lib)
    second = Book.filter(year__gte=1999, title__icontains="light").order_by("-year")[:3].statement()
    assert cache_size(lib) == size
    assert second.text == first.text
    assert second.params != first.params


def test_a_different_shape_compiles_again(lib: Any) -> None:
    Book = lib.Book
    Book.filter(year=1).statement()
    size = cache_size(lib)
    Book.filter(year=1).statement()
    assert cache_size(lib) == size
    Book.filter(year__gt=1).statement()
    assert cache_size(lib) == size + 1
    size = cache_size(lib)
    Book.filter(Q(year=1) | Q(year=2)).statement()
    assert cache_size(lib) == size + 1


def test_in_lists_of_similar_length_share_a_statement(lib: Any) -> None:
    Book = lib.Book
    Book.filter(year__in=[1, 2, 3, 4, 5]).statement()
    size = cache_size(lib)
    for values in ([1, 2, 3, 4, 5, 6], [9, 8, 7, 6, 5, 4, 3], list(range(8))):
        Book.filter(year__in=values).statement()
    assert cache_size(lib) == size
    Book.filter(year__in=list(range(9))).statement()
    assert cache_size(lib) == size + 1


def test_null_and_value_lookups_are_different_shapes(lib: Any) -> None:
    Book = lib.Book
    with_value = Book.filter(author_id=1).statement()
    with_null = Book.filter(author_id=None).statement()
    assert with_value.text != with_null.text
    assert with_null.params == []


def test_writes_are_cached_by_shape(lib: Any) -> None:
    Book = lib.Book
    backend = lib.database.backend
    info = Book.__ormada__
    backend.update(info, Book.filter(id=1).state, {"year": F("year") + 1})
    backend.insert(info, ("title", "year"), [("a", 1)], ("id",))
    size = cache_size(lib)
    again = backend.update(info, Book.filter(id=2).state, {"year": F("year") + 5})
    backend.insert(info, ("title", "year"), [("b", 2)], ("id",))
    assert cache_size(lib) == size
    assert list(again.params) == [5, 2]
    backend.insert(info, ("title", "year"), [("b", 2), ("c", 3)], ("id",))
    assert cache_size(lib) == size + 1


def test_raw_sql_is_compiled_once_per_text(lib: Any) -> None:
    backend = lib.database.backend
    first = backend.raw("SELECT :a + :b", {"a": 1, "b": 2})
    size = cache_size(lib)
    second = backend.raw("SELECT :a + :b", {"a": 3, "b": 4})
    assert cache_size(lib) == size
    assert second.text == first.text
    assert list(second.params) == [3, 4]
