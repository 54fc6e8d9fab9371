"""FastAPI integration: a lifespan that opens and closes ormada's databases, exception
handlers, request-scoped transactions and a CRUD router (``pip install 'ormada[fastapi]'``)."""

from __future__ import annotations

from ormada.contrib.fastapi.errors import install_exception_handlers
from ormada.contrib.fastapi.lifespan import ormada_lifespan
from ormada.contrib.fastapi.router import CRUDRouter
from ormada.contrib.fastapi.transactions import (
    AsyncTransaction,
    SyncTransaction,
    atransaction,
    transaction,
    transaction_dependency,
)

__all__ = [
    "AsyncTransaction",
    "CRUDRouter",
    "SyncTransaction",
    "atransaction",
    "install_exception_handlers",
    "ormada_lifespan",
    "transaction",
    "transaction_dependency",
]
