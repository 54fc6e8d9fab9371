"""Pagination on every SQL backend, sync and async: numbered pages (``Paginator``) and
cursor pages (``paginate()``), checked against one unpaginated ordered read of the same
rows, with ties, NULLs and mixed directions."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import uuid
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field

import ormada
from ormada import (
    CursorError,
    EmptyPage,
    ForeignKey,
    Indexed,
    Model,
    PageNotAnInteger,
    Paginator,
    PrimaryKey,
    QueryError,
)
from tests.conftest import Api, models_database


class Entry(Model):
    """Rows to page through: a field of each logical type a page may be ordered by."""

    id: Annotated[int | None, PrimaryKey()] = None
    rank: Annotated[int | None, Indexed()] = None
    label: str | None = None
    price: Annotated[Decimal | None, Field(max_digits=10, decimal_places=2)] = None
    at: dt.datetime | None = None
    day: dt.date | None = None
    flag: bool | None = None
    ratio: float | None = None
    ref: uuid.UUID | None = None
    seq: Annotated[int, Indexed()] = 0
    stamp: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class Other(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    rank: int | None = None


class Note(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    entry: Annotated[Entry, ForeignKey(related_name="notes")]


MODELS = [Entry, Other, Note]
FIELDS = ("rank", "label", "price", "at", "day", "flag", "ratio", "ref", "seq", "stamp")
UTC = dt.UTC
EAST = dt.timezone(dt.timedelta(hours=5, minutes=30))


@pytest.fixture
async def pdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


def _ids(items: list[Any]) -> list[int]:
    return [item.id for item in items]


async def _walk(api: Api, qs: Any, size: int) -> tuple[list[Any], list[Any]]:
    """Every page forward from the first, then every page back from the last; the rows of each walk."""
    forward: list[Any] = []
    pages = [await api(qs, "paginate", size)]
    while True:
        page = pages[-1]
        assert len(page.items) <= size
        forward += page.items
        if page.next_cursor is None:
            break
        assert len(page.items) == size
        pages.append(await api(qs, "paginate", size, after=page.next_cursor))
    backward: list[Any] = list(pages[-1].items)
    page = pages[-1]
    while page.previous_cursor is not None:
        page = await api(qs, "paginate", size, before=page.previous_cursor)
        assert len(page.items) == size
        backward = page.items + backward
    return forward, backward


# -- cursor pages ---------------------------------------------------------------------

async def test_cursor_pages_walk_forward_and_back(pdb: ormada.Database, api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i % 3, label=f"e{i:02}") for i in range(11)])
    qs = Entry.query().order_by("-rank", "label")
    first = await api(qs, "paginate", 4)
    assert [e.label for e in first] == ["e02", "e05", "e08", "e01"]
    assert first.has_next and not first.has_previous and first.previous_cursor is None
    second = await api(qs, "paginate", 4, after=first.next_cursor)
    assert [e.label for e in second] == ["e04", "e07", "e10", "e00"]
    assert second.has_previous
    third = await api(qs, "paginate", 4, after=second.next_cursor)
    assert [e.label for e in third] == ["e03", "e06", "e09"] and third.next_cursor is None
    back = await api(qs, "paginate", 4, before=third.previous_cursor)
    assert _ids(back.items) == _ids(second.items) and back.next_cursor is not None
    again = await api(qs, "paginate", 4, before=back.previous_cursor)
    assert _ids(again.items) == _ids(first.items) and again.previous_cursor is None
    # A row inserted before the current position does not shift the pages after it.
    await api(Entry, "create", rank=2, label="a-new")
    assert _ids((await api(qs, "paginate", 4, after=second.next_cursor)).items) == _ids(third.items)


async def test_cursor_pages_with_no_ordering_follow_the_primary_key(pdb: ormada.Database, api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=5 - i) for i in range(5)])
    forward, backward = await _walk(api, Entry.query(), 2)
    assert _ids(forward) == _ids(backward) == sorted(_ids(await api(Entry.query(), "all")))


async def test_cursor_pages_of_no_rows_and_of_filtered_rows(pdb: ormada.Database, api: Api) -> None:
    empty = await api(Entry.query().order_by("rank"), "paginate", 3)
    assert empty.items == [] and empty.next_cursor is None and empty.previous_cursor is None
    await api(Entry, "bulk_create", [Entry(rank=i) for i in range(10)])
    qs = Entry.filter(rank__gte=4).exclude(rank=6).order_by("-rank")
    forward, _ = await _walk(api, qs, 3)
    assert [e.rank for e in forward] == [9, 8, 7, 5, 4]


async def test_cursor_pages_of_values_and_values_list(pdb: ormada.Database, api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i % 2, label=f"v{i}") for i in range(5)])
    dicts = Entry.query().order_by("rank").values("label")
    page = await api(dicts, "paginate", 3)
    assert page.items == [{"label": "v0"}, {"label": "v2"}, {"label": "v4"}]
    page = await api(dicts, "paginate", 3, after=page.next_cursor)
    assert page.items == [{"label": "v1"}, {"label": "v3"}] and page.next_cursor is None
    flat = Entry.query().order_by("-rank").values_list("label", flat=True)
    page = await api(flat, "paginate", 2)
    assert page.items == ["v1", "v3"]
    assert (await api(flat, "paginate", 2, after=page.next_cursor)).items == ["v0", "v2"]
    tuples = Entry.query().order_by("label").values_list("rank", "label")
    page = await api(tuples, "paginate", 2, after=(await api(tuples, "paginate", 2)).next_cursor)
    assert page.items == [(0, "v2"), (1, "v3")]


async def test_each_page_is_one_statement_compiled_once_with_its_values_bound(
        pdb: ormada.Database, api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i // 2, label="same") for i in range(9)])
    qs = Entry.query().order_by("-rank", "label")
    page = await api(qs, "paginate", 2)
    sent = []
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        while page.next_cursor is not None:
            caplog.clear()
            page = await api(qs, "paginate", 2, after=page.next_cursor)
            sent += [record.args[2] for record in caplog.records if isinstance(record.args, tuple)]
    assert len(sent) == 4 and len(set(sent)) == 1  # one statement per page, one text for all
    assert "same" not in sent[0] and "'" not in sent[0]  # the boundary values are parameters


async def test_altered_or_foreign_cursors_are_refused_before_anything_is_sent(
        pdb: ormada.Database, api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i) for i in range(5)])
    await api(Other, "bulk_create", [Other(rank=i) for i in range(5)])
    qs = Entry.query().order_by("rank")
    token = (await api(qs, "paginate", 2)).next_cursor
    assert token is not None
    payload, _, mac = token.partition(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    foreign = {
        "altered": (qs, f"{flipped}.{mac}"),
        "cut": (qs, token[:-3]),
        "garbage": (qs, "not a cursor"),
        "another ordering": (Entry.query().order_by("-rank"), token),
        "another model": (Other.query().order_by("rank"), token),
    }
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        caplog.clear()
        for name, (queryset, bad) in foreign.items():
            with pytest.raises(CursorError, match=r"(Entry|Other): cursor") as info:
                await api(queryset, "paginate", 2, after=bad)
            assert "another" in str(info.value) if name.startswith("another") else "altered" in str(info.value)
        with pytest.raises(CursorError, match="not bytes"):
            await api(qs, "paginate", 2, after=token.encode())
        assert caplog.records == []  # nothing was sent
    # A page's own cursor still works, going either way.
    assert [e.rank for e in (await api(qs, "paginate", 2, after=token)).items] == [2, 3]
    assert [e.rank for e in (await api(qs, "paginate", 2, before=token)).items] == [0]


async def test_cursor_secret_of_the_database_and_of_the_environment(
        pdb: ormada.Database, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i) for i in range(4)])
    qs = Entry.query().order_by("rank")
    monkeypatch.setenv("ORMADA_CURSOR_SECRET", "one")
    token = (await api(qs, "paginate", 2)).next_cursor
    monkeypatch.setenv("ORMADA_CURSOR_SECRET", "two")
    with pytest.raises(CursorError, match="signed with another secret"):
        await api(qs, "paginate", 2, after=token)
    pdb.cursor_secret = "one"  # the database's own secret wins over the environment
    assert [e.rank for e in (await api(qs, "paginate", 2, after=token)).items] == [2, 3]


async def test_bad_calls_of_paginate(pdb: ormada.Database, api: Api) -> None:
    qs = Entry.query().order_by("rank")
    for size in (0, -1, 2.0, True, "2"):
        with pytest.raises(QueryError, match="size takes an int of 1 or more"):
            await api(qs, "paginate", size)
    with pytest.raises(QueryError, match="after= or before=, not both"):
        await api(qs, "paginate", 2, after="x", before="y")
    with pytest.raises(QueryError, match="sliced or limited"):
        await api(qs[:10], "paginate", 2)
    with pytest.raises(QueryError, match="only Note's own fields, not 'entry__rank'"):
        await api(Note.query().order_by("entry__rank"), "paginate", 2)
    with pytest.raises(QueryError, match="leave out 'rank'"):
        await api(qs.only("label"), "paginate", 2)
    with pytest.raises(QueryError, match="annotated rows"):
        await api(Entry.query().annotate(n=ormada.Count("id")), "paginate", 2)


async def test_deep_pages_read_a_range_of_the_index(request: pytest.FixtureRequest, tmp_path: Path, api: Api,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """The page after a boundary starts where the index on the first key says, checked in
    SQLite's plans (other databases' plans depend on their statistics: see benchmarks/)."""
    async with models_database("sqlite", request, tmp_path, MODELS) as pdb:
        await _check_plans(pdb, api, caplog)


async def _check_plans(pdb: ormada.Database, api: Api, caplog: pytest.LogCaptureFixture) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i % 50, seq=i % 40) for i in range(500)])
    cases = [(Entry.query(), "rowid>?"), (Entry.query().order_by("rank"), "rank>?"),
             (Entry.query().order_by("-seq", "-id"), "seq<?")]
    for qs, search in cases:
        first = await api(qs, "paginate", 10)
        with caplog.at_level(logging.DEBUG, logger="ormada"):
            caplog.clear()
            await api(qs, "paginate", 10, after=first.next_cursor)
        (text,) = [r.args[2] for r in caplog.records if isinstance(r.args, tuple)]
        file = pdb.backend.path  # type: ignore[attr-defined]
        with sqlite3.connect(file) as raw:
            plan = " | ".join(row[-1] for row in raw.execute(f"EXPLAIN QUERY PLAN {text}", [0] * text.count("?")))
        assert plan.startswith("SEARCH") and search in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # the index gives the order too


# -- every row once, in order: checked on random data ------------------------------------

AT = [dt.datetime(2024, 1, 1, 12, 0, tzinfo=UTC), dt.datetime(2024, 1, 1, 17, 30, 0, 250, tzinfo=EAST),
      dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
row_values = st.fixed_dictionaries({
    "rank": st.none() | st.integers(-2, 2),
    "label": st.none() | st.sampled_from(["", "a", "b", "B", "ä"]),
    "price": st.none() | st.sampled_from([Decimal("0.00"), Decimal("1.50"), Decimal("-3.25"), Decimal("1.5")]),
    "at": st.none() | st.sampled_from(AT),
    "day": st.none() | st.sampled_from([dt.date(2020, 2, 29), dt.date(1970, 1, 1)]),
    "flag": st.none() | st.booleans(),
    "ratio": st.none() | st.sampled_from([0.1, -2.5, 1e300, 0.30000000000000004]),
    "ref": st.none() | st.sampled_from([uuid.UUID(int=1), uuid.UUID(int=2**127)]),
    "seq": st.integers(0, 2),  # NOT NULL: with the key ascending, the filter adds a row comparison
    "stamp": st.sampled_from(AT),
})
orderings = st.lists(st.tuples(st.sampled_from(FIELDS), st.booleans()), max_size=3, unique_by=lambda x: x[0]) | \
    st.lists(st.tuples(st.sampled_from(("seq", "stamp")), st.just(False)), min_size=1, max_size=2,
             unique_by=lambda x: x[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_values, max_size=12), ordering=orderings, size=st.integers(1, 5))
async def test_pages_hold_every_row_once_in_the_order_of_one_read(
        pdb: ormada.Database, api: Api, rows: list[dict[str, Any]], ordering: list[tuple[str, bool]],
        size: int) -> None:
    await api(Entry.query(), "delete")
    await api(Entry, "bulk_create", [Entry(**row) for row in rows])
    names = [("-" if desc else "") + name for name, desc in ordering]
    qs = Entry.query().order_by(*names)
    expected = _ids(await api(Entry.query().order_by(*names, "id"), "all"))
    forward, backward = await _walk(api, qs, size)
    assert _ids(forward) == expected
    assert _ids(backward) == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ormada.UnorderedPaginationWarning)  # no ordering: by primary key
        numbered = Paginator(qs, size)
    pages = [await api(numbered, "page", n) for n in range(1, await api(numbered, "num_pages") + 1)]
    assert [item.id for page in pages for item in page] == expected


# -- numbered pages -----------------------------------------------------------------------

async def test_numbered_pages(pdb: ormada.Database, api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i // 3, label=f"n{i}") for i in range(10)])
    paginator = Paginator(Entry.query().order_by("-rank"), 4)
    assert await api(paginator, "count") == 10 and await api(paginator, "num_pages") == 3
    first = await api(paginator, "page", 1)
    assert [e.label for e in first] == ["n9", "n6", "n7", "n8"]  # ties broken by primary key
    assert (first.number, first.has_next, first.has_previous, first.next_page_number,
            first.previous_page_number, first.start_index, first.end_index) == (1, True, False, 2, None, 1, 4)
    last = await api(paginator, "page", 3)
    assert [e.label for e in last] == ["n1", "n2"]
    assert (last.has_next, last.next_page_number, last.previous_page_number, last.start_index,
            last.end_index, last.has_other_pages) == (False, None, 2, 9, 10, True)
    assert repr(last) == "<Page 3 of 3>" and len(last) == 2


async def test_numbered_pages_with_orphans_of_a_slice_and_of_values(pdb: ormada.Database, api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i, label=f"o{i}") for i in range(11)])
    paginator = Paginator(Entry.query().order_by("rank"), 5, orphans=1)
    assert await api(paginator, "num_pages") == 2
    assert [e.rank for e in await api(paginator, "page", 2)] == [5, 6, 7, 8, 9, 10]
    sliced = Paginator(Entry.query().order_by("-rank")[2:9].values_list("rank", flat=True), 3)
    assert await api(sliced, "count") == 7
    assert [(await api(sliced, "page", n)).items for n in (1, 2, 3)] == [[8, 7, 6], [5, 4, 3], [2]]


async def test_bad_page_numbers(pdb: ormada.Database, api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=i) for i in range(5)])
    paginator = Paginator(Entry.query().order_by("rank"), 2)
    for number in ("2", 2.0, True, None):
        with pytest.raises(PageNotAnInteger, match="a page number is an int"):
            await api(paginator, "page", number)
    for number in (0, -1):
        with pytest.raises(EmptyPage, match="page numbers start at 1"):
            await api(paginator, "page", number)
    with pytest.raises(EmptyPage, match=r"page 4 does not exist; the last page is 3 \(5 rows\)"):
        await api(paginator, "page", 4)
    assert isinstance(EmptyPage("x"), ormada.InvalidPage) and isinstance(EmptyPage("x"), QueryError)
    for size in (0, 1.5):
        with pytest.raises(QueryError, match="page_size takes a whole number"):
            Paginator(Entry.query(), size)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="orphans takes a whole number from 0 to page_size - 1"):
        Paginator(Entry.query().order_by("rank"), 2, orphans=2)


async def test_the_first_page_of_no_rows(pdb: ormada.Database, api: Api) -> None:
    empty = Paginator(Entry.query().order_by("rank"), 3)
    page = await api(empty, "page", 1)
    assert (page.items, page.num_pages, page.start_index, page.end_index, page.has_next) == ([], 1, 0, 0, False)
    strict = Paginator(Entry.query().order_by("rank"), 3, allow_empty_first_page=False)
    assert await api(strict, "num_pages") == 0
    with pytest.raises(EmptyPage, match="page 1 does not exist; there are no rows"):
        await api(strict, "page", 1)


async def test_an_unordered_queryset_is_paged_by_primary_key_with_a_warning(pdb: ormada.Database,
                                                                            api: Api) -> None:
    await api(Entry, "bulk_create", [Entry(rank=9 - i) for i in range(6)])
    with pytest.warns(ormada.UnorderedPaginationWarning, match="no order_by\\(\\), so its pages are ordered by "
                                                              "primary key \\(id\\)"):
        paginator = Paginator(Entry.query(), 4)
    pages = [await api(paginator, "page", n) for n in (1, 2)]
    assert [e.id for p in pages for e in p] == sorted(_ids(await api(Entry.query(), "all")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Paginator(Entry.query().order_by("rank"), 4)  # ordered: no warning


async def test_pages_with_related_rows(pdb: ormada.Database, api: Api) -> None:
    entries = [await api(Entry, "create", rank=i) for i in range(4)]
    await api(Note, "bulk_create", [Note(entry_id=e.id) for e in entries for _ in range(e.rank or 0)])
    notes = Note.query().select_related("entry").order_by("-entry_id")
    page = await api(notes, "paginate", 4)
    page = await api(notes, "paginate", 4, after=page.next_cursor)
    assert [n.entry.rank for n in page] == [2, 1] and page.next_cursor is None  # the entries came joined
    assert [n.entry_id for n in page] == [entries[2].id, entries[1].id]
    owners = Entry.query().prefetch_related("notes").order_by("-rank")
    first = await api(owners, "paginate", 3)
    assert [len(e.notes) for e in first] == [3, 2, 1]
    numbered = await api(Paginator(owners, 3), "page", 2)
    assert [len(e.notes) for e in numbered] == [0]


def test_the_readme_example_prints_what_it_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib
    import io
    import re

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("<!-- pagination-example -->"):].split("```python\n", 1)[1].split("```", 1)[0]
    expected = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    assert len(expected) == 7
    code = re.sub(r"\bPost\b", "ReadmePost", block)  # its model apart from the tests'
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec", dont_inherit=True), {"__name__": "readme_pagination"})
    assert out.getvalue().splitlines() == [line.replace("Post", "ReadmePost") for line in expected]
