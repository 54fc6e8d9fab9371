"""``ormada inspect`` on the live Cassandra: a keyspace's tables and user types → generated
models → ``create_all`` in an empty keyspace gives the same ``system_schema``, and the
generated models read the original rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.introspect.conftest import importing, models_of, unique_stem
from tests.introspect.test_inspect_sql import _lint
from tests.live.cassandra.conftest import HOSTS, _one, _schema_change
from tests.live.cassandra.live_inspect_models import DB, MODELS, InsAddress, InsGeo, InsHits, InsReading

import ormada
from ormada import introspect


@pytest.fixture(scope="module")
def keyspaces() -> Iterator[tuple[str, str]]:
    """Two fresh keyspaces: the models' tables go in the first, the generated ones in the second."""
    names = (f"ormada_insp_{uuid.uuid4().hex[:8]}", f"ormada_insp_{uuid.uuid4().hex[:8]}")
    urls = tuple(f"cassandra://{HOSTS}/{name}" for name in names)
    made = []
    for i, url in enumerate(urls):
        db = ormada.connect(url, name=DB if i == 0 else f"{DB}_empty")
        db.run(_one(_schema_change(db.backend.create_keyspace(replication_factor=1))))
        made.append(db)
    try:
        made[0].create_all(MODELS)
        yield urls[0], urls[1]
    finally:
        for db in made:
            db.run(_one(_schema_change(db.backend.drop_keyspace())))
            db.close()


def seed() -> None:
    home = InsAddress(street="Rue 1", zip=75001, geo=InsGeo(lat=48.8, lon=2.3))
    InsReading(sensor="s1", day=dt.date(2024, 1, 1), at=dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC), seq=1,
               value=1.5, site="roof", tags={"hot"}, history=[1, 2], limits={"max": Decimal("9.5")},
               pair=(1, "a"), frozen_tags=["x"], home=home, stamp=uuid.uuid1(), big=2**40, small=7, note="n",
               embedding=[1.0, 0.5, 0.25], extra=b"\x01").save()
    InsHits.filter(page="home").update(hits__incr=5)


def test_round_trip_on_cassandra(keyspaces: tuple[str, str], tmp_path: Path) -> None:
    with importing(tmp_path) as importer:
        _round_trip(keyspaces, tmp_path, importer)


def _round_trip(keyspaces: tuple[str, str], tmp_path: Path, importer: Any) -> None:
    source, empty = keyspaces
    seed()
    before = introspect.describe(source)
    assert [t.name for t in before.tables] == ["ins_hits", "ins_reading"]
    assert [u.name for u in before.user_types] == ["ins_address", "ins_geo"]
    stem = unique_stem()
    introspect.write_file(before, tmp_path / f"{stem}.py", views=True, managers=True)
    text = (tmp_path / f"{stem}.py").read_text()
    for line in ('    at: Annotated[dt.datetime, ClusteringKey(order="desc")]',
                 "    day: Annotated[dt.date, PartitionKey()]",
                 "    site: Annotated[str | None, Static()] = None",
                 "    hits: Annotated[int, Counter()] = 0",
                 "    tags: set[str] = set()",
                 "    frozen_tags: Annotated[list[str] | None, Frozen()] = None",
                 "    embedding: Annotated[list[float] | None, Vector(3)] = None",
                 "    home: InsAddress | None = None",
                 "    geo: InsGeo | None = None",
                 "    note: Annotated[str | None, Indexed()] = None",
                 "        default_ttl = 86400",
                 '        options = {"comment": "raw data"}',
                 '        indexes = [VectorIndex("embedding", metric="l2")]'):
        assert line in text, line
    module = importer(stem)
    models = models_of(module)
    target = ormada.connect(empty)  # the generated models use the default database
    try:
        target.create_all(models)
        after = introspect.describe(empty)
        assert after.tables == before.tables and after.user_types == before.user_types
    finally:
        target.close()
    reader = ormada.connect(source)
    try:
        row = module.InsReading.filter(sensor="s1", day=dt.date(2024, 1, 1)).get()
        assert (row.value, row.site, row.tags, row.history, row.limits) == (1.5, "roof", {"hot"}, [1, 2],
                                                                           {"max": Decimal("9.5")})
        assert row.home.geo.lat == 48.8 and row.pair == (1, "a") and row.big == 2**40
        assert module.InsHits.get(page="home").hits == 5
        # The same file, inspected again, is left alone.
        again = introspect.write_file(introspect.describe(source), tmp_path / f"{stem}.py")
        assert again.written == [] and set(again.tables.values()) == {"unchanged"}
        # As a package: the user types in a module of their own, a module per table.
        name = unique_stem("pkg")
        introspect.write_package(introspect.describe(source), tmp_path / name, views=True, managers=True)
        assert sorted(p.name for p in (tmp_path / name).glob("*.py")) == [
            "__init__.py", "ins_hits.py", "ins_reading.py", "managers.py", "user_types.py", "views.py"]
        package = importer(name)
        row = package.InsReading.filter(sensor="s1", day=dt.date(2024, 1, 1)).get()
        assert row.home.street == "Rue 1"
        assert importer(f"{name}.views").InsReadingView.apply(row).home.zip == 75001
        assert importer(f"{name}.managers").InsHitsManagerBase.get("home").hits == 5
    finally:
        reader.close()
    _lint([tmp_path / f"{stem}.py", tmp_path / f"{stem}_managers.py"], tmp_path)


def test_the_command_reads_a_keyspace(keyspaces: tuple[str, str]) -> None:
    from typer.testing import CliRunner

    from ormada.cli import app

    result = CliRunner().invoke(app, ["--url", keyspaces[0], "inspect", "--tables", "ins_hits"],
                                env={"ORMADA_URL": None, "ORMADA_MODELS": None})
    assert result.exit_code == 0, result.stderr
    assert "class InsHits(Model):" in result.stdout and "hits: Annotated[int, Counter()] = 0" in result.stdout
    assert "InsReading" not in result.stdout


def test_a_missing_keyspace_table_is_named(keyspaces: tuple[str, str]) -> None:
    with pytest.raises(ormada.ConfigurationError, match="no table 'nope'"):
        introspect.describe(keyspaces[0], ["nope"])
