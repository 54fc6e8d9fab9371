"""The SQL of ``aggregate()``: one statement per shape, values bound, FILTER or CASE WHEN."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from pydantic import Field

import ormada
from ormada import Avg, Count, ForeignKey, Model, PrimaryKey, Q, StdDev, Sum
from ormada.query.shape import QueryShape

from .helpers import squash
from .models import POSTGRES, SQLITE


def define(database_name: str) -> SimpleNamespace:
    class AggWriter(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        name: str

        class Meta:
            database = database_name

    class AggNovel(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        year: int
        price: Decimal
        fee: Annotated[Decimal, Field(max_digits=9, decimal_places=3)] = Decimal(0)
        writer: Annotated[AggWriter, ForeignKey(related_name="novels")]

        class Meta:
            database = database_name

    return SimpleNamespace(Writer=AggWriter, Novel=AggNovel, database=database_name)


MODELS = {"sqlite": define(SQLITE), "postgresql": define(POSTGRES)}


def sent(qs: Any, **named: Any) -> ormada.Statement:
    """The statement ``qs.aggregate(**named)`` sends (nothing is sent)."""
    statement: ormada.Statement = next(qs._aggregate(qs._db, (), named))
    return statement


def test_postgresql_aggregates_with_filter_distinct_and_a_reverse_relation() -> None:
    m = MODELS["postgresql"]
    statement = sent(m.Writer.filter(name__startswith="A"), n=Count("novels", filter=Q(novels__year__gte=2000)),
                     d=Count("novels__year", distinct=True), s=StdDev("novels__year", sample=True))
    assert squash(statement.text) == squash(
        "SELECT count(j0.id) FILTER (WHERE j0.year >= $1::INTEGER) AS a0, count(DISTINCT j0.year) AS a1, "
        "stddev_samp(j0.year) AS a2 FROM agg_writer "
        "LEFT OUTER JOIN agg_novel AS j0 ON agg_writer.id = j0.writer_id "
        "WHERE agg_writer.name LIKE $2::VARCHAR ESCAPE '\\'")
    assert list(statement.params) == [2000, "A%"]


def test_sqlite_sums_decimals_as_text_and_computes_variance_from_sums() -> None:
    m = MODELS["sqlite"]
    text = squash(sent(m.Novel.query(), s=Sum("price"), a=Avg("year"), v=StdDev("year")).text)
    assert text.startswith("SELECT group_concat(agg_novel.price) AS a0, avg(agg_novel.year) AS a1, ")
    assert "sum(CAST(agg_novel.year AS FLOAT) * CAST(agg_novel.year AS FLOAT))" in text


def test_sqlite_sums_declared_decimals_as_whole_units_of_their_last_place() -> None:
    m = MODELS["sqlite"]
    text = squash(sent(m.Novel.query(), s=Sum("fee"), a=Avg("fee", filter=Q(year=1))).text)
    units = "CAST(round(agg_novel.fee * 1000) AS INTEGER)"
    assert text == squash(f"SELECT sum({units}) AS a0, (sum({units}) FILTER (WHERE agg_novel.year = ?) || ' ') || "
                          "count(agg_novel.fee) FILTER (WHERE agg_novel.year = ?) AS a1 FROM agg_novel")


def test_without_filter_support_a_filtered_aggregate_is_case_when(monkeypatch: pytest.MonkeyPatch) -> None:
    m = MODELS["sqlite"]
    backend = ormada.get_database(m.database).backend
    extra = {**backend.supports.extra, "aggregate_filter": False}
    monkeypatch.setattr(backend, "supports", replace(backend.supports, extra=extra))
    backend.compiler._cache.clear()
    statement = sent(m.Novel.query(), n=Count("*", filter=Q(year=1)))
    assert squash(statement.text) == "SELECT count(CASE WHEN (agg_novel.year = ?) THEN 1 END) AS a0 FROM agg_novel"
    assert list(statement.params) == [1]
    backend.compiler._cache.clear()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_compile_per_shape_whatever_the_values(backend: str) -> None:
    m = MODELS[backend]
    cache = ormada.get_database(m.database).backend.compiler._cache
    first = sent(m.Novel.filter(year=1), n=Count("id", filter=Q(year__gt=5)))
    size = len(cache)
    again = sent(m.Novel.filter(year=2), n=Count("id", filter=Q(year__gt=9)))
    assert again.text == first.text and len(cache) == size
    assert list(again.params) != list(first.params)
    for other in ({"n": Count("id", distinct=True)}, {"n": Sum("year")}, {"n": Count("year", filter=Q(year__gt=5))},
                  {"m": Count("id", filter=Q(year__gt=5)), "n": Count("id")}):
        assert sent(m.Novel.filter(year=1), **other).text != first.text
    assert all(isinstance(key, QueryShape) for key in cache)
    assert any(key.kind == "aggregate" for key in cache)
