"""Writes ormada's sync runner from the async one: ``src/ormada/_runner.py`` →
``src/ormada/_runner_sync.py``.

    python scripts/async_to_sync.py           # rewrite the sync file
    python scripts/async_to_sync.py --check   # exit 1 if it is not what the async file gives

The async file is written by hand; the sync one is never edited. Besides dropping
``async``/``await`` and renaming the async names to their sync twins, two markers steer the
conversion: a line ending in ``# sync: <code>`` becomes ``<code>`` (``# sync: -`` drops the
line), and the lines from ``# async only {`` to ``# }`` are left out.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "ormada" / "_runner.py"
TARGET = ROOT / "src" / "ormada" / "_runner_sync.py"

# Whole words, in this order (longer names first where one contains another).
NAMES = {
    "AsyncRunner": "SyncRunner",
    "AsyncConnection": "SyncConnection",
    "AsyncPool": "SyncPool",
    "AsyncIterator": "Iterator",
    "asynccontextmanager": "contextmanager",
    "_asafe_rollback": "_safe_rollback",
    "_aexecute": "_execute",
    "_adrive": "_drive",
    "atransaction": "transaction",
    "async_pool": "sync_pool",
    "astream": "stream",
    "arun": "run",
    "async connections": "sync connections",
}
LITERALS = {
    "current_transaction(True)": "current_transaction(False)",
    "is_async=True": "is_async=False",
    "async with ": "with ",
    "async for ": "for ",
    "async def ": "def ",
    "await ": "",
}
DIRECTIVE = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s+# sync: (?P<sync>.*)$")
HEADER = '''"""The sync runner: drives sans-I/O operations on sync connections, and the
transactions they run in.

Generated from ``_runner.py`` by ``scripts/async_to_sync.py``: edit that file, then run
the script (``make lint`` checks that this one is current).
"""
'''


def convert(source: str) -> str:
    """The sync twin of the async runner's source."""
    lines: list[str] = []
    skipping = False
    body = source[source.index('"""', 3) + 3:]  # the module docstring is the sync file's own
    for line in body.splitlines():
        stripped = line.strip()
        if stripped == "# async only {":
            skipping = True
            continue
        if skipping:
            skipping = stripped != "# }"
            continue
        match = DIRECTIVE.match(line)
        if match:
            if match["sync"].strip() == "-":
                continue
            line = match["indent"] + match["sync"]
        else:
            for old, new in LITERALS.items():
                line = line.replace(old, new)
        for old, new in NAMES.items():
            line = re.sub(rf"\b{re.escape(old)}\b", new, line)
        lines.append(line.rstrip())
    text = HEADER + "\n" + "\n".join(lines).strip() + "\n"
    text = re.sub(r"\n{3,}(?=    )", "\n\n", text)  # inside a class: one blank line between methods
    return re.sub(r"^(from \S+ import )(.+)$", _sorted_names, text, flags=re.MULTILINE)


def _sorted_names(match: re.Match[str]) -> str:
    """An import's names in isort's order (constants, classes, then the rest), as ruff wants
    them after renaming."""
    names = [n.strip() for n in match[2].split(",")]

    def rank(name: str) -> tuple[int, str]:
        return (0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2), name

    return match[1] + ", ".join(sorted(names, key=rank))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the sync file is stale")
    args = parser.parse_args()
    wanted = convert(SOURCE.read_text(encoding="utf-8"))
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if args.check:
        if current != wanted:
            diff = difflib.unified_diff(current.splitlines(), wanted.splitlines(), str(TARGET), "generated",
                                        lineterm="")
            print("\n".join(diff))
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/async_to_sync.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
