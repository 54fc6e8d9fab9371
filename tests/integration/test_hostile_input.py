"""Hostile input everywhere a name or a value comes in: field and lookup names, orderings, JSON
keys, values, the CLI's ``--filter``/``--order`` and the CRUD router's query parameters.

Each string (quotes, semicolons, comments, NULs, lone surrogates, unicode, SQL keywords,
placeholders) is either refused with an ``OrmadaError`` (a 4xx answer, exit code 1 or 2 with
one line saying what is wrong) before anything is sent, or bound as a value: the statement
text is then the one a harmless value gives.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

import ormada
from ormada import Count, F, Json, Model, PrimaryKey
from tests.conftest import Api
from tests.hostile import HOSTILE, PLAIN_NAME
from tests.models import Book

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Each example of the CLI and router tests runs a dozen commands or requests.
FEWER = settings(EXAMPLES, max_examples=25)


class HostileDoc(Model):
    id: Annotated[int | None, PrimaryKey()] = None
    label: str = ""
    data: Annotated[Any, Json()] = None

    class Meta:
        table = "hostile_docs"


def _refused_or_plain(build: Callable[[], ormada.QuerySet[Any]], name: str) -> None:
    """Builds a query from a name: it must be refused with an OrmadaError, or the name must be
    a plain identifier path (nothing in it can reach the statement as SQL)."""
    try:
        qs = build()
        qs.statement()
    except ormada.OrmadaError:
        return
    assert PLAIN_NAME.fullmatch(name), f"{name!r} was accepted as a name"


@given(name=HOSTILE)
@EXAMPLES
def test_names_are_refused_or_plain(db: ormada.Database, name: str) -> None:
    builds: list[Callable[[], ormada.QuerySet[Any]]] = [
        lambda: Book.filter(**{name: "v"}),
        lambda: Book.exclude(**{name: 1}),
        lambda: Book.filter(**{f"title__{name}": "v"}),
        lambda: Book.filter(year=F(name)),
        lambda: Book.query().order_by(name),
        lambda: Book.query().order_by(f"-{name}"),
        lambda: Book.query().values(name),
        lambda: Book.query().values_list(name),
        lambda: Book.query().only(name),
    ]
    for build in builds:
        _refused_or_plain(build, name)
    # Result names become column labels: only identifiers pass.
    for named in (lambda: Book.query().annotate(**{name: Count("id")}).statement(),
                  lambda: Book.query().annotate(**{name: F("year") + 1}).statement(),
                  lambda: Book.query().aggregate(**{name: Count("id")})):
        try:
            named()
        except ormada.OrmadaError:
            continue
        assert name.isidentifier(), f"{name!r} was accepted as a result name"


def _same_text(hostile: ormada.QuerySet[Any], harmless: ormada.QuerySet[Any], value: Any = None) -> None:
    statement = hostile.statement()
    assert statement.text == harmless.statement().text
    if value is not None:  # bound as it is (JSON documents are bound encoded)
        assert any(value == p or (isinstance(p, str) and value in p) for p in statement.params)


@given(value=HOSTILE)
@EXAMPLES
def test_values_and_json_keys_are_bound(db: ormada.Database, value: str) -> None:
    _same_text(Book.filter(title=value), Book.filter(title="x"), value)
    _same_text(Book.filter(title__icontains=value), Book.filter(title__icontains="x"))  # bound LIKE-escaped
    _same_text(Book.filter(title__in=[value, "x"]), Book.filter(title__in=["y", "x"]), value)
    # JSON keys: bound, or refused where the database's JSON paths cannot name them (SQLite's, a '"').
    for hostile, harmless in ((lambda: HostileDoc.filter(data__contains={value: value}),
                               lambda: HostileDoc.filter(data__contains={"k": "v"})),
                              (lambda: HostileDoc.filter(data__has_key=value),
                               lambda: HostileDoc.filter(data__has_key="k"))):
        with suppress(ormada.OrmadaError):
            _same_text(hostile(), harmless())
    try:
        keyed = HostileDoc.filter(**{f"data__{value}__exact": "v"})
        keyed.statement()
    except ormada.OrmadaError:
        return
    # An accepted key path, however odd, is bound as one parameter: the same text as a plain key.
    assert keyed.statement().text == HostileDoc.filter(data__k__exact="v").statement().text


ROUND_TRIP = ["x'; DROP TABLE books; --", "' OR '1'='1", "\\", "\\'", "%s", "%(x)s", ":x", "$1", "?", "{x}",
              "/* c */ --", "a\u202eb", "\U0001f600", "SELECT * FROM books", "a\x00b", "\ud800"]


async def test_hostile_values_are_stored_or_refused_whole(db: ormada.Database, api: Api) -> None:
    stored = 0
    for value in ROUND_TRIP:
        try:
            book = await api(Book, "create", title=value, year=2)
        except ormada.DataError:  # a NUL (PostgreSQL) or a lone surrogate: said so, nothing written
            assert await api(Book.query(), "count") == stored, repr(value)
            continue
        stored += 1
        assert (await api(Book, "get", id=book.id)).title == value, repr(value)
        assert await api(Book.filter(title=value), "count") == 1, repr(value)
        assert await api(Book.filter(title__contains=value), "count") >= 1, repr(value)
        assert await api(Book.query(), "count") == stored, repr(value)
    assert stored >= len(ROUND_TRIP) - 2


async def test_hostile_json_is_stored_or_refused_whole(db: ormada.Database, api: Api) -> None:
    stored = 0
    for value in ROUND_TRIP:
        try:
            book = await api(Book, "create", title="json", year=1, tags=[value, "x"])
        except ormada.DataError:  # text no database stores (a lone surrogate), or PostgreSQL's \u0000 in JSONB
            assert await api(Book.query(), "count") == stored, repr(value)
            continue
        stored += 1
        assert (await api(Book, "get", id=book.id)).tags == [value, "x"], repr(value)
    assert stored >= len(ROUND_TRIP) - 2


# -- the command line --------------------------------------------------------------------------

@contextmanager
def _statements(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The texts of the statements sent while the block runs (from ormada's DEBUG log)."""
    sent: list[str] = []
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="ormada"):
        yield sent
    sent.extend(r.getMessage().split(" ms ", 1)[1].rsplit(" (", 1)[0] for r in caplog.records
                if r.name == "ormada" and " ms " in r.getMessage())


def _cli(db: ormada.Database, *args: str) -> Any:
    from typer.testing import CliRunner

    from ormada.cli import app

    return CliRunner().invoke(app, ["--url", db.url.render(hide_password=False), "--models", "tests.models",
                                    "query", "Book", "filter", *args],
                              env={"ORMADA_URL": None, "ORMADA_MODELS": None, "COLUMNS": "200"})


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[ormada.Database]:
    """The CLI and the router parse their input before any backend is involved: one SQLite file."""
    from tests.models import ALL_MODELS

    database = ormada.connect(f"sqlite:///{tmp_path / 'hostile.db'}")
    database.create_all(ALL_MODELS)
    yield database
    await database.aclose()


@given(text=HOSTILE)
@FEWER
def test_cli_filters_are_refused_clearly_or_bound(sqlite_db: ormada.Database, caplog: pytest.LogCaptureFixture,
                                                  text: str) -> None:
    with _statements(caplog) as harmless:
        assert _cli(sqlite_db, "--filter", "title=x", "--json").exit_code == 0
    with _statements(caplog) as sent:
        bound = _cli(sqlite_db, "--filter", f"title={text}", "--json")
    if bound.exit_code == 0:
        assert sent == harmless
    else:  # a value no database takes (a NUL on PostgreSQL, a lone surrogate): a clear DataError
        assert bound.exit_code == 1 and "error:" in bound.output and "Traceback" not in bound.output

    for args in (["--filter", f"{text}=x"], ["--filter", f"title__{text}=x"], ["--order", text],
                 ["--filter", f"year={text}"], ["--fields", text]):
        with _statements(caplog) as sent:
            result = _cli(sqlite_db, *args)
        if result.exit_code == 0:
            assert len(sent) == len(harmless)
            continue
        assert result.exit_code in (1, 2), (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert "Traceback" not in result.output
        assert "error" in result.output.lower(), (args, result.output)
        assert not [s for s in sent if s.startswith("SELECT")], f"{args!r} was sent before being refused"


# -- the CRUD router ---------------------------------------------------------------------------

@pytest.fixture
def client(sqlite_db: ormada.Database) -> Iterator[Any]:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from ormada.contrib.fastapi import CRUDRouter, install_exception_handlers

    app = FastAPI()
    install_exception_handlers(app)
    app.include_router(CRUDRouter(Book, prefix="/books", filters={"title": ["exact", "icontains", "in"],
                                                                   "year": ["exact", "gte", "in", "isnull"]},
                                  ordering=["year", "title"]))
    with TestClient(app) as test_client:
        yield test_client


# Starlette's TestClient runs the application in this process: a request costs a millisecond,
# where a real server (tests/web) costs tens; its note about httpx is not about ormada.
@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
@given(text=HOSTILE)
@FEWER
def test_router_query_parameters_are_refused_or_bound(client: Any, caplog: pytest.LogCaptureFixture,
                                                      text: str) -> None:
    # A URL carries UTF-8 only: a lone surrogate never reaches the server (the client refuses it).
    assume(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == text)
    with _statements(caplog) as harmless:
        assert client.get("/books", params={"title__icontains": "x"}).status_code == 200
    with _statements(caplog) as sent:
        answer = client.get("/books", params={"title__icontains": text})
    if answer.status_code == 200:
        assert sent == harmless
    else:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "data"

    for params in ({text: "x"}, {f"title__{text}": "x"}, {"order": text}, {"year": text}, {"year__in": text},
                   {"year__isnull": text}, {"size": text}, {"page": text}, {"after": text}):
        with _statements(caplog) as sent:
            answer = client.get("/books", params=params)
        if answer.status_code == 200:
            continue
        assert 400 <= answer.status_code < 500, (params, answer.status_code, answer.text)
        assert answer.json()["detail"], answer.text
        assert not [s for s in sent if s.startswith("SELECT")], f"{params!r} was sent before being refused"
