"""``nearest()`` on a live Cassandra 5.0 node: ``ORDER BY … ANN OF ?`` through SAI vector
indexes whose similarity function is the metric's, sync and async, checked against a
brute-force ranking in Python (on a few dozen rows an ANN search finds the exact nearest)."""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Sequence
from typing import Annotated, Any

import pytest

import ormada
from ormada import Indexed, NotSupported, PrimaryKey, Vector, VectorIndex

DB = "cassandra_live"
DIMENSIONS = 4


class LiveVecCosine(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    lang: Annotated[str, Indexed(using="sai")] = "en"
    embedding: Annotated[list[float] | None, Vector(DIMENSIONS)] = None

    class Meta:
        database = DB
        table = "live_vec_cosine"
        indexes = [VectorIndex("embedding", metric="cosine")]


class LiveVecL2(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    embedding: Annotated[list[float], Vector(DIMENSIONS)]

    class Meta:
        database = DB
        table = "live_vec_l2"
        indexes = [VectorIndex("embedding", metric="l2")]


class LiveVecDot(ormada.Model):
    id: Annotated[int, PrimaryKey()]
    embedding: Annotated[list[float], Vector(DIMENSIONS)]

    class Meta:
        database = DB
        table = "live_vec_dot"
        indexes = [VectorIndex("embedding", metric="inner")]


class LiveVecSai(ormada.Model):
    """A vector under a plain SAI index (``Indexed(using="sai")``): COSINE, Cassandra's default."""

    id: Annotated[int, PrimaryKey()]
    embedding: Annotated[list[float], Vector(DIMENSIONS), Indexed(using="sai")]

    class Meta:
        database = DB
        table = "live_vec_sai"


MODELS: dict[str, Any] = {"cosine": LiveVecCosine, "l2": LiveVecL2, "inner": LiveVecDot}


def f32(values: Sequence[float]) -> list[float]:
    return list(struct.unpack(f"{len(values)}f", struct.pack(f"{len(values)}f", *values)))


def unit(values: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def brute_distance(metric: str, a: Sequence[float], b: Sequence[float]) -> float:
    if metric == "l2":
        return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if metric == "inner":
        return -dot
    return 1 - dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture(scope="module")
def db(keyspace: str) -> Any:
    database = ormada.get_database(DB)
    database.create_all([*MODELS.values(), LiveVecSai])
    rng = random.Random(11)
    # One row at a time: Cassandra 5.0's in-memory vector graph (jvector) fails writes when more
    # than a few threads add to it at once ("Number of outstanding pooled objects has gone beyond
    # the limit of 3" on this two-core machine), which bulk_create's concurrent inserts do.
    for model in (*MODELS.values(), LiveVecSai):
        # DOT_PRODUCT ranks unit vectors (its similarity is meant for normalised embeddings): all are.
        for i in range(30):
            model.create(id=i, embedding=unit([rng.uniform(-1, 1) for _ in range(DIMENSIONS)]))
    for i in range(5):
        LiveVecCosine.create(id=100 + i, lang="fr", embedding=unit([1.0, 0.5, -0.25, i + 1.0]))
    LiveVecCosine.create(id=200, lang="en")  # no vector: never a result
    return database


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("metric", ["cosine", "l2", "inner"])
async def test_ann_search_is_the_brute_force_ranking(db: Any, metric: str, mode: str) -> None:
    model = MODELS[metric]
    query = unit([0.3, -0.2, 0.9, 0.1])
    qs = model.nearest("embedding", query, metric=metric)[:6]
    found = await qs if mode == "async" else qs.all()
    rows = model.filter(id__in=list(range(30))).all() if metric != "cosine" else \
        LiveVecCosine.filter(lang="en").all()
    candidates = [r for r in rows if r.embedding is not None]
    if metric == "cosine":
        candidates += LiveVecCosine.filter(lang="fr").all()
    expected = sorted(candidates, key=lambda r: brute_distance(metric, r.embedding, f32(query)))[:6]
    assert [r.id for r in found] == [r.id for r in expected]
    for row in found:
        assert row.distance == pytest.approx(brute_distance(metric, row.embedding, f32(query)), abs=1e-6)
    assert "ANN OF" in qs.statement().text


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_ann_search_within_a_filter(db: Any, mode: str) -> None:
    query = unit([1.0, 0.5, -0.25, 3.2])
    qs = LiveVecCosine.filter(lang="fr").nearest("embedding", query, distance="score")[:3]
    found = await qs if mode == "async" else qs.all()
    french = LiveVecCosine.filter(lang="fr").all()
    expected = sorted(french, key=lambda r: brute_distance("cosine", r.embedding, f32(query)))[:3]
    assert [r.id for r in found] == [r.id for r in expected] and {r.lang for r in found} == {"fr"}
    assert found[0].score == pytest.approx(brute_distance("cosine", found[0].embedding, f32(query)), abs=1e-6)
    assert "distance" not in found[0].__dict__


def test_a_plain_sai_index_serves_cosine_only(db: Any) -> None:
    query = unit([0.5, 0.5, 0.5, 0.5])
    found = LiveVecSai.nearest("embedding", query, distance=None)[:4].all()
    rows = LiveVecSai.query().all()
    expected = sorted(rows, key=lambda r: brute_distance("cosine", r.embedding, f32(query)))[:4]
    assert [r.id for r in found] == [r.id for r in expected]
    with pytest.raises(NotSupported, match=r"LiveVecSai\.nearest\('embedding', metric='l2'\): the SAI index on "
                                           r"embedding ranks by COSINE.*metric='cosine'"):
        LiveVecSai.nearest("embedding", query, metric="l2")[:4].all()


def test_what_cql_cannot_search_is_refused_with_the_reason(db: Any) -> None:
    query = unit([1.0, 0.0, 0.0, 0.0])
    with pytest.raises(NotSupported, match=r"ranks by EUCLIDEAN.*metric='l2'"):
        LiveVecL2.nearest("embedding", query, metric="cosine")[:3].all()
    with pytest.raises(NotSupported, match=r"ANN OF without a LIMIT; take the k nearest with \[:k\]"):
        LiveVecL2.nearest("embedding", query, metric="l2").all()
    with pytest.raises(NotSupported, match="orders by similarity alone"):
        LiveVecL2.nearest("embedding", query, metric="l2").order_by("id")[:3].all()
    assert LiveVecL2.nearest("embedding", query, metric="l2")[:3].count() == 3


def test_an_ivfflat_index_or_build_options_are_refused_on_cassandra(keyspace: str) -> None:
    class LiveVecIvf(ormada.Model):
        id: Annotated[int, PrimaryKey()]
        embedding: Annotated[list[float], Vector(DIMENSIONS)]

        class Meta:
            database = DB
            table = "live_vec_ivf"
            indexes = [VectorIndex("embedding", metric="l2", method="ivfflat", lists=4)]

    with pytest.raises(NotSupported, match=r"LiveVecIvf\.Meta\.indexes: .*no lists=4"):
        ormada.get_database(DB).create_all([LiveVecIvf])
