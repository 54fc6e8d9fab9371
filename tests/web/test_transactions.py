"""Request-scoped transactions through real HTTP, and the hand-over they rely on."""

from __future__ import annotations

import contextvars
import threading
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse

import ormada
from ormada.contrib.fastapi import (
    AsyncTransaction,
    SyncTransaction,
    install_exception_handlers,
    ormada_lifespan,
)
from tests.web.models import MODELS, ApiAuthor, ApiBook
from tests.web.server import serve


def sync_author(name: str, tx: SyncTransaction) -> dict[str, Any]:
    """A sync dependency: FastAPI runs it in a worker thread, before the endpoint's."""
    author = ApiAuthor.create(name=name)
    return {"id": author.id, "thread": threading.get_ident(), "tx": id(tx)}


def _app(url: str) -> FastAPI:
    app = FastAPI(lifespan=ormada_lifespan(url, create_all=True, models=MODELS))
    install_exception_handlers(app)

    @app.post("/async/{name}")
    async def create_async(name: str, tx: AsyncTransaction, fail: int = 0, keep_status: int = 0) -> Any:
        author = await ApiAuthor.acreate(name=name)
        await ApiBook.acreate(title=f"{name}'s first", year=2000, author_id=author.id)
        if fail:
            raise HTTPException(fail, "refused")
        if keep_status:  # a response returned, not raised: the writes are kept
            return JSONResponse({"kept": author.id}, status_code=keep_status)
        return {"id": author.id, "in_transaction": ormada.get_database().in_transaction()}

    @app.post("/sync/{name}")
    def create_sync(author: Annotated[dict[str, Any], Depends(sync_author)], tx: SyncTransaction,
                    fail: int = 0) -> Any:
        ApiBook.create(title="sync", year=2001, author_id=author["id"])
        if fail:
            raise HTTPException(fail, "refused")
        return {"same_tx": author["tx"] == id(tx), "handed_over": tx.handed_over,
                "opened_in": tx.owner[0], "dependency_in": author["thread"], "endpoint_in": threading.get_ident()}

    @app.post("/sync-duplicate/{name}")
    def duplicate(name: str, tx: SyncTransaction) -> Any:
        ApiAuthor.create(name=name)
        ApiAuthor.create(name=name)  # IntegrityError: answered 409, the first insert rolled back

    @app.get("/sync-threads")
    def threads(tx: SyncTransaction) -> dict[str, str]:
        """One thread at a time: a thread that uses the transaction while this one holds it
        (inside a nested block) is refused; after the block, another thread may use it."""
        outcome: dict[str, str] = {}

        def other(key: str) -> None:
            try:
                outcome[key] = str(ApiAuthor.count())
            except ormada.TransactionError as exc:
                outcome[key] = type(exc).__name__

        def in_thread(key: str) -> None:
            worker = threading.Thread(target=contextvars.copy_context().run, args=(other, key))
            worker.start()
            worker.join()

        db = ormada.get_database()
        with db.transaction():  # nested: a savepoint, held by this thread for the whole block
            ApiAuthor.create(name="held")
            in_thread("while held")
        in_thread("after")
        return outcome

    @app.get("/count")
    async def count() -> dict[str, int]:
        return {"authors": await ApiAuthor.acount(), "books": await ApiBook.acount()}

    return app


def test_request_transactions_commit_and_roll_back(url: str) -> None:
    with serve(_app(url)) as client:
        created = client.post("/async/Le Guin")
        assert created.json() == {"id": 1, "in_transaction": True}
        assert client.get("/count").json() == {"authors": 1, "books": 1}  # committed before the response

        refused = client.post("/async/Butler", params={"fail": 409})
        assert refused.status_code == 409
        assert client.get("/count").json() == {"authors": 1, "books": 1}  # HTTPException: rolled back
        also_refused = client.post("/async/Butler", params={"fail": 404})
        assert also_refused.status_code == 404
        assert client.get("/count").json() == {"authors": 1, "books": 1}

        kept = client.post("/async/Jemisin", params={"keep_status": 202})
        assert kept.status_code == 202
        assert client.get("/count").json() == {"authors": 2, "books": 2}  # returned, not raised: committed

        sync = client.post("/sync/Banks")
        assert sync.status_code == 200, sync.text
        body = sync.json()
        assert body["same_tx"] is True and body["handed_over"] is True
        assert client.get("/count").json() == {"authors": 3, "books": 3}

        sync_refused = client.post("/sync/Pratchett", params={"fail": 400})
        assert sync_refused.status_code == 400
        # The dependency's author and the endpoint's book went together.
        assert client.get("/count").json() == {"authors": 3, "books": 3}

        duplicate = client.post("/sync-duplicate/Wolfe")
        assert duplicate.status_code == 409 and duplicate.json()["error"] == "integrity"
        assert client.get("/count").json() == {"authors": 3, "books": 3}

        assert client.get("/sync-threads").json() == {"while held": "TransactionError", "after": "4"}
        assert client.get("/count").json() == {"authors": 4, "books": 3}


def test_hand_over_allows_one_thread_after_another_and_refuses_two_at_once(url: str) -> None:
    db = ormada.connect(url)
    db.create_all(MODELS)
    try:
        with db.transaction() as tx:
            ApiAuthor.create(name="opened here")

            def use(results: list[Any]) -> None:
                try:
                    results.append(ApiAuthor.count())
                except ormada.TransactionError as exc:
                    results.append(exc)

            def in_thread() -> Any:
                results: list[Any] = []
                worker = threading.Thread(target=contextvars.copy_context().run, args=(use, results))
                worker.start()
                worker.join()
                return results[0]

            # Not handed over: another thread is refused, even with the context copied.
            refused = in_thread()
            assert isinstance(refused, ormada.TransactionError) and "another task or thread" in str(refused)

            tx.hand_over()
            assert in_thread() == 1  # after the hand-over, one thread after another
            assert ApiAuthor.count() == 1  # and the opener again

            entered, done = threading.Event(), threading.Event()
            holder_results: list[Any] = []

            def hold() -> None:
                with db.transaction():  # a nested block holds the transaction for this thread
                    ApiAuthor.create(name="from the holder")
                    entered.set()
                    done.wait()
                holder_results.append(ApiAuthor.count())

            holder = threading.Thread(target=contextvars.copy_context().run, args=(hold,))
            holder.start()
            entered.wait()
            with pytest.raises(ormada.TransactionError, match="in use by another thread"):
                ApiAuthor.count()
            done.set()
            holder.join()
            assert holder_results == [2]
            assert ApiAuthor.count() == 2

        with pytest.raises(ormada.TransactionError, match="async transaction"):
            async_tx = ormada.Transaction(None, is_async=True)
            async_tx.hand_over()
        with pytest.raises(ormada.TransactionError, match="hand_over"), db.using(ormada.Transaction(None, False)):
            pass  # pragma: no cover - never reached
        assert ApiAuthor.count() == 2
    finally:
        db.drop_all(MODELS)
        db.close()
