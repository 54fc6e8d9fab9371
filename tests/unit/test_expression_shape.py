"""Expressions and the compile cache: their structure is part of the query shape, their
values never are, so queries differing only in values share one compiled statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Any

import pytest

import ormada
from ormada import (
    Case,
    Cast,
    Coalesce,
    Concat,
    Count,
    Exists,
    F,
    ForeignKey,
    Func,
    Greatest,
    Least,
    Length,
    Lower,
    Model,
    OuterRef,
    PrimaryKey,
    Q,
    Subquery,
    Sum,
    Upper,
    Value,
    When,
)

from .models import POSTGRES, SQLITE


def define(database_name: str) -> SimpleNamespace:
    class ExprMaker(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        name: str

        class Meta:
            database = database_name

    class ExprPart(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        title: str
        price: Decimal
        qty: int
        made: dt.date | None = None
        maker: Annotated[ExprMaker, ForeignKey(related_name="parts")]

        class Meta:
            database = database_name

    return SimpleNamespace(Maker=ExprMaker, Part=ExprPart, database=database_name)


MODELS = {"sqlite": define(SQLITE), "postgresql": define(POSTGRES)}

# Each: one query built with a value, for two different values of the same type.
QUERIES: dict[str, Callable[[SimpleNamespace, Any], Any]] = {
    "arithmetic": lambda m, v: m.Part.annotate(t=F("price") * F("qty") + v),
    "value": lambda m, v: m.Part.annotate(t=Value(v)),
    "case": lambda m, v: m.Part.annotate(t=Case(When(qty__gt=v, then=Value(v)), default=Value(v + 1))),
    "coalesce": lambda m, v: m.Part.annotate(t=Coalesce("qty", Value(v))),
    "greatest": lambda m, v: m.Part.annotate(t=Greatest("qty", Value(v))),
    "least": lambda m, v: m.Part.annotate(t=Least("qty", Value(v))),
    "cast": lambda m, v: m.Part.annotate(t=Cast(F("qty") + v, str)),
    "concat": lambda m, v: m.Part.annotate(t=Concat("title", Value(str(v)))),
    "lower": lambda m, v: m.Part.annotate(t=Lower("title")).filter(t=str(v)),
    "upper": lambda m, v: m.Part.filter(title=Upper(Value(str(v)))),
    "length": lambda m, v: m.Part.annotate(t=Length("title")).filter(t__gt=v),
    "func": lambda m, v: m.Part.annotate(t=Func("abs", F("qty") - v)),
    "subquery": lambda m, v: m.Maker.annotate(
        t=Subquery(m.Part.filter(maker=OuterRef("pk"), qty__gt=v).order_by("-qty").values("title")[:1])),
    "exists": lambda m, v: m.Maker.filter(Exists(m.Part.filter(maker=OuterRef("pk"), qty=v))),
    "aggregate of an expression": lambda m, v: m.Maker.annotate(n=Sum(F("parts__qty") * v)).filter(n__gt=v),
    "mixed": lambda m, v: m.Maker.annotate(n=Count("parts"), u=Upper("name")).filter(
        Q(n=v) | Q(n__gt=v + 10), Q(u=str(v))),
}


def _compiled(m: SimpleNamespace, qs: Any) -> tuple[str, list[Any]]:
    statement = qs.statement()
    return statement.text, list(statement.params)


@pytest.mark.parametrize("backend", sorted(MODELS))
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_queries_differing_only_in_values_share_one_compiled_statement(backend: str, name: str) -> None:
    m = MODELS[backend]
    cache = ormada.get_database(m.database).backend.compiler._cache
    build = QUERIES[name]
    text, params = _compiled(m, build(m, 3))
    size = len(cache)
    other_text, other_params = _compiled(m, build(m, 7))
    assert other_text == text and len(cache) == size, f"{name}: a new value compiled a new statement"
    assert params != other_params  # the values are bound, not part of the text
    assert "7" not in text.replace("ormada_a", "")


@pytest.mark.parametrize("backend", sorted(MODELS))
def test_a_different_structure_is_a_different_shape(backend: str) -> None:
    m = MODELS[backend]
    queries = (m.Part.annotate(t=F("price") * F("qty")), m.Part.annotate(t=F("price") + F("qty")),
               m.Part.annotate(t=Upper("title")), m.Part.annotate(t=Lower("title")),
               m.Part.annotate(t=Cast("qty", float)), m.Part.annotate(t=Cast("qty", str)),
               m.Part.annotate(t=Value("x")), m.Part.annotate(t=Value(dt.date(2000, 1, 1))))
    compiler = ormada.get_database(m.database).backend.compiler
    shapes = [compiler._read_shape("select", m.Part.__ormada__, qs.state, []) for qs in queries]
    assert len(set(shapes)) == len(shapes)
    # A literal's type is structure (PostgreSQL casts the parameter to it), its value is not.
    assert len({_compiled(m, qs)[0] for qs in queries}) == len(queries) - (backend == "sqlite")


def test_function_names_are_identifiers_and_arguments_are_bound() -> None:
    m = MODELS["postgresql"]
    text, params = _compiled(m, m.Part.annotate(t=Func("round", "price", 2, output=Decimal)))
    assert "round(expr_part.price, $1::BIGINT)" in text and params == [2]
    for bad in ("abs(1)", "drop table", "", "1abs", "a.b"):
        with pytest.raises(TypeError, match="function name"):
            Func(bad, "qty")
