"""ormada load and ormada dump through Typer's runner: validation by line, --atomic, and
dump-then-load round trips of every logical type, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest

import ormada
from tests.cli.cli_models import Novel, Sample, Shelf
from tests.cli.conftest import Cli

HEADER = "title,year,writer_id,tags\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_validates_and_inserts_in_batches(cli: Cli, tmp_path: Path) -> None:
    rows = "".join(f'Book {i},{1900 + i},1,"[""t{i}""]"\n' for i in range(25))
    result = cli("load", "Novel", str(write(tmp_path / "novels.csv", HEADER + rows)), "--batch", "10")
    assert result.exit_code == 0, result.output
    assert "loaded 25 rows into Novel (cli_novel)" in result.stdout
    assert Novel.filter(title__startswith="Book ").count() == 25
    assert Novel.get(title="Book 7").tags == ["t7"]
    assert Novel.get(title="Book 7").year == 1907


def test_bad_rows_are_reported_by_line_field_and_reason(cli: Cli, tmp_path: Path) -> None:
    text = HEADER + 'Good one,2001,1,[]\nBad year,soon,1,[]\nGood two,2002,1,[]\nBad tags,2003,1,"[1, 2"\n'
    result = cli("load", "Novel", str(write(tmp_path / "mixed.csv", text)))
    assert result.exit_code == 1
    assert "line 3: Novel.year: Input should be a valid integer" in result.stderr
    assert "(value 'soon')" in result.stderr
    assert "line 5: Novel.tags: not JSON text: '[1, 2'" in result.stderr
    assert "error: 2 bad row(s) in mixed.csv; loaded 2 rows" in result.stderr
    assert sorted(Novel.filter(year__gt=2000).values_list("title", flat=True)) == ["Good one", "Good two"]


def test_atomic_writes_nothing_when_any_row_is_bad(cli: Cli, tmp_path: Path) -> None:
    good = "".join(f"Atomic {i},{1950 + i},2,[]\n" for i in range(30))
    text = HEADER + good + "Atomic bad,1999,2,[]\nAtomic worse,,2,[]\n"
    result = cli("load", "Novel", str(write(tmp_path / "atomic.csv", text)), "--atomic", "--batch", "7")
    assert result.exit_code == 1
    assert "line 33: Novel.year" in result.stderr
    assert "nothing was written (--atomic)" in result.stderr
    assert Novel.filter(title__startswith="Atomic").count() == 0
    assert Novel.count() == 4


def test_atomic_rolls_back_earlier_batches_when_the_database_refuses_one(cli: Cli, tmp_path: Path) -> None:
    text = HEADER + "".join(f"Keyed {i},{1950 + i},1,[]\n" for i in range(10)) + "Orphan,1990,999,[]\n"
    result = cli("load", "Novel", str(write(tmp_path / "orphan.csv", text)), "--atomic", "--batch", "5")
    assert result.exit_code == 1
    assert "orphan.csv lines 12-12" in result.stderr
    assert "rolled back" in result.stderr
    assert Novel.filter(title__startswith="Keyed").count() == 0


def test_unknown_columns_and_formats_are_refused_before_reading(cli: Cli, tmp_path: Path) -> None:
    result = cli("load", "Novel", str(write(tmp_path / "typo.csv", "titel,year,writer_id\nx,1,1\n")))
    assert result.exit_code == 1
    assert "Novel has no field 'titel' (did you mean 'title'?)" in result.stderr
    odd = cli("load", "Novel", str(write(tmp_path / "novels.txt", "x")))
    assert odd.exit_code == 1
    assert "pass --format csv|jsonl" in odd.stderr
    assert cli("load", "Novel", str(tmp_path / "absent.csv")).exit_code == 1


def test_load_jsonl_reports_lines_that_are_not_objects(cli: Cli, tmp_path: Path) -> None:
    lines = [json.dumps({"title": "Jsonl", "year": 2010, "writer_id": 3, "tags": ["x"]}), "", "[1]", "{oops",
             json.dumps({"title": "Jsonl 2", "year": "2011", "writer_id": 3})]
    result = cli("load", "Novel", str(write(tmp_path / "n.jsonl", "\n".join(lines) + "\n")))
    assert result.exit_code == 1
    assert "line 3: (record): expected a JSON object, not list" in result.stderr
    assert "line 4: (record): not JSON" in result.stderr
    assert sorted(Novel.filter(writer_id=3).values_list("year", flat=True)) == [2010, 2011]


def samples() -> list[Sample]:
    return [
        Sample(price=Decimal("12345.678901"), at=dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=dt.UTC),
               wall=dt.datetime(1999, 12, 31, 23, 59, 59, 999999), day=dt.date(1, 1, 1), moment=dt.time(0, 0, 0, 1),
               key=uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), blob=bytes(range(256)),
               doc={"a": [1, 2.5, None, True], "b": {"c": "ü, \"quoted\"\nnewline"}}, numbers=[3, -1, 2**31 - 1],
               flag=True, ratio=0.1 + 0.2, shelf=Shelf.SCIENCE, note="", pages=None),
        Sample(price=Decimal("-0.000001"), at=dt.datetime(1970, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
               wall=dt.datetime(2000, 1, 1), day=dt.date(9999, 12, 31), moment=dt.time(23, 59, 59, 999999),
               key=uuid.uuid4(), blob=b"", doc={}, numbers=[], flag=False, ratio=-1e-300, shelf=Shelf.FICTION,
               note="a,b\n\"c\"", pages=7),
        Sample(price=Decimal("1E+3"), at=dt.datetime(2001, 1, 1, tzinfo=dt.UTC), wall=dt.datetime(2001, 1, 1),
               day=dt.date(2001, 1, 1), moment=dt.time(12), key=uuid.uuid4(), blob=b"\\N", doc={"": ""},
               numbers=[0], flag=False, ratio=float("1e308"), shelf=Shelf.FICTION, note="\\N", pages=0),
    ]


def stored() -> list[dict[str, object]]:
    return [s.model_dump() for s in Sample.order_by("id")]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_dump_then_load_round_trips_every_logical_type(cli: Cli, tmp_path: Path, fmt: str) -> None:
    Sample.bulk_create(samples())
    before = stored()
    out = tmp_path / f"samples.{fmt}"
    dumped = cli("dump", "Sample", "--format", fmt, "--out", str(out), "--order", "id")
    assert dumped.exit_code == 0, dumped.output
    assert "wrote 3 rows of Sample" in dumped.stderr
    Sample.query().delete()
    loaded = cli("load", "Sample", str(out), "--atomic")
    assert loaded.exit_code == 0, loaded.output
    after = stored()
    assert after == before
    assert after[0]["blob"] == bytes(range(256))
    assert after[0]["price"] == Decimal("12345.678901")
    assert after[0]["wall"].tzinfo is None and after[0]["at"].tzinfo is not None  # type: ignore[union-attr]
    assert after[1]["at"] == dt.datetime(1969, 12, 31, 19, tzinfo=dt.UTC)
    assert (after[0]["note"], after[0]["pages"], after[2]["note"]) == ("", None, "\\N")


def test_dump_writes_exact_text_to_stdout_with_filters(cli: Cli) -> None:
    Sample.bulk_create(samples())
    result = cli("dump", "Sample", "--format", "jsonl", "-f", "flag=true")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    row = json.loads(line)
    assert row["price"] == "12345.678901"
    assert row["blob"] == base64.b64encode(bytes(range(256))).decode()
    assert row["key"] == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert row["wall"] == "1999-12-31T23:59:59.999999"
    assert row["at"] == "2024-02-29T23:59:58.123456+00:00"
    assert row["shelf"] == "science"
    assert row["ratio"] == 0.1 + 0.2
    csv_out = cli("dump", "Novel", "--format", "csv", "--order", "year", "-f", "writer__name=Stanisław Lem")
    assert csv_out.stdout.splitlines() == ["id,title,year,tags,writer_id", '4,Solaris,1961,"[""sf"", ""classic""]",2']


def test_dump_refuses_an_unknown_format(cli: Cli) -> None:
    assert cli("dump", "Novel", "--format", "xml").exit_code == 2


class _Counted(ormada.Model):
    """A model with an ``__init__`` of its own, which a load must run for every record."""

    id: Annotated[int | None, ormada.PrimaryKey()] = None
    n: int

    class Meta:
        database = "transfer_checks"  # never connected: these models are only validated

    def __init__(self, /, **data: Any) -> None:
        super().__init__(**{**data, "n": int(data["n"]) + 1})


class _Plain(ormada.Model):
    id: Annotated[int | None, ormada.PrimaryKey()] = None
    n: int
    at: dt.datetime | None = None

    class Meta:
        database = "transfer_checks"


def test_records_are_validated_as_the_constructor_validates_them() -> None:
    from pydantic import ValidationError

    from ormada.cli._transfer import _validator

    validate = _validator(_Plain)
    record = {"n": "7", "at": "2024-05-01T12:00:00+00:00"}
    fast, built = validate(dict(record)), _Plain(**record)
    assert fast == built and fast.model_fields_set == built.model_fields_set == {"n", "at"}
    with pytest.raises(ValidationError) as fast_error:
        validate({"n": "seven"})
    with pytest.raises(ValidationError) as built_error:
        _Plain(n="seven")
    assert fast_error.value.errors() == built_error.value.errors()
    assert _validator(_Counted)({"n": "1"}).n == 2  # its own __init__ ran
