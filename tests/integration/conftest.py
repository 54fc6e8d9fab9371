"""Integration tests use the shared models, and the async tests of the core modules run on two
event loops: asyncio's default one and uvloop's.

pytest-asyncio (1.4 and later) parametrises an async test over the loop factories its
``pytest_asyncio_loop_factories`` hook returns (the supported way since overriding the
``event_loop_policy`` fixture was deprecated), with the factory's name in the test id
(``[uvloop-sqlite-async]``). Running every async test twice would add half again as many tests
to the suite (test_crud goes from 104 to 156), so uvloop covers a representative subset: CRUD, queries, bulk operations,
transactions and relations (``UVLOOP_MODULES``), where the drivers' awaits, pools and
transactions meet the loop. Their sync-mode cases are written as coroutines too but never touch
the loop, so they run once. Modules that test event loops themselves (``test_event_loops``,
``test_uvloop``) make their own loops and are left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest
import uvloop

import tests.models  # noqa: F401  (registers the models before any database is created)

UVLOOP_MODULES = frozenset({"test_crud", "test_queries", "test_bulk", "test_transactions", "test_relations"})
DEFAULT_LOOP: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"asyncio": asyncio.new_event_loop}
BOTH_LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {**DEFAULT_LOOP, "uvloop": uvloop.new_event_loop}


def pytest_asyncio_loop_factories(config: pytest.Config,
                                  item: pytest.Item) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else ""
    return BOTH_LOOPS if name in UVLOOP_MODULES else DEFAULT_LOOP


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drops the uvloop copy of a sync-mode case: its body never awaits the database."""
    keep, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_uvloop = any(value is uvloop.new_event_loop for value in params.values())
        (dropped if on_uvloop and params.get("api") == "sync" else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
