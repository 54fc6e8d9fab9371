"""``make bench``'s charts, drawn from a stored results file: one PNG per database and mode,
of the size the chart module sets, with a bar group per operation that has figures."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

from benchmarks import charts

STORED = Path(__file__).parent.parent / "data" / "bench_relations.json"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's signature and IHDR chunk (refusing anything else)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_a_chart_per_database_and_mode_from_stored_results(tmp_path: Path) -> None:
    shutil.copy(STORED, tmp_path / "relations.json")
    written = charts.write(tmp_path)
    assert [p.name for p in written] == ["relations-sqlite-async.png", "relations-sqlite-sync.png"]
    expected = (round(charts.SIZE_INCHES[0] * charts.DPI), round(charts.SIZE_INCHES[1] * charts.DPI))
    for path in written:
        assert path.parent == tmp_path / "charts"
        assert png_size(path) == expected
    assert charts.markdown(written, tmp_path) == (
        "![relations-sqlite-async](charts/relations-sqlite-async.png)\n"
        "![relations-sqlite-sync](charts/relations-sqlite-sync.png)")


def test_series_are_the_ratios_of_each_mapper_without_the_raw_driver() -> None:
    entries = json.loads(STORED.read_text())["results"]
    groups = charts.series("relations", entries)
    sync = groups[("sqlite", "sync")]
    assert sync["ops"][:5] == ["R1", "R2", "R3", "R4", "R5"]
    assert not any(name.startswith("raw") for name in sync["mappers"])
    ormada = next(e for e in entries if e["contender"] == "ormada" and e["mode"] == "sync")
    assert sync["mappers"][ormada["label"]]["R1"] == ormada["ops"]["R1"]["ratio"]
    # A cell without a figure (R6 is async only) has no bar.
    assert sync["mappers"][ormada["label"]]["R6"] is None


def test_cassandra_time_ratios_are_turned_into_throughput_ratios() -> None:
    entry = {"db": "cassandra", "mode": "sync", "contender": "ormada", "label": "ormada",
             "ops": {"get": {"time_ratio": 1.25}, "insert": {"error": "boom"}}}
    ratios = charts.series("cassandra", [entry])[("cassandra", "sync")]["mappers"]["ormada"]
    assert ratios == {"get": 0.8, "insert": None}
