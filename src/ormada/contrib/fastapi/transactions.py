"""Request-scoped transactions: one per request, committed when the endpoint returns and
rolled back when it raises.

>>> @app.post("/books")
... async def create(data: BookIn, tx: AsyncTransaction) -> Book:   # async endpoints
...     return await Book.acreate(**data.model_dump())
>>> @app.post("/books-sync")
... def create_sync(data: BookIn, tx: SyncTransaction) -> Book:     # sync endpoints
...     return Book.create(**data.model_dump())

``AsyncTransaction`` and ``SyncTransaction`` are ``Annotated`` aliases of
``Depends(atransaction, scope="function")`` and ``Depends(transaction, scope="function")``:
the scope makes FastAPI end the transaction when the endpoint returns, *before* the
response is sent, so a failed COMMIT becomes an error response and a client that reads
after the response sees what was written. (A plain ``Depends(transaction)`` ends it after
the response, FastAPI's default for dependencies with ``yield``.)

Rules:

- Committed when the endpoint returns normally, whatever the status of the response it
  returns. Rolled back on any exception that leaves the endpoint or a dependency inside
  the request, ``HTTPException`` included, whatever its status: raise it to undo the
  request's writes; return a response to keep them.
- ``atransaction`` runs in the request's own task, as async transactions must.
- ``transaction`` is for sync endpoints and sync dependencies, which FastAPI runs in its
  thread pool, each call in a worker thread of its own with a copy of the request's
  context. The dependency itself runs on the event loop: it opens the transaction in a
  worker thread, hands it over (:meth:`ormada.Transaction.hand_over`) and puts it in force
  for the request's context, so the threads that run the request's sync code use it one
  after the other; two threads using it at the same time raise ``TransactionError``.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends

import ormada
from ormada import Transaction


def transaction_dependency(database: str = "default", *, is_async: bool) -> Callable[[], AsyncIterator[Transaction]]:
    """A dependency that runs the request in a transaction of ``database``: async
    (``is_async=True``) for async endpoints, sync for sync ones. Use it with
    ``Depends(..., scope="function")``; see the module's rules."""

    async def async_transaction() -> AsyncIterator[Transaction]:
        async with ormada.get_database(database).atransaction() as tx:
            yield tx

    async def sync_transaction() -> AsyncIterator[Transaction]:
        db = ormada.get_database(database)
        # The sync transaction() block is entered and left in worker threads (BEGIN and
        # COMMIT block), in a context of its own: what it sets there stays there.
        own = contextvars.copy_context()
        block = db.transaction()
        # Waiting for a pooled connection must not take one of the thread pool's tokens: with
        # every token held by a request waiting here, the requests holding the connections
        # could never run their endpoints, and all would wait until the pool's timeout.
        tx = await anyio.to_thread.run_sync(own.run, block.__enter__, limiter=anyio.CapacityLimiter(1))
        try:
            tx.hand_over()
            with db.using(tx):  # in force in the request's context, and so in each worker's copy
                yield tx
        except BaseException as exc:
            await _leave(own, block, exc)
            raise
        await _leave(own, block, None)

    chosen = async_transaction if is_async else sync_transaction
    chosen.__name__ = chosen.__qualname__ = f"{'a' if is_async else ''}transaction_{database}"
    return chosen


async def _leave(own: contextvars.Context, block: Any, exc: BaseException | None) -> None:
    """Commits (``exc`` None) or rolls back the sync block in a worker thread."""
    # Outside the thread pool's tokens too: the connection goes back to the pool at once.
    limiter = anyio.CapacityLimiter(1)
    with anyio.CancelScope(shield=True):  # a cancelled request still ends its transaction
        if exc is None:
            await anyio.to_thread.run_sync(own.run, block.__exit__, None, None, None, limiter=limiter)
        else:
            await anyio.to_thread.run_sync(own.run, block.__exit__, type(exc), exc, exc.__traceback__,
                                           limiter=limiter)


#: The dependency of a sync endpoint's transaction on the default database.
transaction = transaction_dependency(is_async=False)
#: The dependency of an async endpoint's transaction on the default database.
atransaction = transaction_dependency(is_async=True)

#: ``tx: SyncTransaction`` runs a sync endpoint in a transaction of the default database.
SyncTransaction = Annotated[Transaction, Depends(transaction, scope="function")]
#: ``tx: AsyncTransaction`` runs an async endpoint in a transaction of the default database.
AsyncTransaction = Annotated[Transaction, Depends(atransaction, scope="function")]
