"""Cursor pages on a real node, sync and async: ``paginate()`` backed by the server's
paging state, over one partition and over the whole table; signed cursors refused when
altered or handed out for another query; numbered pages refused with the alternative."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from tests.conftest import Api

import ormada
from ormada import ClusteringKey, CursorError, NotSupported, PartitionKey, PrimaryKey

DB = "cassandra_live"
EVENTS = 23
SPREAD = 31


class CurEvent(ormada.Model):
    """One partition per stream, clustered by ``seq`` descending."""

    stream: Annotated[str, PartitionKey()]
    seq: Annotated[int, ClusteringKey(order="desc")]
    body: str = ""

    class Meta:
        database = DB


class CurSpread(ormada.Model):
    """One row per partition: a full-table walk goes through the token ring."""

    id: Annotated[int, PrimaryKey()]
    body: str = ""

    class Meta:
        database = DB


@pytest.fixture(scope="module")
def rows(keyspace: str) -> None:
    database = ormada.get_database(DB)
    database.create_all([CurEvent, CurSpread])
    CurEvent.bulk_create([CurEvent(stream=s, seq=n, body=f"{s}{n}") for s in ("a", "b") for n in range(EVENTS)])
    CurSpread.bulk_create([CurSpread(id=n, body=str(n)) for n in range(SPREAD)])


async def _walk(api: Api, qs: Any, size: int) -> list[list[Any]]:
    pages = [await api(qs, "paginate", size)]
    while pages[-1].next_cursor is not None:
        assert len(pages[-1].items) == size and pages[-1].previous_cursor is None
        pages.append(await api(qs, "paginate", size, after=pages[-1].next_cursor))
    return [page.items for page in pages]


@pytest.mark.parametrize("size", [1, 5, 23, 50])
async def test_pages_of_a_partition_in_clustering_order(rows: None, api: Api, size: int) -> None:
    pages = await _walk(api, CurEvent.filter(stream="a"), size)
    assert [e.seq for page in pages for e in page] == list(reversed(range(EVENTS)))
    # The last page has no cursor, also when the rows fill it exactly (23 of 23).
    assert len(pages) == -(-EVENTS // size) and all(len(p) == size for p in pages[:-1])


@pytest.mark.parametrize("size", [4, 31])
async def test_pages_of_the_whole_table(rows: None, api: Api, size: int) -> None:
    pages = await _walk(api, CurSpread.query(), size)
    seen = [r.id for page in pages for r in page]
    assert sorted(seen) == list(range(SPREAD)) and len(seen) == SPREAD
    assert seen == [r.id for r in await api(CurSpread.query(), "all")]  # the token order of one read


async def test_pages_of_values(rows: None, api: Api) -> None:
    qs = CurEvent.filter(stream="b").values_list("seq", flat=True)
    first = await api(qs, "paginate", 3)
    second = await api(qs, "paginate", 3, after=first.next_cursor)
    assert (first.items, second.items) == ([22, 21, 20], [19, 18, 17])


async def test_altered_or_foreign_cursors_are_refused(rows: None, api: Api) -> None:
    qs = CurEvent.filter(stream="a")
    token = (await api(qs, "paginate", 5)).next_cursor
    assert token is not None
    payload, _, mac = token.partition(".")
    altered = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:] + "." + mac
    with pytest.raises(CursorError, match=r"CurEvent: cursor .* was altered"):
        await api(qs, "paginate", 5, after=altered)
    with pytest.raises(CursorError, match="was handed out for other filter values"):
        await api(CurEvent.filter(stream="b"), "paginate", 5, after=token)
    with pytest.raises(CursorError, match="belongs to another query"):
        await api(CurSpread.query(), "paginate", 5, after=token)
    assert [e.seq for e in (await api(qs, "paginate", 2, after=token)).items] == [17, 16]


async def test_going_back_and_numbered_pages_are_refused_with_the_alternative(rows: None, api: Api) -> None:
    qs = CurEvent.filter(stream="a")
    token = (await api(qs, "paginate", 5)).next_cursor
    with pytest.raises(NotSupported, match="paging state only goes forward"):
        await api(qs, "paginate", 5, before=token)
    with pytest.raises(NotSupported, match=r"no OFFSET, so pages cannot be numbered; page with cursors instead: "
                                           r"qs\.paginate\(size, after=page\.next_cursor\)"):
        ormada.Paginator(qs, 5)
