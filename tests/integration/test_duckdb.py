"""What only DuckDB does: one writing process per file, no savepoints, sequences for keys,
DECIMAL(38, 18) for unbounded decimals, TIMESTAMPTZ in UTC, and async calls on a worker thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field, NaiveDatetime

import ormada
from ormada import ForeignKey, Json, Model, PrimaryKey
from ormada.backends.base import Statement
from tests.conftest import Api
from tests.models import ALL_MODELS, Author, Book


class Ledger(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    amount: Decimal
    at: dt.datetime
    local: NaiveDatetime | None = None  # a wall time: TIMESTAMP

    class Meta:
        database = "duckdb"


class Owner(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    name: str = "o"

    class Meta:
        database = "duckdb"


class Pet(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    owner_id: Annotated[int, ForeignKey("Owner", on_delete="CASCADE")]

    class Meta:
        database = "duckdb"


DUCK_MODELS = [Ledger, Owner, Pet]


@pytest.fixture
async def duck(tmp_path: Path) -> AsyncIterator[ormada.Database]:
    database = ormada.connect(f"duckdb:///{tmp_path / 'duck.db'}", name="duckdb")
    database.create_all(DUCK_MODELS)
    try:
        yield database
    finally:
        await database.aclose()


@pytest.fixture
async def mem() -> AsyncIterator[ormada.Database]:
    database = ormada.connect("duckdb://:memory:")
    database.create_all(ALL_MODELS)
    try:
        yield database
    finally:
        await database.aclose()


async def test_memory_database_is_shared_by_sync_and_async(mem: ormada.Database) -> None:
    Author.create(name="sync")
    await Author.acreate(name="async")
    assert sorted(await Author.values_list("name", flat=True).aall()) == ["async", "sync"]
    assert sorted(Author.values_list("name", flat=True).all()) == ["async", "sync"]


async def test_keys_come_from_a_sequence_per_table(mem: ormada.Database, api: Api) -> None:
    statements = [s.text for s in mem.create_all([Author], dry_run=True)]
    assert statements[0] == "CREATE SEQUENCE IF NOT EXISTS author_id_seq"
    assert "DEFAULT nextval('author_id_seq')" in statements[1]
    one = await api(Author, "create", name="a")
    many = await api(Author, "bulk_create", [Author(name=f"b{i}") for i in range(3)])
    assert [a.id for a in many] == [one.id + 1, one.id + 2, one.id + 3]


async def test_bulk_create_sends_one_list_per_column_and_reads_keys_back_in_order(mem: ormada.Database,
                                                                                  api: Api) -> None:
    statement = mem.backend.insert(Book.__ormada__, ("title", "year"), [("a", 1), ("b", 2)], ("id",))
    assert "unnest(CAST(? AS TEXT[]))" in statement.text and statement.params == [["a", "b"], [1, 2]]
    books = [Book(title=f"t{i}", year=(i * 7919) % 5000, tags=[str(i)]) for i in range(5000)]
    await api(Book, "bulk_create", books, batch_size=2500)
    stored = dict(await api(Book.values_list("id", "year"), "all"))
    assert [stored[b.id] for b in books] == [b.year for b in books]
    assert (await api(Book, "get", id=books[4321].id)).tags == ["4321"]


async def test_bulk_update_is_one_statement_per_batch(mem: ormada.Database, api: Api) -> None:
    books = await api(Book, "bulk_create", [Book(title=f"t{i}", year=i) for i in range(300)])
    statement = mem.backend.update_rows(Book.__ormada__, ("year",), [(1, books[0].id), (2, books[1].id)])
    assert not statement.many and statement.text.startswith("UPDATE books SET year=v.v0 FROM (SELECT unnest(")
    for book in books:
        book.year = -book.year
    assert await api(Book, "bulk_update", books[1:], ["year"], batch_size=100) == 299
    assert dict(await api(Book.values_list("id", "year"), "all")) == {b.id: b.year if b is not books[0] else 0
                                                                      for b in books}


async def test_nested_transactions_are_refused_with_the_reason(mem: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.NotSupported, match="needs a savepoint, which duckdb does not have"):
        async with api.transaction(mem):
            await api(Author, "create", name="outer")
            async with api.transaction(mem):
                pass  # pragma: no cover - refused on entry
    assert await api(Author.query(), "count") == 0
    # Writes that are atomic of their own run inside the caller's transaction instead.
    async with api.transaction(mem):
        await api(Book, "bulk_create", [Book(title="t", year=1)])
    assert await api(Book.query(), "count") == 1


def test_a_second_writer_of_a_row_fails_at_once_instead_of_waiting_for_a_lock(mem: ormada.Database) -> None:
    # What select_for_update()'s refusal on DuckDB tells users to rely on instead.
    with pytest.raises(ormada.NotSupported, match="optimistic and lock no rows"):
        Author.query().select_for_update().all()
    author = Author.create(name="a")

    def rename_elsewhere() -> None:  # a thread: a transaction of its own, on another connection
        with mem.transaction():
            Author.filter(id=author.id).update(name="second")

    with mem.transaction():
        Author.filter(id=author.id).update(name="first")
        with ThreadPoolExecutor(1) as pool:
            refused = pool.submit(rename_elsewhere).exception(timeout=60)
    assert isinstance(refused, ormada.TransactionError), refused
    assert "run the transaction again" in str(refused)
    assert Author.get(id=author.id).name == "first"


async def test_a_refused_bulk_create_writes_nothing_and_names_the_batch(mem: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Taken")
    authors = [Author(name=f"A{i}") for i in range(5)] + [Author(name="Taken")] + [Author(name="Z")]
    with pytest.raises(ormada.IntegrityError, match=r"a row among rows 3 to 5 was refused.*Taken") as caught:
        await api(Author, "bulk_create", authors, batch_size=3)
    assert caught.value.__cause__ is not None
    assert [a.id for a in authors] == [None] * 7
    assert await api(Author.query(), "count") == 1


async def test_decimals_default_to_38_digits_and_refuse_what_would_round(duck: ormada.Database, api: Api) -> None:
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    big = Decimal("12345678901234567890.123456789012345678")
    row = await api(Ledger, "create", amount=big, at=at)
    assert (await api(Ledger, "get", id=row.id)).amount == big
    small = await api(Ledger, "create", amount=Decimal("0.10"), at=at)
    assert (await api(Ledger, "get", id=small.id)).amount == Decimal("0.1")
    for value in (Decimal("1.1234567890123456789"), Decimal("123456789012345678901")):
        with pytest.raises(ormada.DataError, match=rf"Ledger.amount: {value} does not fit DuckDB's DECIMAL\(38, 18\)"):
            await api(Ledger, "create", amount=value, at=at)
    assert await api(Ledger.query(), "count") == 2


def test_a_decimal_wider_than_38_digits_is_refused_when_creating_the_table(tmp_path: Path) -> None:
    class Huge(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        value: Annotated[Decimal, Field(max_digits=40, decimal_places=2)]

        class Meta:
            database = "duckdb"

    with ormada.connect("duckdb://:memory:", name="duckdb") as database, pytest.raises(
            ormada.NotSupported, match=r"Huge.value: a Decimal of 40 digits does not fit DuckDB's DECIMAL"):
        database.create_all([Huge])


async def test_aware_datetimes_round_trip_in_utc_and_naive_ones_stay_naive(duck: ormada.Database, api: Api) -> None:
    plus5 = dt.timezone(dt.timedelta(hours=5))
    at = dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=plus5)
    local = dt.datetime(2024, 3, 1, 8, 30, 0, 1)
    row = await api(Ledger, "create", amount=Decimal(1), at=at, local=local)
    got = await api(Ledger, "get", id=row.id)
    assert got.at == at and got.at.tzinfo is dt.UTC and got.at.hour == 18
    assert got.local == local and got.local.tzinfo is None
    assert await api(Ledger.filter(at__gte=at, at__lt=at + dt.timedelta(microseconds=1)), "count") == 1


async def test_deleting_a_referenced_row_is_refused_not_cascaded(duck: ormada.Database, api: Api) -> None:
    owner = await api(Owner, "create", name="o")
    await api(Pet, "create", owner_id=owner.id)
    with pytest.raises(ormada.IntegrityError, match="DuckDB has no ON DELETE actions"):
        await api(Owner.filter(id=owner.id), "delete")
    await api(Pet.filter(owner_id=owner.id), "delete")
    assert await api(Owner.filter(id=owner.id), "delete") == 1


class Node(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    parent_id: Annotated[int | None, ForeignKey("Node")] = None
    name: str = "n"

    class Meta:
        database = "duckdb"


async def test_rows_that_refer_to_each_other_are_inserted_and_a_referenced_row_keeps_its_keys(
        duck: ormada.Database, api: Api) -> None:
    duck.create_all([Node])
    await api(Node, "bulk_create", [Node(id=i, parent_id=i - 1 if i > 1 else None) for i in range(1, 6)])
    assert await api(Node.filter(parent_id__isnull=False), "count") == 4
    root = await api(Node, "get", id=1)
    root.name = "root"  # not an indexed column: changes freely
    await api(root, "save")
    root.parent_id = 5
    with pytest.raises(ormada.IntegrityError, match="refuses one on a row that other rows refer to: point those"):
        await api(root, "save")


async def test_nulls_sort_above_every_value_as_on_postgresql(mem: ormada.Database, api: Api) -> None:
    await api(Author, "bulk_create", [Author(name="a", born=1950), Author(name="b"), Author(name="c", born=1900)])
    assert await api(Author.query().order_by("born").values_list("name", flat=True), "all") == ["c", "a", "b"]
    assert await api(Author.query().order_by("-born").values_list("name", flat=True), "all") == ["b", "a", "c"]
    assert mem.backend.supports.extra["nulls_high"]  # what cursor pages rely on


async def test_json_is_built_in(mem: ormada.Database, api: Api) -> None:
    rows = await api.execute(mem, "SELECT installed, install_path FROM duckdb_extensions() "
                                  "WHERE extension_name = 'json'")
    assert rows == [(True, "(BUILT-IN)")]
    await api(Book, "create", title="t", year=1, tags=["a", "b"])
    assert await api(Book.filter(tags__contains="b"), "count") == 1


class Settings(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    options: dict[str, int] = {}
    data: Annotated[Any, Json()] = {}

    class Meta:
        database = "duckdb"


async def test_any_key_is_found_inside_json_the_empty_one_included(duck: ormada.Database, api: Api) -> None:
    duck.create_all([Settings])
    odd = {"": 1, "a/b": 2, "~": 3, 'q"k': 4}
    await api(Settings, "bulk_create", [Settings(options=odd, data=odd), Settings(options={"x": 5}, data={"x": 5})])
    for key, value in odd.items():
        assert await api(Settings.filter(options__contains_key=key), "count") == 1, key
        assert await api(Settings.filter(options__has_key=key), "count") == 1, key
        assert await api(Settings.filter(data__contains={key: value}), "count") == 1, key
    assert await api(Settings.filter(options__contains_key="a"), "count") == 0


async def test_raw_statements_run_one_at_a_time(mem: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.QueryError, match="execute_script"):
        await api.execute(mem, "SELECT 1; SELECT 2")
    assert await api.execute(mem, "INSERT INTO author (name) VALUES (:n)", {"n": "x"}) == 1
    assert await api.execute(mem, "SELECT name FROM author") == [("x",)]


async def test_async_statements_run_on_a_worker_thread(mem: ormada.Database) -> None:
    pool = mem.async_pool()
    connection = await pool.acquire()
    session, threads = connection.session, []  # type: ignore[attr-defined]

    class Watched:
        def run(self, statement: Statement) -> object:
            threads.append(threading.current_thread())
            return session.run(statement)

    connection.session = Watched()  # type: ignore[attr-defined]
    try:
        assert await connection.execute(Statement("SELECT 42")) == [(42,)]
        await connection.execute(Statement("SELECT 43"))
    finally:
        connection.session = session  # type: ignore[attr-defined]
        await pool.release(connection)
    # Both on one thread of the connection's own, never the event loop's.
    assert threads[0] is threads[1] and threads[0] is not threading.current_thread()
    assert threads[0].name.startswith("ormada-duckdb")


def test_a_file_is_released_after_its_event_loop_has_finished(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'loops.db'}"
    database = ormada.connect(url, name="duckdb")
    database.create_all([Owner])

    async def write() -> None:
        await Owner.acreate(name="async")

    asyncio.run(write())  # the loop ends with the pool's connection open
    database.close()  # drops that pool without its loop, and the root connection
    done = subprocess.run([sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
                           str(tmp_path / "loops.db")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # another process may open the file now
    database.close()


def test_read_only_opens_a_file_that_nothing_writes(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'shelf.db'}"
    with ormada.connect(url, name="duckdb") as writer:
        writer.create_all([Owner])
        Owner.create(name="kept")
    with ormada.connect(url + "?read_only=true&threads=1", name="duckdb"):
        assert Owner.values_list("name", flat=True).all() == ["kept"]
        with pytest.raises(ormada.DatabaseError, match="read-only"):
            Owner.create(name="refused")


SECOND_PROCESS = """
import sys
import ormada
from tests.models import Author
ormada.connect(sys.argv[1])
try:
    Author.count()
except ormada.ConnectionFailed as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_second_process_gets_a_clear_error_not_a_wait(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    database = ormada.connect(f"duckdb:///{path}")
    try:
        database.create_all([Author])
        Author.create(name="held")  # this process now holds the file
        done = subprocess.run([sys.executable, "-c", SECOND_PROCESS, f"duckdb:///{path}"], capture_output=True,
                              text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    finally:
        database.close()
    assert done.returncode == 3, done.stderr
    assert f"the file {path} is open in another process" in done.stdout
    assert "one process write a database file at a time" in done.stdout
    # Closed here, the file is free for the other process.
    again = subprocess.run([sys.executable, "-c", SECOND_PROCESS, f"duckdb:///{path}"], capture_output=True,
                           text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert again.returncode == 0, again.stdout + again.stderr
