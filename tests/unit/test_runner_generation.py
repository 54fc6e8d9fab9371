"""The sync runner is generated from the async one and must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _converter() -> object:
    spec = importlib.util.spec_from_file_location("async_to_sync", ROOT / "scripts" / "async_to_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sync_runner_is_what_the_async_one_gives() -> None:
    converter = _converter()
    wanted = converter.convert(converter.SOURCE.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert converter.TARGET.read_text(encoding="utf-8") == wanted, (  # type: ignore[attr-defined]
        "src/ormada/_runner_sync.py is stale: run python scripts/async_to_sync.py")


def test_the_markers_steer_the_conversion() -> None:
    converter = _converter()
    source = '''"""doc"""
import asyncio  # sync: -
async def arun(self) -> None:
    await self._aexecute(c, s)
    # async only {
    async def _aconcurrent(self) -> None:
        pass
    # }
    await asyncio.shield(x)  # sync: x
'''
    out = converter.convert(source)  # type: ignore[attr-defined]
    body = out.split('"""\n', 2)[-1]
    assert "asyncio" not in body and "_aconcurrent" not in body
    assert "def run(self) -> None:\n    self._execute(c, s)\n    x\n" in body
