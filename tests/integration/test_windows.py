"""Window functions in ``annotate()``: ranks, neighbours, first values and aggregates over
partitions and frames; filters on their results, applied around the query; on every SQL
backend and mode."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import (
    Avg,
    Count,
    DenseRank,
    FirstValue,
    Lag,
    Lead,
    Max,
    Q,
    QueryError,
    Rank,
    RowNumber,
    RowRange,
    Sum,
    Upper,
    Value,
    Window,
)
from tests.conftest import Api
from tests.integration.test_expressions import Maker, Part, workshop


@pytest.fixture
async def parts(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    async with workshop(backend, request, tmp_path) as database:
        yield database


async def test_ranks_neighbours_and_running_sums(parts: ormada.Database, api: Api) -> None:
    qs = Part.annotate(
        rank=Window(Rank(), partition_by="maker", order_by="-price"),
        row=Window(RowNumber(), order_by="-id"),
        dense=Window(DenseRank(), order_by=["-qty"]),
        before=Window(Lag("title", default=Value("-")), order_by="id"),
        after=Window(Lead("qty", 2), order_by="id"),
        running=Window(Sum("qty"), order_by="id", frame=RowRange(None, 0)),
        pair=Window(Sum("qty"), order_by="id", frame=RowRange(-1, 0)),
        cheapest=Window(FirstValue("title"), partition_by="maker_id", order_by="price"),
        mean=Window(Avg("price"), partition_by="maker_id"),
        rows=Window(Count("*"), partition_by="maker_id"),
    ).order_by("id")
    rows = await api(qs.values_list("title", "rank", "row", "dense", "before", "after", "running", "pair",
                                    "cheapest", "mean", "rows"), "all")
    assert rows == [
        ("gear", 1, 4, 2, "-", 2, 3, 3, "Nut", Decimal("4.6"), 2),
        ("Nut", 2, 3, 1, "gear", 1, 33, 33, "Nut", Decimal("4.6"), 2),
        ("spring", 1, 2, 3, "Nut", None, 35, 32, "spring", Decimal("10.3"), 1),
        ("loose", 1, 1, 4, "spring", None, 36, 3, "loose", Decimal("1"), 1),
    ]
    found = await api(qs, "all")
    assert isinstance(found[0].rank, int) and isinstance(found[0].mean, Decimal) and "rank" not in found[0].model_dump()


async def test_filters_on_window_results_wrap_the_query(parts: ormada.Database, api: Api) -> None:
    qs = Part.annotate(rank=Window(Rank(), partition_by="maker", order_by="-price"), loud=Upper("title"))
    top = qs.filter(rank=1)
    assert await api(top.order_by("-price").values_list("title", flat=True), "all") == ["spring", "gear", "loose"]
    assert await api(top, "count") == 3 and await api(qs.filter(rank__gt=5), "exists") is False
    # Row filters apply first (WHERE), then the window's (around it), then order and slice.
    assert await api(qs.filter(qty__lt=10).filter(rank=1).order_by("loud")[:2].values_list("title", flat=True),
                     "all") == ["gear", "loose"]
    assert await api(qs.filter(rank=1, maker__isnull=False).exclude(rank=2).order_by("title").values_list(
        "title", "rank"), "all") == [("gear", 1), ("spring", 1)]
    assert [p.title for p in await api(qs.filter(rank__in=[2, 3]), "all")] == ["Nut"]


async def test_windows_over_groups(parts: ormada.Database, api: Api) -> None:
    qs = Maker.annotate(n=Count("parts"), place=Window(DenseRank(), order_by="-id"))
    assert await api(qs.order_by("id").values_list("name", "n", "place"), "all") == [
        ("Acme", 2, 3), ("bolt", 1, 2), ("Idle", 0, 1)]


async def test_bad_windows_are_refused(parts: ormada.Database) -> None:
    with pytest.raises(QueryError, match=r"Part\.annotate\(r=Window\(Rank\(\)\)\): Window\(Rank\(\)\) needs "
                                         r"order_by=: its rows are counted in an order"):
        Part.annotate(r=Window(Rank()))
    with pytest.raises(QueryError, match=r"needs order_by=: its frame runs in an order"):
        Part.annotate(r=Window(Sum("qty"), frame=RowRange(-1, 0)))
    with pytest.raises(QueryError, match=r"Rank\(\) is computed over a window of rows: wrap it in Window"):
        Part.annotate(r=Rank())
    with pytest.raises(QueryError, match=r"Sum needs numbers, and 'title' gives text"):
        Part.annotate(r=Window(Sum("title"), order_by="id"))
    with pytest.raises(QueryError, match=r"without distinct= or filter="):
        Part.annotate(r=Window(Count("id", distinct=True)))
    ranked = Part.annotate(r=Window(Rank(), order_by="qty"))
    with pytest.raises(QueryError, match=r"a filter on a window's result is applied after the others"):
        ranked.filter(Q(r=1) | Q(qty=3))
    with pytest.raises(QueryError, match=r"a window's result is filtered by the name of its annotation"):
        Part.filter(qty=Window(Max("qty")))
    with pytest.raises(TypeError, match="RowRange"):
        Window(Max("qty"), frame=(1, 2))  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qtys=st.lists(st.integers(-50, 50), min_size=1, max_size=8))
async def test_ranks_and_running_sums_match_python(parts: ormada.Database, api: Api, qtys: list[int]) -> None:
    await api(Part.query(), "delete")
    await api(Part, "bulk_create", [Part(title=f"p{i}", price=Decimal(1), cost=Decimal(1), qty=q)
                                    for i, q in enumerate(qtys)])
    qs = Part.annotate(rank=Window(Rank(), order_by="-qty"), running=Window(Sum("qty"), order_by="id",
                                                                             frame=RowRange(None, 0)))
    rows = await api(qs.order_by("id").values_list("qty", "rank", "running"), "all")
    assert [r[0] for r in rows] == qtys
    assert [r[1] for r in rows] == [1 + sum(other > q for other in qtys) for q in qtys]
    assert [r[2] for r in rows] == list(itertools.accumulate(qtys))
    best = max(qtys)
    assert await api(qs.filter(rank=1), "count") == qtys.count(best)
