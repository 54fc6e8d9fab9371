"""Errors a user meets: constraint violations, bad lookups, bad URLs, unreachable servers."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pydantic
import pytest

import ormada
from tests.conftest import Api
from tests.models import Author, Book


async def test_unique_violation_leaves_the_database_unchanged(db: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Unique")
    with pytest.raises(ormada.IntegrityError, match="name") as caught:
        await api(Author, "create", name="Unique")
    assert caught.value.__cause__ is not None  # the driver's error is chained
    assert await api(Author.query(), "count") == 1


async def test_not_null_violation(db: ormada.Database, api: Api) -> None:
    author = await api(Author, "create", name="Someone")
    with pytest.raises(ormada.IntegrityError):
        await api.execute(db, "UPDATE author SET name = NULL WHERE id = :id", {"id": author.id})
    assert (await api(Author, "get", id=author.id)).name == "Someone"


async def test_out_of_range_integer_names_model_field_and_value(db: ormada.Database, api: Api) -> None:
    with pytest.raises(ormada.DataError, match=r"Book.year: 3000000000 does not fit"):
        await api(Book, "create", title="x", year=3_000_000_000)
    assert await api(Book.query(), "count") == 0


def test_unknown_field_suggests_the_closest() -> None:
    with pytest.raises(ormada.QueryError, match="Book has no field 'titel'; did you mean 'title'"):
        Book.filter(titel="x")
    with pytest.raises(ormada.QueryError, match=r"unknown lookup 'icontain'.*did you mean 'icontains'"):
        Book.filter(title__icontain="x")
    with pytest.raises(ormada.QueryError, match="did you mean 'year'"):
        Book.order_by("-yeer")
    with pytest.raises(ormada.QueryError, match=r"Book.year: invalid value 'abc'"):
        Book.filter(year="abc")


def test_malformed_urls() -> None:
    with pytest.raises(ormada.ConfigurationError, match="malformed database URL"):
        ormada.connect("not a url")
    with pytest.raises(ormada.ConfigurationError, match="unknown database scheme 'oracle'"):
        ormada.connect("oracle://scott:tiger@h/db", name="bad")
    with pytest.raises(ormada.ConfigurationError) as caught:
        ormada.connect("postgresql://u:hunter2@h:notaport/db", name="bad")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_server_masks_the_password(api: Api) -> None:
    db = ormada.connect(f"postgresql://someone:hunter2@127.0.0.1:{_closed_port()}/db", name="unreachable")
    with pytest.raises(ormada.ConnectionFailed) as caught:
        await api.execute(db, "SELECT 1")
    message = str(caught.value)
    assert "hunter2" not in message and "someone:***@127.0.0.1" in message
    await db.aclose()


def test_missing_database_names_the_fix() -> None:
    with pytest.raises(ormada.ConfigurationError, match=r"ormada.connect\(url, name='nowhere'\)"):
        ormada.get_database("nowhere")


async def test_sqlite_refuses_decimals_it_would_round(db: ormada.Database, api: Api) -> None:
    from decimal import Decimal

    from tests.models import Everything, Price

    long = Decimal("12345678901.23456789")
    if db.url.backend != "sqlite":
        row = await api(Price, "create", amount=long)
        assert (await api(Price, "get", id=row.id)).amount == long
        return
    with pytest.raises(ormada.DataError, match=r"Price\.amount: 12345678901\.23456789 has 19 significant digits"):
        await api(Price, "create", amount=long)
    assert await api(Price.query(), "count") == 0
    row = await api(Everything, "create", d=Decimal("1.10"))
    assert str((await api(Everything, "get", id=row.id)).d) == "1.1000"


async def test_misspelt_field_on_create_is_refused_and_nothing_written(db: ormada.Database, api: Api) -> None:
    with pytest.raises(pydantic.ValidationError, match="Author has no field 'nmae'; did you mean 'name'") as caught:
        await api(Author, "create", nmae="Typo")
    assert {e["type"] for e in caught.value.errors()} == {"missing", "extra_forbidden"}  # name is required
    assert await api(Author.query(), "count") == 0


def test_misspelt_field_on_construction_keeps_the_other_errors() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        Book(titel="x", year="not a year")
    kinds = {(e["loc"][0], e["type"]) for e in caught.value.errors()}
    assert kinds == {("title", "missing"), ("year", "int_parsing"), ("titel", "extra_forbidden")}
    assert "Book has no field 'titel'; did you mean 'title'?" in str(caught.value)


def test_a_model_may_opt_out_of_refusing_unknown_fields() -> None:
    class Lenient(ormada.Model):
        model_config = pydantic.ConfigDict(extra="ignore")
        id: Annotated[int | None, ormada.PrimaryKey()] = None
        name: str = ""

    assert Lenient(name="a", unknown=1).model_dump() == {"id": None, "name": "a"}


async def test_truth_and_length_of_a_queryset_say_what_to_call(db: ormada.Database, api: Api) -> None:
    await api(Author, "create", name="Someone")
    empty = Author.filter(name="nobody")
    with pytest.raises(TypeError, match=r"truth of a QuerySet of Author would need a query; use .exists\(\)"):
        bool(empty)
    with pytest.raises(TypeError, match=r"length of a QuerySet of Author would need a query; use .count\(\)"):
        len(Author.query())
    assert list(Author.query()) == await api(Author.query(), "all")  # iterating still works
    assert len(await api(Author.query(), "all")) == 1


def test_page_on_sql_is_not_supported_even_without_the_cassandra_driver(tmp_path: Path) -> None:
    script = f"""
import sys
sys.modules["cassandra"] = None  # as if the cassandra extra were not installed
import ormada
from tests.models import Author
ormada.connect("sqlite:///{tmp_path / 'page.db'}").create_all([Author])
try:
    Author.query().page(10)
except ormada.NotSupported as exc:
    print("NotSupported:", str(exc).splitlines()[0])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "NotSupported: sqlite has no paging state; use slicing (qs[a:b]) or iterator()", \
        done.stderr
