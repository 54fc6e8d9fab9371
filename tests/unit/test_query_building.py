"""Building queries: bad names and values fail at filter() time; QuerySets never change."""

from __future__ import annotations

import pytest

from ormada import F, Q, QueryError
from ormada.query.expressions import Junction, Lookup
from ormada.query.state import OrderBy, QueryState

from .models import sqlite_models

Book, Author, Everything = sqlite_models.Book, sqlite_models.Author, sqlite_models.Everything


def test_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(QueryError, match=r"Book has no field 'titel'; did you mean 'title'\?"):
        Book.filter(titel="x")


def test_unknown_field_lists_the_fields() -> None:
    with pytest.raises(QueryError, match=r"fields: id, title, year, author_id, tags"):
        Book.filter(zzz=1)


@pytest.mark.parametrize("call", [
    lambda: Book.order_by("-yeer"),
    lambda: Book.only("yeer"),
    lambda: Book.defer("yeer"),
    lambda: Book.values("yeer"),
    lambda: Book.values_list("yeer"),
    lambda: Book.filter(year__gt=F("yeer")),
])
def test_every_builder_checks_field_names(call: object) -> None:
    with pytest.raises(QueryError, match=r"no field 'yeer'; did you mean 'year'\?"):
        call()  # type: ignore[operator]


def test_unknown_lookup_suggests_the_closest() -> None:
    with pytest.raises(QueryError, match=r"Book\.title: unknown lookup 'startwith'; did you mean 'startswith'\?"):
        Book.filter(title__startwith="x")


def test_a_path_through_a_plain_field_is_refused() -> None:
    with pytest.raises(QueryError, match=r"lookup 'name__exact' is not supported; author_id is a field, not a "
                                         r"relation"):
        Book.filter(author_id__name__exact="x")


@pytest.mark.parametrize("op", ["contains", "icontains", "startswith", "iendswith", "iexact"])
def test_text_lookup_on_a_non_text_field(op: str) -> None:
    with pytest.raises(QueryError, match=rf"Book\.year: lookup '{op}' needs a text field; year holds int32"):
        Book.filter(**{f"year__{op}": "1"})


def test_text_lookup_needs_a_string() -> None:
    with pytest.raises(QueryError, match=r"Book\.title__contains takes a string, not 5"):
        Book.filter(title__contains=5)


def test_bad_value_names_model_field_and_value() -> None:
    with pytest.raises(QueryError, match=r"Book\.year: invalid value 'abc'"):
        Book.filter(year="abc")


def test_values_are_coerced_to_the_field_type() -> None:
    assert Book.filter(year="1999").state.where == Lookup("year", "exact", 1999)


def test_bad_item_in_an_in_list() -> None:
    with pytest.raises(QueryError, match=r"Book\.year: invalid value 'x'"):
        Book.filter(year__in=[1, "x"])


@pytest.mark.parametrize("value", [5, "abc", b"ab"])
def test_in_needs_a_list(value: object) -> None:
    with pytest.raises(QueryError, match=r"Book\.year__in takes a list of values"):
        Book.filter(year__in=value)


@pytest.mark.parametrize("value", [(1,), (1, 2, 3), 5])
def test_range_needs_two_values(value: object) -> None:
    with pytest.raises(QueryError, match=r"Book\.year__range takes \(low, high\)"):
        Book.filter(year__range=value)


@pytest.mark.parametrize("value", [1, "yes", None])
def test_isnull_needs_a_bool(value: object) -> None:
    with pytest.raises(QueryError, match=r"Book\.author_id__isnull takes True or False"):
        Book.filter(author_id__isnull=value)


def test_list_contains_validates_the_item() -> None:
    with pytest.raises(QueryError, match=r"Book\.tags: invalid value 5"):
        Book.filter(tags__contains=5)


def test_text_lookup_cannot_take_an_f_expression() -> None:
    with pytest.raises(QueryError, match="takes a string"):
        Book.filter(title__contains=F("title"))


def test_filter_takes_q_objects_only() -> None:
    with pytest.raises(QueryError, match=r"Book\.filter\(\) takes Q objects and keyword lookups, not 'x'"):
        Book.filter("x")  # type: ignore[arg-type]


def test_q_combines_only_with_q() -> None:
    with pytest.raises(TypeError, match="can only combine Q with Q"):
        Q(year=1) | 3  # type: ignore[operator]


@pytest.mark.parametrize("index", [slice(-1, None), slice(None, -2), slice(0, 10, 2)])
def test_bad_slices(index: slice) -> None:
    with pytest.raises(QueryError, match="non-negative start and stop and no step"):
        Book.query()[index]


def test_negative_index() -> None:
    with pytest.raises(QueryError, match="negative indexing"):
        Book.query()[-1]


def test_index_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="ints or slices"):
        Book.query()["a"]  # type: ignore[index]


@pytest.mark.parametrize("call", [lambda: Book.query().limit(-1), lambda: Book.query().offset(-1),
                                  lambda: Book.query().limit("3")])
def test_negative_limit_and_offset(call: object) -> None:
    with pytest.raises(QueryError, match="non-negative int"):
        call()  # type: ignore[operator]


def test_values_list_flat_takes_one_field() -> None:
    with pytest.raises(QueryError, match=r"values_list\(flat=True\) takes exactly one field, got 2"):
        Book.values_list("title", "year", flat=True)


def test_defer_cannot_drop_the_primary_key() -> None:
    with pytest.raises(QueryError, match="the primary key 'id' is always loaded"):
        Book.defer("id")


# -- update() assignments are checked before anything is compiled -----------------------

def test_update_values_are_validated() -> None:
    qs = Book.filter(year=1)
    assert qs._assignments({"year": "7"}) == {"year": 7}
    with pytest.raises(QueryError, match=r"Book\.year is not optional"):
        qs._assignments({"year": None})
    with pytest.raises(QueryError, match=r"did you mean 'year'\?"):
        qs._assignments({"yeer": 1})
    with pytest.raises(QueryError, match="needs at least one field=value"):
        qs._assignments({})
    with pytest.raises(QueryError, match=r"Book\.year: invalid value 'abc'"):
        qs._assignments({"year": "abc"})
    with pytest.raises(QueryError, match="no field 'nope'"):
        qs._assignments({"year": F("nope") + 1})


# -- the state a QuerySet holds ------------------------------------------------------------

def test_filters_build_a_checked_tree() -> None:
    qs = Book.filter(Q(year__lt=1950) | ~Q(title="x"), author_id=None)
    assert qs.state.where == Junction("and", (
        Junction("or", (Lookup("year", "lt", 1950), Junction("and", (Lookup("title", "exact", "x"),), negated=True))),
        Lookup("author_id", "isnull", True),
    ))


def test_chained_calls_build_state() -> None:
    qs = Book.filter(year=1).order_by("-year", "title").only("title").distinct()[5:10]
    assert qs.state == QueryState(
        where=Lookup("year", "exact", 1),
        order_by=(OrderBy("year", True), OrderBy("title")),
        columns=("id", "title"),
        distinct=True,
        offset=5,
        limit=5,
    )


@pytest.mark.parametrize(
    ("index", "offset", "limit"),
    [
        ((slice(10, 20), slice(2, 5)), 12, 3),
        ((slice(10, 20), slice(5, None)), 15, 5),
        ((slice(10, 20), slice(0, 50)), 10, 10),
        ((slice(10, 20), slice(15, 30)), 25, 0),
        ((slice(3, None), slice(None, 2)), 3, 2),
        ((slice(0, 5),), None, 5),
    ],
)
def test_slicing_composes(index: tuple[slice, ...], offset: int | None, limit: int) -> None:
    qs = Book.query()
    for part in index:
        qs = qs[part]
    assert (qs.state.offset, qs.state.limit) == (offset, limit)


def test_querysets_are_immutable() -> None:
    base = Book.filter(year=1)
    before = base.state
    base.filter(title="x")
    base.exclude(title="y")
    base.order_by("title")
    base.only("title")
    base.values("title")
    base.distinct()
    base[2:5]
    base.limit(3)
    base.options(ttl=5)
    assert base.state is before
    assert base.state == QueryState(where=Lookup("year", "exact", 1))


def test_options_are_copied_not_shared() -> None:
    base = Book.query().options(fetch_size=10)
    derived = base.options(ttl=5)
    assert base.state.options == {"fetch_size": 10}
    assert derived.state.options == {"fetch_size": 10, "ttl": 5}


def test_repr_describes_the_filter() -> None:
    assert repr(Book.filter(year__gte=1960, title="x")) == "<QuerySet Book (year__gte=1960 AND title='x')>"
    assert repr(Book.query()) == "<QuerySet Book (no filter)>"
