"""``ormada_lifespan``: a FastAPI lifespan that opens ormada's databases at start-up and
closes them at shutdown, in the application's own event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import ormada
from ormada import Database, Model
from ormada.errors import ConfigurationError

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def ormada_lifespan(url: str | None = None, *, databases: Mapping[str, str] | None = None,
                    create_all: bool = False, models: Sequence[type[Model]] | None = None,
                    cursor_secret: str | bytes | None = None,
                    lifespan: Lifespan | None = None) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan for ``FastAPI(lifespan=...)`` that connects ormada's databases.

    At start-up it connects ``url`` as the ``"default"`` database (or each of
    ``databases``, name to URL), opens each async pool in the application's event loop by
    taking and returning one connection (so a wrong URL fails the start-up, not the first
    request), and with ``create_all=True`` creates the tables that do not exist yet (of
    ``models``, or of every model bound to the database): for demos and tests, not for
    production schemas, which migrations manage. At shutdown it closes every pool.

    ``lifespan`` is the application's own lifespan, run inside this one (the databases are
    open while it runs). The result is also usable on its own inside another lifespan:
    ``async with ormada_lifespan(url)(app): ...``.

    Raises:
        ConfigurationError: neither or both of ``url`` and ``databases`` are given, or a
            URL is malformed.
    """
    if (url is None) == (databases is None):
        raise ConfigurationError("ormada_lifespan() takes a url or databases={name: url}, exactly one of them")
    urls: dict[str, str] = {"default": url} if url is not None else dict(databases or {})
    if not urls:
        raise ConfigurationError("ormada_lifespan(databases=...) needs at least one name: url")
    chosen = list(models) if models is not None else None

    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        opened: list[Database] = []
        try:
            for name, target in urls.items():
                database = ormada.connect(target, name, cursor_secret=cursor_secret)
                opened.append(database)
                await _open(database)
                if create_all:
                    mine = None if chosen is None else [m for m in chosen if m.database() is database]
                    if mine is None or mine:
                        await database.acreate_all(mine)
            state = getattr(app, "state", None)
            if state is not None:
                state.ormada = {database.name: database for database in opened}
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            for database in reversed(opened):
                await database.aclose()

    return run


async def _open(database: Database) -> None:
    """Opens the async pool of the running loop with one connection, returned at once."""
    pool = database.async_pool()
    connection = await pool.acquire()
    await pool.release(connection, broken=connection.broken)
