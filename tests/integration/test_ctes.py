"""Common table expressions: ``with_cte()``, reading a CTE's rows, joining one, recursive
CTEs and the tree walks ``descendants()`` / ``ancestors()``, on every SQL backend, sync and async."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ormada
from ormada import CTE, Column, ForeignKey, Model, NotSupported, PrimaryKey, Q, QueryError
from tests.conftest import Api, database_url, models_database


class Category(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str
    # A column name of its own: the CTE's columns are the table's, read back by field.
    parent: Annotated[Category | None, ForeignKey("self", related_name="children"), Column("parent_ref")] = None

    class Meta:
        table = "cte_category"


class Shelf(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str


class Volume(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    title: str
    year: int
    shelf: Annotated[Shelf, ForeignKey(related_name="volumes")]
    category: Annotated[Category | None, ForeignKey(related_name="volumes")] = None


MODELS = [Category, Shelf, Volume]


@pytest.fixture
async def cdb(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with models_database(backend, request, tmp_path, MODELS) as database:
        yield database


@pytest.fixture
async def tree(cdb: ormada.Database) -> dict[str, int]:
    """science ─┬─ physics ── optics
                └─ biology ─┬─ botany
                            └─ zoology ── insects
    arts ── music"""
    ids: dict[str, int] = {}
    for name, parent in (("science", None), ("physics", "science"), ("optics", "physics"), ("biology", "science"),
                         ("botany", "biology"), ("zoology", "biology"), ("insects", "zoology"), ("arts", None),
                         ("music", "arts")):
        ids[name] = Category.create(name=name, parent_id=ids[parent] if parent else None).id  # type: ignore[assignment]
    return ids


@pytest.fixture
async def library(cdb: ormada.Database, tree: dict[str, int]) -> dict[str, int]:
    north, south = Shelf.create(name="north"), Shelf.create(name="south")
    Volume.bulk_create([
        Volume(title="Opticks", year=1704, shelf_id=north.id, category_id=tree["optics"]),
        Volume(title="Origin of Species", year=1859, shelf_id=north.id, category_id=tree["zoology"]),
        Volume(title="Silent Spring", year=1962, shelf_id=south.id, category_id=tree["biology"]),
        Volume(title="The Selfish Gene", year=1976, shelf_id=south.id, category_id=tree["zoology"]),
        Volume(title="Harmonielehre", year=1911, shelf_id=south.id, category_id=tree["music"]),
    ])
    return {"north": north.id, "south": south.id}  # type: ignore[dict-item]


async def names(api: Api, qs: Any) -> list[str]:
    return [row.name for row in await api(qs, "all")]


# -- WITH name AS (…) -----------------------------------------------------------------

async def test_filtering_by_a_cte_reads_one_statement(library: dict[str, int], api: Api) -> None:
    modern = CTE("modern", Volume.filter(year__gte=1900))
    qs = Shelf.query().with_cte(modern).filter(id__in=modern.col("shelf_id")).order_by("name")
    assert qs.statement().text.startswith("WITH modern AS")
    assert await names(api, qs) == ["south"]
    # The CTE's one column, or else its model's key, is what filter(…__in=cte) reads.
    assert [v.title for v in await api(Volume.query().with_cte(modern).filter(id__in=modern).order_by("year"),
                                       "all")] == ["Harmonielehre", "Silent Spring", "The Selfish Gene"]
    assert await api(Shelf.query().with_cte(modern).exclude(id__in=modern.col("shelf_id")), "count") == 1


async def test_rows_read_from_a_cte_become_instances_or_dicts(library: dict[str, int], api: Api) -> None:
    old = CTE("old", Volume.filter(year__lt=1950))
    rows = await api(old.queryset().order_by("-year"), "all")
    assert [(type(v), v.title) for v in rows] == [(Volume, "Harmonielehre"), (Volume, "Origin of Species"),
                                                  (Volume, "Opticks")]
    assert await api(old.queryset().filter(shelf_id=library["north"]).order_by("year").values("title", "year"),
                     "all") == [{"title": "Opticks", "year": 1704}, {"title": "Origin of Species", "year": 1859}]
    assert await api(old.queryset(), "count") == 3
    assert await api(old.queryset().filter(title="Opticks"), "exists") is True
    assert (await api(old.queryset(), "get", title__startswith="Harm")).year == 1911
    assert (await api(old.queryset().order_by("year"), "first")).title == "Opticks"  # type: ignore[union-attr]
    assert await api(old.queryset().order_by("year")[1:2].values_list("title", flat=True), "all") == [
        "Origin of Species"]
    # Instances read from a CTE are rows like any other: they save.
    volume = await api(old.queryset(), "get", title="Opticks")
    volume.year = 1705
    await api(volume, "save")
    assert (await api(Volume, "get", title="Opticks")).year == 1705
    # A CTE of some fields gives instances of those (and the key).
    narrow = CTE("narrow", Volume.filter(year__lt=1900).only("title"))
    assert sorted(v.title for v in await api(narrow.queryset(), "all")) == ["Opticks", "Origin of Species"]


async def test_several_ctes_and_one_reading_another(library: dict[str, int], api: Api) -> None:
    old = CTE("old", Volume.filter(year__lt=1950))
    north_old = CTE("north_old", old.queryset().filter(shelf_id=library["north"]))
    southern = CTE("southern", Shelf.filter(name="south"))
    # Attaching north_old attaches old too, before it.
    qs = Volume.query().with_cte(north_old).with_cte(southern).filter(
        Q(id__in=north_old) | Q(shelf_id__in=southern))
    text = qs.statement().text
    entries = re.findall(r'(\w+)"? AS \n\(', text)  # "old" is quoted where it is a keyword (PostgreSQL)
    assert entries == ["old", "north_old", "southern"]
    assert sorted(v.title for v in await api(qs, "all")) == [
        "Harmonielehre", "Opticks", "Origin of Species", "Silent Spring", "The Selfish Gene"]
    assert sorted(v.title for v in await api(north_old.queryset(), "all")) == ["Opticks", "Origin of Species"]
    # with_cte(name, queryset), and the CTE back by name.
    qs = Shelf.query().with_cte("recent", Volume.filter(year__gt=1960))
    assert await names(api, qs.filter(id__in=qs.cte("recent").col("shelf_id"))) == ["south"]


async def test_values_inside_ctes_are_bound_in_order(library: dict[str, int], cdb: ormada.Database,
                                                     api: Api) -> None:
    first = CTE("first_cte", Volume.filter(year__gte=1800, title__contains="e"))
    second = CTE("second_cte", Shelf.filter(name__in=["south", "east", "west"]))
    qs = (Volume.query().with_cte(first).with_cte(second)
          .filter(id__in=first, shelf_id__in=second.col("id"), year__lt=1970).order_by("year"))
    statement = qs.statement()
    # Every value is a parameter, in the order its placeholder comes in the text: the
    # first CTE's, the second's (an IN list padded to a power of two), then the query's.
    pattern = cdb.backend.text_pattern("contains", "e")  # type: ignore[attr-defined]
    assert statement.params == [1800, pattern, "south", "east", "west", "west", 1970]
    assert len(placeholders(statement.text)) == 7
    assert "1800" not in statement.text and "south" not in statement.text
    assert [v.title for v in await api(qs, "all")] == ["Harmonielehre", "Silent Spring"]


def placeholders(text: str) -> list[str]:
    return re.findall(r"\?|%s|\$\d+", text)


async def test_placeholders_follow_the_text_on_each_dialect(library: dict[str, int], api: Api) -> None:
    tree_walk = Category.filter(name__in=["science", "arts", "x", "y"]).descendants(
        Category.get(name="biology"), max_depth=2).filter(name__startswith="z")
    statement = tree_walk.statement()
    marks = placeholders(statement.text)
    assert len(marks) == len(statement.params)
    if marks[0].startswith("$"):  # asyncpg numbers them in the order of the text
        assert marks == [f"${i}" for i in range(1, len(marks) + 1)]
    biology = Category.get(name="biology").id
    # The walk's start (the base rows are its children but never itself, nor are the step's),
    # its depth limit, then the outer filters.
    assert statement.params[:4] == [biology, biology, biology, 2]
    assert statement.params[4:8] == ["science", "arts", "x", "y"]
    startswith = statement.params[8:]  # the pattern as the backend binds it (SQLite: a range from "z", twice)
    assert startswith and all("z" in str(p) for p in startswith)
    assert await names(api, Category.descendants(biology, max_depth=2).filter(name__startswith="z")) == ["zoology"]


async def test_join_cte_keeps_the_rows_joined_to_it(library: dict[str, int], api: Api) -> None:
    modern = CTE("modern", Volume.filter(year__gte=1900))
    qs = Shelf.query().join_cte(modern, id="shelf_id").order_by("name")
    assert await names(api, qs) == ["south", "south", "south"]  # once per joined row, as a JOIN
    assert await names(api, qs.distinct()) == ["south"]
    assert await api(qs, "count") == 3


# -- trees ----------------------------------------------------------------------------

async def test_descendants_with_their_depth(tree: dict[str, int], api: Api) -> None:
    science = await api(Category, "get", name="science")
    rows = await api(Category.descendants(science).order_by("depth", "name"), "all")
    assert [(c.name, c.depth) for c in rows] == [("biology", 1), ("physics", 1), ("botany", 2), ("optics", 2),
                                                 ("zoology", 2), ("insects", 3)]
    assert all(isinstance(c, Category) for c in rows)
    assert "depth" not in rows[0].model_dump()
    assert await api(Category.descendants(tree["science"], max_depth=1).order_by("name").values("name", "depth"),
                     "all") == [{"name": "biology", "depth": 1}, {"name": "physics", "depth": 1}]
    assert await api(Category.descendants(tree["biology"], include_self=True).order_by("depth", "name")
                     .values_list("name", "depth"), "all") == [("biology", 0), ("botany", 1), ("zoology", 1),
                                                               ("insects", 2)]
    assert await api(Category.descendants(tree["biology"], include_self=True, max_depth=0), "count") == 1
    # A QuerySet's own filters apply to the rows found, and more can follow.
    assert await names(api, Category.filter(name__endswith="y").descendants(science).exclude(name="biology")
                       .order_by("name")) == ["botany", "zoology"]
    assert await api(Category.descendants(tree["insects"]), "exists") is False
    assert await api(Category.descendants(tree["arts"]).values_list("name", flat=True), "all") == ["music"]


async def test_ancestors_with_their_depth(tree: dict[str, int], api: Api) -> None:
    assert await api(Category.ancestors(tree["insects"]).order_by("depth").values_list("name", "depth"), "all") == [
        ("zoology", 1), ("biology", 2), ("science", 3)]
    insects = await api(Category, "get", name="insects")
    assert await names(api, Category.ancestors(insects, include_self=True, max_depth=1).order_by("-depth")) == [
        "zoology", "insects"]
    assert await api(Category.ancestors(tree["science"]), "count") == 0
    assert await api(Category.ancestors(tree["optics"], via="parent_id").values_list("name", flat=True)
                     .order_by("-depth"), "all") == ["science", "physics"]


async def test_a_tree_walk_reads_across_relations_and_prefetches(library: dict[str, int], tree: dict[str, int],
                                                                 api: Api) -> None:
    # Volumes in biology or below: a walk used as a subquery.
    below = CTE.recursive("below", Category.filter(id=tree["biology"]),
                          lambda below: Category.query().join_cte(below, parent_id="id"))
    volumes = Volume.query().with_cte(below).filter(category_id__in=below).order_by("year")
    assert [v.title for v in await api(volumes, "all")] == ["Origin of Species", "Silent Spring",
                                                            "The Selfish Gene"]
    found = await api(Category.descendants(tree["science"]).filter(volumes__year__gt=1900).distinct()
                      .order_by("name").prefetch_related("volumes"), "all")
    assert [(c.name, c.depth, sorted(v.title for v in c.volumes)) for c in found] == [
        ("biology", 1, ["Silent Spring"]), ("zoology", 2, ["Origin of Species", "The Selfish Gene"])]


@pytest.mark.requires("update_indexed_columns_of_referenced_rows")  # closes a cycle
async def test_a_cycle_ends_each_row_once(cdb: ormada.Database, api: Api) -> None:
    a = await api(Category, "create", name="a")
    b = await api(Category, "create", name="b", parent_id=a.id)
    c = await api(Category, "create", name="c", parent_id=b.id)
    d = await api(Category, "create", name="d", parent_id=c.id)
    a.parent_id = c.id  # a -> c -> b -> a, with d hanging from c
    await api(a, "save")
    found = await api(Category.descendants(a).order_by("depth").values_list("name", "depth"), "all")
    assert found == [("b", 1), ("c", 2), ("d", 3)]  # not a itself, though the cycle leads back to it
    assert await api(Category.descendants(a, include_self=True).order_by("depth", "name")
                     .values_list("name", flat=True), "all") == ["a", "b", "c", "d"]
    assert await api(Category.ancestors(d).order_by("depth").values_list("name", "depth"), "all") == [
        ("c", 1), ("b", 2), ("a", 3)]
    assert await api(Category.ancestors(b, include_self=True).order_by("depth").values_list("name", "depth"),
                     "all") == [("b", 0), ("a", 1), ("c", 2)]
    assert await api(Category.ancestors(b).values_list("name", flat=True).order_by("depth"), "all") == ["a", "c"]
    # A row that is its own parent is neither above nor below itself.
    d.parent_id = d.id
    await api(d, "save")
    assert await api(Category.descendants(d), "count") == 0
    assert await api(Category.ancestors(d), "count") == 0
    assert await api(Category.descendants(d, include_self=True).values_list("name", "depth"), "all") == [("d", 0)]


async def test_a_general_recursive_cte(tree: dict[str, int], api: Api) -> None:
    # Roots and everything under them, but not into "biology".
    qs = Category.query().with_recursive(
        "walk", Category.filter(parent_id__isnull=True),
        lambda walk: Category.query().join_cte(walk, parent_id="id").exclude(name="biology"), max_depth=2)
    walk = qs.cte("walk")
    assert await api(walk.queryset().order_by("depth", "name").values_list("name", "depth"), "all") == [
        ("arts", 0), ("science", 0), ("music", 1), ("physics", 1), ("optics", 2)]
    assert await names(api, qs.filter(id__in=walk).filter(name__startswith="s")) == ["science"]


# Random forests: each node's parent is an earlier node or none; a few get a later parent
# too, which may close a cycle. Python walks the same links.
forests = st.integers(min_value=1, max_value=12).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.one_of(st.none(), st.integers(0, n - 1)), min_size=n, max_size=n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2)))


Forest = tuple[int, list[int | None], list[tuple[int, int]]]


def walk(start: int, links: dict[int, list[int]]) -> dict[int, int]:
    """The nodes reachable from ``start`` along ``links`` but ``start`` itself, each with the
    depth of the one path that reaches it without repeating a node."""
    found: dict[int, int] = {}
    frontier = [(n, 1, (start, n)) for n in links.get(start, []) if n != start]
    while frontier:
        node, depth, path = frontier.pop()
        found[node] = depth
        frontier.extend((m, depth + 1, (*path, m)) for m in links.get(node, []) if m not in path)
    return found


@pytest.mark.requires("update_indexed_columns_of_referenced_rows")  # relinks rows with children
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forest=forests)
async def test_walks_match_python_on_random_forests(cdb: ormada.Database, api: Api, forest: Forest) -> None:
    n, parents, relinks = forest
    # Unlinked first: MariaDB checks the foreign key row by row as it deletes.
    await api(Category.query(), "update", parent_id=None)
    await api(Category.query(), "delete")
    nodes = [await api(Category, "create", name=f"n{i}") for i in range(n)]
    parent_of: dict[int, int | None] = {}
    for i, p in enumerate(parents):
        parent_of[i] = p if p is not None and p < i else None
    for child, p in relinks:
        parent_of[child] = p if p != child else None
    for i, node in enumerate(nodes):
        node.parent_id = None if parent_of[i] is None else nodes[parent_of[i]].id  # type: ignore[index]
        await api(node, "save")
    children: dict[int, list[int]] = {}
    for i, p in parent_of.items():
        if p is not None:
            children.setdefault(p, []).append(i)
    up = {i: [p] for i, p in parent_of.items() if p is not None}
    index = {node.id: i for i, node in enumerate(nodes)}
    for i, node in enumerate(nodes):
        below = await api(Category.descendants(node).values_list("id", "depth"), "all")
        assert {index[k]: d for k, d in below} == walk(i, children)
        assert len(below) == len({k for k, _ in below})  # each row once, cycles or not
        above = await api(Category.ancestors(node.id).values_list("id", "depth"), "all")
        assert {index[k]: d for k, d in above} == walk(i, up)


async def test_a_query_with_a_cte_as_the_value_of_in(tree: dict[str, int], api: Api) -> None:
    inner = Category.descendants(tree["science"]).filter(name__startswith="b").values_list("id", flat=True)
    assert await names(api, Category.filter(id__in=inner).order_by("name")) == ["biology", "botany"]
    # Its plan, through the same statement (on MariaDB: SET STATEMENT … FOR EXPLAIN …).
    plan = await api(Category.descendants(tree["science"]), "explain")
    assert "cte_category" in plan


# -- compiled once per shape ---------------------------------------------------------

async def test_queries_differing_in_values_share_one_compiled_statement(tree: dict[str, int],
                                                                        cdb: ormada.Database) -> None:
    compiler = cdb.backend.compiler  # type: ignore[attr-defined]
    first = Category.descendants(tree["science"], max_depth=2).filter(name__startswith="b").statement()
    size = len(compiler._cache)
    second = Category.descendants(tree["arts"], max_depth=5).filter(name__startswith="m").statement()
    assert second.text == first.text and len(compiler._cache) == size
    assert second.params != first.params
    # Another structure inside the CTE is another statement.
    third = Category.descendants(tree["arts"]).filter(name__startswith="m").statement()
    assert third.text != first.text and len(compiler._cache) == size + 1
    one = CTE("c", Category.filter(name="x"))
    other = CTE("c", Category.filter(name="y"))
    assert (Category.query().with_cte(one).filter(id__in=one).statement().text
            == Category.query().with_cte(other).filter(id__in=other).statement().text)


# -- refused before anything is sent ----------------------------------------------------

async def test_bad_input_is_refused_before_anything_is_sent(library: dict[str, int], tree: dict[str, int],
                                                             api: Api) -> None:
    with pytest.raises(QueryError, match=r"CTE 'cte_category': 'cte_category' is the table of Category"):
        CTE("cte_category", Category.query())
    with pytest.raises(QueryError, match=r"a CTE's name is letters, digits and _"):
        CTE("two words", Category.query())
    one, other = CTE("c", Category.filter(name="x")), CTE("c", Category.filter(name="y"))
    with pytest.raises(QueryError, match=r"Category: a CTE named 'c' is attached already"):
        Category.query().with_cte(one).with_cte(other)
    with pytest.raises(QueryError, match=r"the step yields id, name \(Category\) and the base id, name, parent_id"):
        CTE.recursive("r", Category.query(), lambda r: Category.query().join_cte(r, parent_id="id").only("name"))
    with pytest.raises(QueryError, match=r"the CTE 'r' is being defined: inside its own step, join it"):
        CTE.recursive("r", Category.query(), lambda r: Category.query().join_cte(r, parent_id="id")
                      .filter(id__in=r))
    with pytest.raises(QueryError, match=r"the step must join the CTE"):
        CTE.recursive("r", Category.query(), lambda r: Category.filter(name="x"))
    with pytest.raises(QueryError, match=r"Category.descendants\(via='volumes'\): Category has no ForeignKey "
                                         r"'volumes'.*\(here: parent\)"):
        Category.descendants(tree["science"], via="volumes")
    with pytest.raises(QueryError, match=r"Volume.descendants\(via='shelf'\): 'shelf' is a ForeignKey to Shelf, "
                                         r"not to Volume itself"):
        Volume.descendants(1, via="shelf")
    with pytest.raises(QueryError, match=r"Category\.id: invalid value 'x'"):
        Category.ancestors("x")
    with pytest.raises(QueryError, match=r"Category.descendants\(max_depth=0\): takes an int of at least 1"):
        Category.descendants(tree["science"], max_depth=0)
    with pytest.raises(QueryError, match=r"the Category given has no id \(it is not saved\)"):
        Category.descendants(Category(name="new"))
    old = CTE("old", Volume.filter(year__lt=1950))
    with pytest.raises(QueryError, match=r"the query refers to the CTE 'old', which it does not attach"):
        await api(Shelf.filter(id__in=old.col("shelf_id")), "all")
    with pytest.raises(QueryError, match=r"the CTE 'old' has no column 'shelf'; did you mean 'shelf_id'"):
        old.col("shelf")
    with pytest.raises(QueryError, match=r"Volume rows read from the CTE 'narrow': it has no column 'year'"):
        await api(CTE("narrow", Volume.query().only("title")).queryset().filter(year=1), "all")
    with pytest.raises(NotSupported, match=r"Volume.update\(\) of a QuerySet with a CTE"):
        await api(old.queryset(), "update", year=1)
    with pytest.raises(NotSupported, match=r"Shelf.delete\(\) of a QuerySet with a CTE"):
        await api(Shelf.query().with_cte(old).filter(id__in=old.col("shelf_id")), "delete")
    assert await api(Volume, "count") == 5


async def test_a_walk_deeper_than_mariadbs_default_recursion_limit_is_complete(cdb: ormada.Database,
                                                                              api: Api) -> None:
    # MariaDB stops a recursive CTE after max_recursive_iterations rounds (1000 by default)
    # and returns what it has so far; ormada lifts the limit for its own, which always end.
    n = 1100
    await api(Category, "bulk_create", [Category(id=i, name=f"n{i}", parent_id=i - 1 if i > 1 else None)
                                        for i in range(1, n + 1)])
    assert await api(Category.descendants(1), "count") == n - 1
    deepest = await api(Category.ancestors(n).order_by("-depth"), "first")
    assert (deepest.id, deepest.depth) == (1, n - 1)
    assert await api(Category.descendants(1, max_depth=1050).filter(id__gt=1040), "count") == 11


@pytest.mark.requires("update_indexed_columns_of_referenced_rows")  # closes a cycle
def test_the_readme_example_prints_what_it_says(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib
    import io

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("<!-- ctes-example -->"):].split("```python\n", 1)[1].split("```", 1)[0]
    # What it prints follows each print() as a comment holding a list, a dict or a number.
    expected = [line[2:] for line in block.splitlines() if re.match(r"# [\[{\d]", line)]
    assert len(expected) == 8
    # Its models are its own; under names of their own so they stay apart from the tests' (and
    # from the other backends' runs), on the backend's database.
    code = re.sub(r"\b(Topic|Post)\b", rf"Readme{backend.capitalize()}\1", block)
    connect = 'ormada.connect("sqlite:///topics.db")'
    assert code.count(connect) == 1
    code = code.replace(connect, f"ormada.connect({database_url(backend, request, tmp_path)!r})")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec", dont_inherit=True), {"__name__": "readme_ctes"})
    assert out.getvalue().splitlines() == expected
