"""load and dump stream: the memory they hold at their peak does not grow with the file."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.cli_models import Novel
from tests.cli.conftest import Cli


def peak(run: Callable[[], object]) -> int:
    """The most memory allocated at once while ``run`` ran, above what was held before."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def novels_csv(path: Path, rows: int) -> Path:
    lines = "".join(f"Streamed novel number {i},{1000 + i % 1000},1,\"[\"\"t\"\"]\"\n" for i in range(rows))
    path.write_text("title,year,writer_id,tags\n" + lines)
    return path


@pytest.mark.parametrize("cli_backend", ["sqlite"])
def test_load_and_dump_hold_one_batch_not_the_file(cli: Cli, tmp_path: Path) -> None:
    def load(rows: int) -> None:
        result = cli("load", "Novel", str(novels_csv(tmp_path / f"n{rows}.csv", rows)), "--batch", "100")
        assert result.exit_code == 0, result.output

    load(50)  # first use: the modules a load imports are not part of what it holds
    small = peak(lambda: load(500))
    large = peak(lambda: load(5_000))
    assert Novel.filter(title__startswith="Streamed").count() == 5_550
    # Ten times the rows, the same batches: the peak must not follow the row count.
    assert large < 2 * small, (small, large)

    def dump(limit: int) -> None:
        result = cli("dump", "Novel", "--format", "csv", "--chunk", "100", "--out", str(tmp_path / f"d{limit}.csv"),
                     "-f", f"id__lte={limit}")
        assert result.exit_code == 0, result.output

    dump(10)
    small_dump = peak(lambda: dump(500))
    large_dump = peak(lambda: dump(5_500))
    assert (tmp_path / "d5500.csv").read_text().count("\n") == 5_501
    assert large_dump < 2 * small_dump, (small_dump, large_dump)
