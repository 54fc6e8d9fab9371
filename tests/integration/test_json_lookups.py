"""Lookups inside JSON documents (``data__key``, ``data__a__b__gt``, ``has_key``,
containment) on SQLite, PostgreSQL and MariaDB, sync and async: numbers compare as numbers,
strings as strings, booleans and null as themselves, and keys are bound, never spliced."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import Json, Model, PrimaryKey, Q
from tests.conftest import Api


class Doc(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: str
    data: Annotated[Any, Json()] = None
    attrs: dict[str, Any] | None = None

    class Meta:
        table = "tr_docs"


DOCS: dict[str, Any] = {
    "int": {"n": 3, "name": "Ann", "tags": ["a", "b"], "nested": {"x": 1, "deep": {"y": [1, 2, {"z": "w"}]}}},
    "float": {"n": 3.5, "name": "bob", "tags": ["b"], "nested": {"x": 2}},
    "string_n": {"n": "3", "name": "Carla", "tags": []},
    "true": {"n": True, "flag": True, "name": None},
    "false": {"n": False, "flag": False},
    "null": {"n": None, "odd key ' ?": 1},
    "list": [1, "x", {"k": "v"}, [2, 3]],
    "scalar": "x",
}


@pytest.fixture
async def docs(db: ormada.Database, api: Api) -> None:
    db.create_all([Doc])
    await api(Doc, "bulk_create", [Doc(label=label, data=data, attrs=data if isinstance(data, dict) else None)
                                   for label, data in DOCS.items()])


async def labels(api: Api, queryset: ormada.QuerySet[Doc]) -> set[str]:
    return {d.label for d in await api.list(queryset)}


@pytest.mark.parametrize("field", ["data", "attrs"])
async def test_values_compare_only_with_values_of_their_json_type(docs: None, api: Api, field: str) -> None:
    async def find(**lookups: Any) -> set[str]:
        return await labels(api, Doc.filter(**{f"{field}__{k}": v for k, v in lookups.items()}))

    assert await find(n=3) == {"int"}  # not "3", not true
    assert await find(n="3") == {"string_n"}
    assert await find(n=1) == set()  # true is not 1
    assert await find(n=True) == {"true"}
    assert await find(n=False) == {"false"}
    assert await find(n=None) == {"null"}  # JSON null: the key is there and holds null
    assert await find(n__isnull=True) == {"list", "scalar"}  # no such key (or no document)
    assert await find(n__isnull=False) == {"int", "float", "string_n", "true", "false", "null"}
    assert await find(n__gt=3) == {"float"}
    assert await find(n__gt=Decimal("3.25")) == {"float"}
    assert await find(n__gte=3) == {"int", "float"}
    assert await find(n__lt=3.5) == {"int"}  # strings and booleans are not numbers
    assert await find(n__lte="3") == {"string_n"}
    assert await find(n__range=(3, 4)) == {"int", "float"}
    assert await find(n__in=[3, "3", None]) == {"int", "string_n", "null"}
    assert await find(n__in=[True]) == {"true"}
    assert await find(n__in=[]) == set()
    assert await find(name__startswith="C") == {"string_n"}
    assert await find(name__icontains="B") == {"float"}
    assert await find(name__iexact="ann") == {"int"}
    assert await find(nested__x=1) == {"int"}
    assert await find(nested__deep__y__2__z="w") == {"int"}
    assert await find(nested__deep__y__0__gte=1) == {"int"}
    assert await find(tags__1="b") == {"int"}
    assert await find(**{"odd key ' ?": 1}) == {"null"}


async def test_has_key_has_keys_and_has_any_keys(docs: None, api: Api) -> None:
    assert await labels(api, Doc.filter(data__has_key="flag")) == {"true", "false"}
    assert await labels(api, Doc.filter(data__has_keys=["n", "tags"])) == {"int", "float", "string_n"}
    assert await labels(api, Doc.filter(data__has_any_keys=["flag", "tags"])) == {"int", "float", "string_n",
                                                                                  "true", "false"}
    assert await labels(api, Doc.filter(data__nested__has_key="deep")) == {"int"}
    assert await labels(api, Doc.filter(attrs__has_key="name")) == {"int", "float", "string_n", "true"}
    assert await labels(api, Doc.exclude(data__has_key="n")) == {"list", "scalar"}


async def test_containment(docs: None, api: Api) -> None:
    async def holding(value: Any, field: str = "data") -> set[str]:
        return await labels(api, Doc.filter(**{f"{field}__contains": value}))

    assert await holding({"n": 3}) == {"int"}
    assert await holding({"n": 3, "name": "Ann"}) == {"int"}
    assert await holding({"n": 3, "name": "bob"}) == set()
    assert await holding({"tags": ["b"]}) == {"int", "float"}
    assert await holding({"tags": []}) == {"int", "float", "string_n"}
    assert await holding({"nested": {"deep": {"y": [{"z": "w"}, 2]}}}) == {"int"}
    assert await holding({"flag": False}) == {"false"}
    assert await holding({"n": None}) == {"null"}
    assert await holding({}) == {"int", "float", "string_n", "true", "false", "null"}
    assert await holding([[3]]) == {"list"}
    assert await holding([{"k": "v"}, 1]) == {"list"}
    assert await holding([3]) == set()
    assert await labels(api, Doc.filter(data__nested__deep__contains={"y": [2]})) == {"int"}
    assert await labels(api, Doc.filter(data__tags__contains="a")) == {"int"}  # an item of the array there
    assert await labels(api, Doc.filter(data__name__contains="bob")) == {"float"}  # a scalar: equal
    assert await labels(api, Doc.filter(Q(data__contains={"n": 3}) | Q(data__n=True))) == {"int", "true"}


async def test_keys_are_bound_never_spliced(docs: None, api: Api) -> None:
    hostile = "x'); DROP TABLE tr_docs; --"
    assert await labels(api, Doc.filter(**{f"data__{hostile}": 1})) == set()
    assert await labels(api, Doc.filter(data__has_key=hostile)) == set()
    statement = Doc.filter(**{f"data__{hostile}": 1}).statement()
    assert hostile not in statement.text
    assert await api(Doc.query(), "count") == len(DOCS)


def test_bad_values_name_model_field_and_value() -> None:
    with pytest.raises(ormada.QueryError, match=r"Doc\.data__a__gt compares with a number or a string, not True"):
        Doc.filter(data__a__gt=True)
    with pytest.raises(ormada.QueryError, match=r"Doc\.data__a: compare a whole object .* data__a__contains="):
        Doc.filter(data__a={"b": 1})
    with pytest.raises(ormada.QueryError, match=r"Doc\.data__has_keys takes a list of keys"):
        Doc.filter(data__has_keys="a")
    with pytest.raises(ormada.QueryError, match=r"Doc\.data__a__icontains takes a string"):
        Doc.filter(data__a__icontains=3)
    with pytest.raises(ormada.QueryError, match=r"Doc\.data__a compares with JSON values .* not"):
        Doc.filter(data__a=object())


# JSONB holds no NUL character (PostgreSQL refuses \u0000 with a DataError).
json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | \
    st.text(st.characters(blacklist_characters="\x00"), max_size=5)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text("abc", max_size=2), inner, max_size=3), max_leaves=6)


def contains(doc: Any, value: Any, top: bool = True) -> bool:
    """JSONB's @>, in Python."""
    if isinstance(value, dict):
        return isinstance(doc, dict) and all(k in doc and contains(doc[k], v, False) for k, v in value.items())
    if isinstance(value, list):
        return isinstance(doc, list) and all(any(contains(d, v, False) for d in doc) for v in value)
    if isinstance(doc, list) and top:
        return any(type(d) is type(value) and d == value for d in doc)
    return type(doc) is type(value) and doc == value


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(st.dictionaries(st.text("abc", max_size=2), json_values, max_size=3), min_size=1, max_size=4),
       probe=st.dictionaries(st.text("abc", max_size=2), json_values, max_size=2))
async def test_containment_agrees_with_jsonb(db: ormada.Database, api: Api, stored: list[dict[str, Any]],
                                            probe: dict[str, Any]) -> None:
    db.create_all([Doc])
    await api(Doc.query(), "delete")
    await api(Doc, "bulk_create", [Doc(label=str(i), data=data) for i, data in enumerate(stored)])
    assert await labels(api, Doc.filter(data__contains=probe)) == \
        {str(i) for i, data in enumerate(stored) if contains(data, probe)}
    for key in probe:
        value = probe[key]
        if key and not isinstance(value, (dict, list)):  # "data__" would be the field itself
            assert await labels(api, Doc.filter(**{f"data__{key}": value})) == \
                {str(i) for i, data in enumerate(stored) if key in data and type(data[key]) is type(value)
                 and data[key] == value}
