"""Statement logs show the SQL and its duration, never the bound values unless the database
asks for them (``log_params=True``): values are users' data."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import ormada
from tests.conftest import Api
from tests.models import Author, Book

SECRET = "s3cr3t-7f1c-d4t4"


async def _work(db: ormada.Database, api: Api, secret: str) -> None:
    """Every kind of statement carrying ``secret``: insert, read, update, bulk, a
    transaction, a raw statement, a failed write, a delete."""
    author = await api(Author, "create", name=secret, born=1900)
    assert await api(Author.filter(name=secret), "count") == 1
    assert [a.id for a in await api.list(Author.filter(name__startswith=secret[:6]))] == [author.id]
    await api(Author.filter(name=secret), "update", born=1901)
    author.born = 1902
    await api(author, "save")
    await api(Book, "bulk_create", [Book(title=secret, year=2000), Book(title=f"{secret}-2", year=2001)])
    async with api.transaction(db):
        await api(Book.filter(title=secret), "update", pages=7)
    await api.execute(db, "SELECT COUNT(*) FROM books WHERE title = :t", {"t": secret})
    with pytest.raises(ormada.IntegrityError):
        await api(Author, "create", name=secret)
    await api(Book.filter(title__startswith=secret), "delete")
    await api(Author.filter(name=secret), "delete")


def _ormada_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ormada" or r.name.startswith("ormada.")]


async def test_values_are_not_logged_by_default(db: ormada.Database, api: Api,
                                                caplog: pytest.LogCaptureFixture) -> None:
    assert db.log_params is False
    with caplog.at_level(logging.DEBUG):  # every logger, the drivers' own (aiosqlite's) included
        await _work(db, api, SECRET)
    lines = _ormada_lines(caplog)
    assert any("INSERT INTO" in line for line in lines)  # the statements are logged, with their timing
    assert any(" ms " in line and "SELECT" in line for line in lines)
    assert any("parameter" in line for line in lines)  # how many values there were, not what they were
    assert not [(r.name, r.getMessage()) for r in caplog.records if SECRET in r.getMessage()]


async def test_streamed_reads_keep_values_out_of_logs(db: ormada.Database, api: Api,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    await api(Book, "bulk_create", [Book(title=f"{SECRET}-{i}", year=2000 + i) for i in range(5)])
    with caplog.at_level(logging.DEBUG):
        rows = await api.iterate(Book.filter(title__startswith=SECRET).order_by("year"), 2)
    assert [b.year for b in rows] == [2000, 2001, 2002, 2003, 2004]
    assert not [(r.name, r.getMessage()) for r in caplog.records if SECRET in r.getMessage()]


def test_a_statement_repr_leaves_its_values_out(tmp_path: Path) -> None:
    ormada.connect(f"sqlite:///{tmp_path / 'repr.db'}")
    statement = Author.filter(name=SECRET).statement()
    assert SECRET in list(statement.params)
    assert SECRET not in repr(statement)
    assert "SELECT" in repr(statement)


async def test_errors_keep_the_database_message_and_stay_out_of_the_log(db: ormada.Database, api: Api,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    await api(Author, "create", name=SECRET)
    with caplog.at_level(logging.DEBUG), pytest.raises(ormada.IntegrityError) as refused:
        await api(Author, "create", name=SECRET)
    assert not [(r.name, r.getMessage()) for r in caplog.records if SECRET in r.getMessage()]
    # The error is raised to the caller's own code with the database's words: MariaDB and DuckDB
    # quote the duplicate value; SQLite names the column only, and of PostgreSQL's message ormada
    # keeps the first line, without the DETAIL line that quotes the key.
    assert (SECRET in str(refused.value)) is (db.backend.name in ("mysql", "duckdb"))


async def test_values_are_logged_when_asked(db: ormada.Database, api: Api,
                                            caplog: pytest.LogCaptureFixture) -> None:
    db.log_params = True
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        await _work(db, api, SECRET)
    lines = _ormada_lines(caplog)
    assert any(SECRET in line and "INSERT INTO" in line for line in lines)
    assert any(SECRET in line and "SELECT" in line for line in lines)


async def test_log_params_from_connect_and_from_the_url(tmp_path: Path, api: Api,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    for database in (ormada.connect(url, log_params=True), ormada.connect(f"{url}?log_params=true")):
        assert database.log_params is True
        assert "log_params" not in database.url.query  # ormada's option, never handed to the driver
        database.create_all([Author])
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="ormada"):
            await api(Author, "create", name=SECRET)
            await api(Author.filter(name=SECRET), "delete")
        assert any(SECRET in line for line in _ormada_lines(caplog))
        await database.aclose()
    assert ormada.connect(f"{url}?log_params=false").log_params is False
    assert ormada.connect(f"{url}?log_params=true", log_params=False).log_params is False  # the argument wins
    with pytest.raises(ormada.ConfigurationError, match="log_params='maybe' must be true or false"):
        ormada.connect(f"{url}?log_params=maybe")
