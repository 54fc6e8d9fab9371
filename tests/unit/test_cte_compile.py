"""CTEs compiled without a database: the WITH text on SQLite and PostgreSQL (asyncpg's
``$n``), parameters in the order of the text, and one compiled statement per shape."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

import ormada
from ormada import CTE, ForeignKey, Model, NotSupported, PrimaryKey

from .helpers import assert_compiles
from .models import POSTGRES, SQLITE


def define(database_name: str) -> Any:
    class Part(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        name: str
        parent: Annotated[Part | None, ForeignKey("self", related_name="parts")] = None

        class Meta:
            database = database_name
            table = f"part_{database_name}"

    return Part


SqlitePart, PgPart = define(SQLITE), define(POSTGRES)


def test_a_cte_read_by_in_on_sqlite() -> None:
    named = CTE("named", SqlitePart.filter(name__in=["a", "b"]))
    assert_compiles(
        SqlitePart.query().with_cte(named).filter(id__in=named, name="c"),
        "WITH named AS (SELECT part_unit_sqlite.id AS id, part_unit_sqlite.name AS name, "
        "part_unit_sqlite.parent_id AS parent_id FROM part_unit_sqlite WHERE part_unit_sqlite.name IN (?, ?)) "
        "SELECT part_unit_sqlite.id, part_unit_sqlite.name, part_unit_sqlite.parent_id FROM part_unit_sqlite "
        "WHERE part_unit_sqlite.id IN (SELECT named.id FROM named) AND part_unit_sqlite.name = ?",
        ["a", "b", "c"])


def test_a_tree_walk_on_postgresql_numbers_its_parameters_in_text_order() -> None:
    assert_compiles(
        PgPart.filter(name="x").descendants(7, max_depth=3).order_by("depth"),
        "WITH RECURSIVE part_unit_pg_descendants(id, name, parent_id, depth, ormada_path) AS "
        "(SELECT part_unit_pg.id AS id, part_unit_pg.name AS name, part_unit_pg.parent_id AS parent_id, 1 AS depth, "
        "CAST(',' || CAST(part_unit_pg.id AS VARCHAR) || ',' AS TEXT) AS ormada_path FROM part_unit_pg "
        "WHERE part_unit_pg.id != $1::INTEGER AND part_unit_pg.parent_id = $2::INTEGER "
        "UNION ALL SELECT part_unit_pg.id AS id, part_unit_pg.name AS name, part_unit_pg.parent_id AS parent_id, "
        "part_unit_pg_descendants.depth + 1 AS anon_1, "
        "CAST(part_unit_pg_descendants.ormada_path || CAST(part_unit_pg.id AS VARCHAR) || ',' AS TEXT) AS anon_2 "
        "FROM part_unit_pg, part_unit_pg_descendants WHERE part_unit_pg.id != $3::INTEGER "
        "AND part_unit_pg.parent_id = part_unit_pg_descendants.id "
        "AND (part_unit_pg_descendants.ormada_path NOT LIKE '%' || "
        "CAST(',' || CAST(part_unit_pg.id AS VARCHAR) || ',' AS TEXT) || '%') "
        "AND part_unit_pg_descendants.depth < $4::INTEGER) "
        "SELECT part_unit_pg_descendants.id, part_unit_pg_descendants.name, part_unit_pg_descendants.parent_id, "
        "part_unit_pg_descendants.depth FROM part_unit_pg_descendants "
        "WHERE part_unit_pg_descendants.name = $5::VARCHAR ORDER BY part_unit_pg_descendants.depth ASC",
        [7, 7, 7, 3, "x"])


@pytest.mark.parametrize("model", [SqlitePart, PgPart], ids=["sqlite", "postgresql"])
def test_one_compile_per_shape(model: Any) -> None:
    cache = ormada.get_database(model.__ormada__.database).backend.compiler._cache
    first = model.ancestors(1, max_depth=4).filter(name__in=["a", "b"]).statement()
    size = len(cache)
    second = model.ancestors(2, max_depth=9).filter(name__in=["c", "d"]).statement()
    assert (second.text, len(cache)) == (first.text, size)
    assert list(first.params) != list(second.params)
    other = model.ancestors(2, include_self=True).filter(name__in=["c", "d"]).statement()
    assert other.text != first.text and len(cache) == size + 1


def test_counts_and_writes() -> None:
    walk = SqlitePart.descendants(1)
    backend = ormada.get_database(SQLITE).backend
    count = backend.count(SqlitePart.__ormada__, walk.state)
    assert count.text.startswith("WITH RECURSIVE") and "SELECT count(*)" in count.text
    with pytest.raises(NotSupported, match=r"Part\.update\(\) of a QuerySet with a CTE"):
        backend.update(SqlitePart.__ormada__, walk.state, {"name": "x"})
    with pytest.raises(NotSupported, match=r"Part\.aggregate\(\) of a QuerySet with a CTE"):
        walk.aggregate(n=ormada.Count("id"))
