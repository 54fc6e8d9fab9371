"""Vector search (``nearest()``) on real databases, sync and async: SQLite (exact distances
computed by functions ormada registers), PostgreSQL through pgvector (a PostgreSQL 16 that
``scripts/services.sh pgvector`` starts on 127.0.0.1:5433, since Debian's has no pgvector)
and MySQL/MariaDB, which has no vector search and says so.

Every order is checked against a brute-force ranking computed here in Python over the
stored ``float32`` values.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import DataError, Model, NotSupported, PrimaryKey, QueryError, Vector, VectorIndex
from tests.conftest import MODES, PGV_HOST, PGV_PORT, Api, database_url

METRICS = ("cosine", "l2", "inner")
DIMENSIONS = 8


class VecDoc(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    lang: str
    title: str
    embedding: Annotated[list[float] | None, Vector(DIMENSIONS)] = None

    class Meta:
        table = "vec_doc"


class VecIndexed(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    cosine: Annotated[list[float], Vector(3)]
    l2: Annotated[list[float], Vector(3)]
    inner: Annotated[list[float], Vector(3)]

    class Meta:
        table = "vec_indexed"
        indexes = [VectorIndex("cosine", metric="cosine", m=8, ef_construction=32),
                   VectorIndex("l2", metric="l2", method="ivfflat", lists=1, name="ix_vec_l2"),
                   VectorIndex("inner", metric="inner")]


MODELS = [VecDoc, VecIndexed]


def f32(values: Sequence[float]) -> list[float]:
    """Each value as the float32 the databases store."""
    return list(struct.unpack(f"{len(values)}f", struct.pack(f"{len(values)}f", *values)))


def brute_distance(metric: str, a: Sequence[float], b: Sequence[float]) -> float:
    """The distance, computed the textbook way (no shortcut shared with ormada's code)."""
    if metric == "l2":
        return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if metric == "inner":
        return -dot
    return 1 - dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def assert_nearest(found: list[Any], candidates: list[Any], query: Sequence[float], metric: str, k: int,
                   tolerance: float) -> None:
    """``found`` are the ``k`` candidates nearest to ``query``, nearest first, each with its
    distance; rows whose distances differ by less than ``tolerance`` (float32 arithmetic on
    PostgreSQL) may come in either order."""
    query = f32(query)  # the query vector is bound as float32s too
    ranked = sorted((brute_distance(metric, c.embedding, query), c.id) for c in candidates)
    expected = ranked[:k]
    assert len(found) == len(expected)
    by_id = dict((i, d) for d, i in ranked)
    for doc, (distance, _) in zip(found, expected, strict=True):
        assert doc.distance == pytest.approx(by_id[doc.id], abs=tolerance)
        assert by_id[doc.id] == pytest.approx(distance, abs=tolerance)  # a nearest one, not just any
    assert [d.id for d in found] == [i for d, i in expected] or _ties_only(found, expected, tolerance)


def _ties_only(found: list[Any], expected: list[tuple[float, int]], tolerance: float) -> bool:
    return all(abs(f.distance - e) <= tolerance for f, (e, _) in zip(found, expected, strict=True))


def vector_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "postgresql":
        return f"postgresql://postgres@{PGV_HOST}:{PGV_PORT}/{request.getfixturevalue('pgvector_database')}"
    return database_url(backend, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ormada.Database]:
    database = ormada.connect(vector_url(backend, request, tmp_path))
    database.create_all(MODELS)
    try:
        yield database
    finally:
        await database.aclose()


@pytest.fixture(params=MODES)
def api(request: pytest.FixtureRequest) -> Api:
    return Api(str(request.param))


def tolerance(db: ormada.Database) -> float:
    # pgvector sums in float32; SQLite's functions in double precision over float32 values.
    return 1e-5 if db.backend.name == "postgresql" else 1e-9


async def fill(api: Api, n: int = 40, seed: int = 1) -> list[VecDoc]:
    rng = random.Random(seed)
    docs = [VecDoc(lang="en" if i % 3 else "fr", title=f"doc {i}",
                   embedding=[rng.uniform(-1, 1) for _ in range(DIMENSIONS)]) for i in range(n)]
    docs.append(VecDoc(lang="en", title="no vector"))
    created = await api(VecDoc, "bulk_create", docs)
    return [d for d in created if d.embedding is not None]


@pytest.mark.parametrize("metric", METRICS)
async def test_nearest_is_the_brute_force_ranking(db: ormada.Database, api: Api, metric: str) -> None:
    docs = await fill(api)
    rng = random.Random(metric)
    for _ in range(3):
        query = [rng.uniform(-1, 1) for _ in range(DIMENSIONS)]
        found = await api.list(VecDoc.nearest("embedding", query, metric=metric)[:7])
        stored = [d.model_copy(update={"embedding": f32(d.embedding)}) for d in docs]  # type: ignore[arg-type]
        assert_nearest(found, stored, query, metric, 7, tolerance(db))


@pytest.mark.parametrize("metric", METRICS)
async def test_nearest_within_a_filter_and_a_window(db: ormada.Database, api: Api, metric: str) -> None:
    docs = await fill(api, seed=2)
    query = [0.5, -0.25, 0.0, 1.0, 0.75, -1.0, 0.125, 0.3]
    english = [d.model_copy(update={"embedding": f32(d.embedding)}) for d in docs if d.lang == "en"]  # type: ignore[arg-type]
    qs = VecDoc.filter(lang="en").nearest("embedding", query, metric=metric)
    assert_nearest(await api.list(qs[:5]), english, query, metric, 5, tolerance(db))
    everything = await api.list(qs)  # no window: every English row that has a vector
    assert len(everything) == len(english)
    window = await api.list(qs[3:6])
    assert [d.id for d in window] == [d.id for d in everything[3:6]]
    assert await api(qs[:4], "count") == 4 and await api(qs, "count") == len(english)
    assert await api(qs, "exists") is True
    first = await api(qs, "first")
    assert first is not None and first.id == everything[0].id


async def test_the_distance_as_attribute_value_or_not_at_all(db: ormada.Database, api: Api) -> None:
    docs = await fill(api, n=10, seed=3)
    query = [1.0] * DIMENSIONS
    expected = {d.id: brute_distance("l2", f32(d.embedding), f32(query)) for d in docs}  # type: ignore[arg-type]
    named = await api.list(VecDoc.nearest("embedding", query, metric="l2", distance="score")[:3])
    assert all(d.score == pytest.approx(expected[d.id], abs=tolerance(db)) for d in named)
    assert "distance" not in named[0].__dict__ and "score" not in named[0].model_dump()
    rows = await api.list(VecDoc.nearest("embedding", query, metric="l2").values("id", "distance")[:2])
    assert [set(r) for r in rows] == [{"id", "distance"}] * 2
    assert rows[0]["distance"] == pytest.approx(expected[rows[0]["id"]], abs=tolerance(db))
    ids = await api.list(VecDoc.nearest("embedding", query, metric="l2", distance=None).values_list("id", flat=True))
    assert ids == sorted(expected, key=expected.__getitem__)
    plain = await api.list(VecDoc.nearest("embedding", query, distance=None)[:1])
    assert "distance" not in plain[0].__dict__


async def test_equal_distances_are_ordered_by_order_by(db: ormada.Database, api: Api) -> None:
    same = [0.25] * DIMENSIONS
    created = await api(VecDoc, "bulk_create", [VecDoc(lang="en", title=f"twin {i}", embedding=same) for i in range(4)])
    await api(VecDoc, "create", lang="en", title="far", embedding=[-1.0] * DIMENSIONS)
    ids = [d.id for d in created]
    found = await api.list(VecDoc.nearest("embedding", same, metric="l2").order_by("-id"))
    assert [d.id for d in found] == [*sorted(ids, reverse=True), found[-1].id]
    assert found[-1].title == "far" and found[0].distance == pytest.approx(0.0, abs=tolerance(db))


async def test_the_vector_read_back_is_float32(db: ormada.Database, api: Api) -> None:
    values = [0.1, -2.5, 1e-3, 3.0, 1 / 3, 1e20, -7.0, 0.0]
    doc = await api(VecDoc, "create", lang="en", title="t", embedding=values)
    loaded = await api(VecDoc, "get", id=doc.id)
    assert loaded.embedding == f32(values)


async def test_bad_vectors_are_refused_before_anything_is_sent(db: ormada.Database, api: Api) -> None:
    for wrong, fault in (([1.0] * 3, "takes exactly 8 values, got 3"), ([math.nan] * 8, "nan"),
                         ([math.inf] + [0.0] * 7, "inf"), ([1e39] + [0.0] * 7, "largest 32-bit float")):
        with pytest.raises(DataError, match=r"VecDoc\.embedding: .*") as caught:
            await api(VecDoc, "create", lang="en", title="bad", embedding=wrong)
        assert fault in str(caught.value)
        with pytest.raises(QueryError, match=r"VecDoc\.nearest\('embedding'\): invalid vector"):
            VecDoc.nearest("embedding", wrong)
    assert await api(VecDoc.query(), "count") == 0
    with pytest.raises(QueryError, match=r"unknown metric 'dot'.*cosine, l2, inner"):
        VecDoc.nearest("embedding", [0.0] * 8, metric="dot")
    with pytest.raises(QueryError, match=r"VecDoc\.nearest\('title'\): title holds text"):
        VecDoc.nearest("title", [0.0] * 8)
    with pytest.raises(QueryError, match="zero vector has no direction"):
        VecDoc.nearest("embedding", [0.0] * 8)
    with pytest.raises(QueryError, match="VecDoc has a field named 'title'"):
        VecDoc.nearest("embedding", [1.0] * 8, distance="title")


async def test_vector_indexes_are_created_with_their_method_metric_and_options(db: ormada.Database,
                                                                               api: Api) -> None:
    rng = random.Random(4)
    rows = [VecIndexed(cosine=v, l2=v, inner=v) for v in ([rng.uniform(-1, 1) for _ in range(3)] for _ in range(30))]
    await api(VecIndexed, "bulk_create", rows)
    if db.backend.name == "postgresql":
        found = await api.execute(db, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'vec_indexed' "
                                      "AND indexname <> 'vec_indexed_pkey'")
        defs = {name: text for name, text in found}
        assert defs["ix_vec_indexed_cosine"].endswith(
            "USING hnsw (cosine vector_cosine_ops) WITH (ef_construction='32', m='8')")
        # vector_l2_ops is ivfflat's default operator class, which PostgreSQL leaves out when it shows one.
        assert defs["ix_vec_l2"].endswith("USING ivfflat (l2) WITH (lists='1')")
        assert defs["ix_vec_indexed_inner"].endswith("USING hnsw (\"inner\" vector_ip_ops)")
    else:  # SQLite has no vector index: every search is an exact scan
        found = await api.execute(db, "SELECT name FROM sqlite_master WHERE type = 'index' "
                                      "AND tbl_name = 'vec_indexed'")
        assert found == []
    stored = await api(VecIndexed.query(), "all")
    # pgvector's indexes are approximate; over 30 rows an HNSW graph and one IVFFlat list are exact.
    for metric in METRICS:
        query = f32([0.3, -0.6, 0.9])
        near = await api.list(VecIndexed.nearest(metric, query, metric=metric)[:3])
        expected = sorted(stored, key=lambda r, m=metric: brute_distance(m, getattr(r, m), query))[:3]
        assert [r.id for r in near] == [r.id for r in expected]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vectors=st.lists(st.lists(st.floats(-100, 100, allow_nan=False, width=32), min_size=3, max_size=3),
                        min_size=1, max_size=12),
       query=st.lists(st.floats(-100, 100, width=32), min_size=3, max_size=3).filter(any),
       metric=st.sampled_from(METRICS), k=st.integers(1, 12))
def test_sqlite_nearest_matches_brute_force_property(tmp_path_factory: pytest.TempPathFactory,
                                                     vectors: list[list[float]], query: list[float],
                                                     metric: str, k: int) -> None:
    database = ormada.connect(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'v.db'}")
    try:
        database.create_all([VecIndexed])
        created = VecIndexed.bulk_create([VecIndexed(cosine=v, l2=v, inner=v) for v in vectors])
        found = VecIndexed.nearest(metric, query, metric=metric)[:k].all()
        distances = {}
        for row in created:
            if metric == "cosine" and not any(getattr(row, metric)):
                continue  # no direction: last, with no distance
            distances[row.id] = brute_distance(metric, getattr(row, metric), query)
        assert len(found) == min(k, len(created))
        ranked = [f for f in found if f.distance is not None]
        assert [f.distance for f in ranked] == sorted(f.distance for f in ranked)
        for f in ranked:
            assert f.distance == pytest.approx(distances[f.id], rel=1e-9, abs=1e-9)
        best = sorted(distances.values())[:len(ranked)]
        assert [f.distance for f in ranked] == pytest.approx(best, rel=1e-9, abs=1e-9)
    finally:
        database.close()


@pytest.mark.parametrize("mode", MODES)
async def test_mysql_has_no_vector_search_and_says_what_to_use(mode: str, request: pytest.FixtureRequest,
                                                                tmp_path: Path) -> None:
    api = Api(mode)
    database = ormada.connect(database_url("mysql", request, tmp_path))
    try:
        database.create_all([VecDoc])
        doc = await api(VecDoc, "create", lang="en", title="stored as JSON", embedding=[0.5] * DIMENSIONS)
        assert (await api(VecDoc, "get", id=doc.id)).embedding == [0.5] * DIMENSIONS
        with pytest.raises(NotSupported, match=r"VecDoc\.nearest\('embedding'\): mysql has no vector search.*"
                                               r"PostgreSQL with pgvector, SQLite"):
            await api.list(VecDoc.nearest("embedding", [0.5] * DIMENSIONS)[:3])
    finally:
        await database.aclose()


@pytest.mark.parametrize("mode", MODES)
async def test_sqlite_reads_and_searches_vectors_stored_as_json_text(mode: str, tmp_path: Path) -> None:
    # Earlier versions (and other programs) stored vectors as JSON text.
    api = Api(mode)
    database = ormada.connect(f"sqlite:///{tmp_path / 'json.db'}")
    try:
        database.create_all([VecDoc])
        await api.execute(database, "INSERT INTO vec_doc (lang, title, embedding) VALUES ('en', 'json', :e)",
                          {"e": "[1, 0, 0, 0, 0, 0, 0, 0.5]"})
        await api(VecDoc, "create", lang="en", title="blob", embedding=[0.0] * 7 + [1.0])
        found = await api.list(VecDoc.nearest("embedding", [1.0] + [0.0] * 7, metric="l2"))
        assert [d.title for d in found] == ["json", "blob"]
        assert found[0].embedding == [1.0] + [0.0] * 6 + [0.5] and found[0].distance == pytest.approx(0.5)
        assert found[1].distance == pytest.approx(math.sqrt(2))
    finally:
        await database.aclose()
