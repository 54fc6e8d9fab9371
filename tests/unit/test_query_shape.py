"""``QueryShape``: the one compile-cache key, holding everything a statement's text depends on.

Each field of ``QueryState`` either changes the shape (and so the statement) or is declared
to stay out of statements; a field added to the state without that decision fails here,
instead of letting two queries share one cached text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any

import pytest

import ormada
from ormada import Count, ForeignKey, Model, PrimaryKey, Rank, Vector, Window
from ormada.query.shape import NOT_IN_STATEMENT, QueryShape, read_shape
from ormada.query.state import QueryState

from .models import POSTGRES, SQLITE


def define(database_name: str) -> SimpleNamespace:
    class ShapeWriter(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        name: str

        class Meta:
            database = database_name

    class ShapeNovel(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        title: str
        year: int
        writer: Annotated[ShapeWriter, ForeignKey(related_name="novels")]
        embedding: Annotated[list[float] | None, Vector(2)] = None

        class Meta:
            database = database_name

    return SimpleNamespace(Writer=ShapeWriter, Novel=ShapeNovel, database=database_name)


MODELS = {"sqlite": define(SQLITE), "postgresql": define(POSTGRES)}


def base(m: SimpleNamespace) -> Any:
    return m.Novel.filter(year=1)


def recent(m: SimpleNamespace) -> Any:
    return ormada.CTE("recent", m.Novel.filter(year__gte=2000))


# For each QueryState field: two queries differing in that field alone.
CHANGES: dict[str, Callable[[SimpleNamespace], tuple[QueryState, QueryState]]] = {
    "where": lambda m: (base(m).state, m.Novel.filter(year__gt=1).state),
    "order_by": lambda m: (base(m).state, base(m).order_by("-year").state),
    "limit": lambda m: (base(m).state, base(m)[:5].state),
    "offset": lambda m: (base(m).state, base(m)[2:].state),
    "columns": lambda m: (base(m).state, base(m).only("id", "title").state),
    "distinct": lambda m: (base(m).state, base(m).distinct().state),
    "joins": lambda m: (base(m).state, base(m).select_related("writer").state),
    "prefetch": lambda m: (base(m).state, base(m).prefetch_related("writer").state),
    "annotations": lambda m: (base(m).state, base(m).annotate(n=Count("id")).state),
    "group_by": lambda m: (base(m).annotate(n=Count("id")).state,
                           base(m).annotate(n=Count("id")).state.evolve(group_by=("title",))),
    "having": lambda m: (base(m).annotate(n=Count("id")).state, base(m).annotate(n=Count("id")).filter(n__gt=1).state),
    "combined": lambda m: (base(m).state, base(m).union(m.Novel.filter(year=2)).state),
    "lock": lambda m: (base(m).state, base(m).select_for_update().state),
    "distinct_on": lambda m: (base(m).state, base(m).distinct("title").state),
    # A CTE's query is part of the shape (tests/unit/test_cte_compile.py: its structure, never its values).
    "ctes": lambda m: (base(m).state, base(m).with_cte("titled", m.Novel.filter(title="x")).state),
    "source": lambda m: (base(m).with_cte(recent(m)).state, base(m).with_cte(recent(m)).state.evolve(source="recent")),
    "cte_joins": lambda m: (base(m).with_cte(recent(m)).state, base(m).join_cte(recent(m), id="id").state),
    "qualify": lambda m: (base(m).annotate(r=Window(Rank(), order_by="year")).state,
                          base(m).annotate(r=Window(Rank(), order_by="year")).filter(r=1).state),
    # What rows become changes the text only through the joined columns it reads.
    "shape": lambda m: (base(m).state, base(m).state.evolve(shape="tuples")),
    "nearest": lambda m: (base(m).state, base(m).nearest("embedding", [1.0, 0.5]).state),
    "cache": lambda m: (base(m).state, base(m).cache(False).state),
    "using": lambda m: (base(m).state, base(m).state.evolve(using=m.database)),
}
SHAPE_WITH_JOINS: Callable[[SimpleNamespace], tuple[QueryState, QueryState]] = lambda m: (  # noqa: E731
    base(m).select_related("writer").state, base(m).select_related("writer").state.evolve(shape="tuples"))
# Options reach the text on Cassandra only (SQL backends refuse them): tests/unit/cassandra.
CQL_ONLY = {"options"}
# Row locks and DISTINCT ON reach the text on PostgreSQL only (SQLite refuses them before compiling).
POSTGRES_ONLY = {"lock", "distinct_on"}


def test_every_state_field_is_in_the_shape_or_declared_out_of_statements() -> None:
    undecided = [f.name for f in dataclasses.fields(QueryState) if f.name not in CHANGES and f.name not in CQL_ONLY]
    assert undecided == [], (f"QueryState fields {undecided}: put each in QueryShape (read_shape) or in "
                             "NOT_IN_STATEMENT with a reason, then add a case to CHANGES here")


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_each_field_changes_the_shape_unless_declared_out(field: str) -> None:
    m = MODELS["sqlite"]
    info = m.Novel.__ormada__
    first, second = CHANGES[field](m)
    before = read_shape("select", info, first, "where")
    after = read_shape("select", info, second, "where" if field != "where" else "other")
    assert (before == after) is (field in NOT_IN_STATEMENT)


def _compile(m: SimpleNamespace, state: QueryState) -> str:
    backend = ormada.get_database(m.database).backend
    return backend.select(m.Novel.__ormada__, state).statement.text  # type: ignore[no-any-return]


@pytest.mark.parametrize(("backend", "field"), [
    (backend, field) for backend in ("sqlite", "postgresql") for field in [*sorted(CHANGES), "shape with joins"]
    if backend == "postgresql" or field not in POSTGRES_ONLY])
def test_a_compiled_text_is_reused_only_for_its_own_shape(backend: str, field: str) -> None:
    m = MODELS[backend]
    cache = ormada.get_database(m.database).backend.compiler._cache
    first, second = SHAPE_WITH_JOINS(m) if field == "shape with joins" else CHANGES[field](m)
    text = _compile(m, first)
    size = len(cache)
    assert _compile(m, first) == text and len(cache) == size  # the same shape: a look-up
    if field in NOT_IN_STATEMENT:
        assert _compile(m, second) == text and len(cache) == size
    else:
        assert _compile(m, second) != text
        assert len(cache) == size + 1, f"{field}: expected one new compile for the new shape"


def test_every_compile_cache_key_is_a_query_shape() -> None:
    m = MODELS["postgresql"]
    compiler = ormada.get_database(m.database).backend.compiler
    compiler._cache.clear()
    Writer, Novel = m.Writer, m.Novel
    backend = ormada.get_database(m.database).backend
    info = Novel.__ormada__
    Novel.filter(writer__name="x", year__in=Writer.filter(name="y").values_list("id", flat=True)).statement()
    Novel.filter(year=1).select_related("writer").order_by("-writer__name")[:3].statement()
    backend.count(info, Novel.filter(year=1).distinct().state)
    backend.exists(info, Novel.filter(year=1).state)
    backend.update(info, Novel.filter(year=1)[:2].state, {"year": 3})
    backend.delete(info, Novel.filter(writer__name="x").state)
    backend.insert(info, ("title", "year", "writer_id"), [("t", 1, 1)], ("id",))
    backend.upsert(info, ("id", "title", "year", "writer_id"), [(1, "t", 1, 1)], ("id",), ("title",))
    backend.update_rows(info, ("title",), [("t", 1)])
    assert len(compiler._cache) == 9
    assert all(isinstance(key, QueryShape) for key in compiler._cache)
    kinds = sorted(key.kind for key in compiler._cache)
    assert kinds == ["count", "delete", "exists", "insert", "select", "select", "update", "update_rows", "upsert"]


def test_a_subquery_is_a_shape_inside_the_where() -> None:
    m = MODELS["sqlite"]
    compiler = ormada.get_database(m.database).backend.compiler
    values: list[Any] = []
    inner = m.Writer.filter(name__startswith="A").order_by("name")
    state = m.Novel.filter(writer__in=inner).state
    shape = compiler._read_shape("select", m.Novel.__ormada__, state, values)
    nested = [part for part in _walk(shape.where) if isinstance(part, QueryShape)]
    assert len(nested) == 1
    assert nested[0].kind == "subquery" and nested[0].columns == ("id",)
    assert nested[0].order == ()  # without a window, order cannot change which keys IN sees
    assert values == ["A"]


def _walk(node: Any) -> Any:
    yield node
    if isinstance(node, tuple) and not isinstance(node, QueryShape):
        for part in node:
            yield from _walk(part)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_subquery_reads_its_one_column_even_from_a_select_related_query(backend: str) -> None:
    m = MODELS[backend]
    text = m.Novel.filter(id__in=m.Novel.filter(year=1).select_related("writer")).statement().text
    inner = text[text.index("IN (SELECT") + len("IN (SELECT"):]
    assert inner.split("FROM")[0].strip() == "shape_novel.id"
    assert "JOIN shape_writer AS j0" in inner  # the join stays: an inner join drops rows without a writer


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_transform_is_part_of_the_shape(backend: str) -> None:
    import datetime as dt

    from .models import postgres_models, sqlite_models

    models = sqlite_models if backend == "sqlite" else postgres_models
    Everything = models.Everything
    cache = models.database.backend.compiler._cache

    def text(**lookups: Any) -> str:
        return Everything.filter(**lookups).statement().text  # type: ignore[no-any-return]

    year = text(at__year=2024)
    assert text(at__month=12) != year
    assert text(at__day=12) != text(at__month=12) != text(at__hour=12) != text(at__minute=12)
    assert text(at__week_day=1) != text(at__day=1)
    assert text(at__year__in=[2024]) != text(at__month__in=[12])
    size = len(cache)
    assert text(at__year=1999) == year and len(cache) == size  # values are bound: one compile per shape
    assert text(at__date=dt.date(2024, 1, 1)) == text(at__date=dt.date(1999, 5, 6))
    # JSON keys are bound too: another key, or a deeper path, is the same statement.
    assert text(mapping__a=1) == text(mapping__b=2) == text(mapping__a__b__c=3)
    assert text(mapping__a=1) != text(mapping__a="x") != text(mapping__a__gt=1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_nearest_search_shape_holds_field_metric_and_distance_but_never_the_vector(backend: str) -> None:
    m = MODELS[backend]
    cache = ormada.get_database(m.database).backend.compiler._cache
    text = _compile(m, base(m).nearest("embedding", [1.0, 0.5])[:3].state)
    size = len(cache)
    assert _compile(m, base(m).nearest("embedding", [-2.0, 7.25])[:3].state) == text and len(cache) == size
    others = {_compile(m, base(m).nearest("embedding", [1.0, 0.5], metric=metric)[:3].state)
              for metric in ("l2", "inner")}
    others.add(_compile(m, base(m).nearest("embedding", [1.0, 0.5], distance=None)[:3].state))
    assert len(others | {text}) == 4 and len(cache) == size + 3
