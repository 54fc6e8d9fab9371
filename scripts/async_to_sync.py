"""Writes ormada's sync modules from their async sources (each pair is listed in ``PAIRS``).

    python scripts/async_to_sync.py           # rewrite every sync file
    python scripts/async_to_sync.py --check   # exit 1 if one is stale or a rename is never used

The async files are written by hand; the sync ones are never edited. The conversion
reads the source with :mod:`tokenize`, so it changes code only, never a string or a
comment: it drops the ``async`` and ``await`` keywords and renames whole names from the
pair's map (``AsyncPool`` → ``SyncPool``). Two markers say the rest: a line ending in
``# sync: <code>`` becomes ``<code>`` (``# sync: -`` drops the line), and the lines from
``# async only {`` to ``# }`` are left out. The source's module docstring is replaced by
the pair's, followed by a note naming the source.
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import sys
import tokenize
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ormada"
DIRECTIVE = "# sync:"

# Names every pair may rename (whole names only; strings and comments are left alone).
COMMON = {
    "AsyncConnection": "SyncConnection",
    "AsyncPool": "SyncPool",
    "AsyncIterator": "Iterator",
}


class Pair(NamedTuple):
    """One hand-written async module and the sync module generated from it."""

    source: Path
    target: Path
    docstring: str  # the generated module's own summary
    names: Mapping[str, str]  # renames of this pair, on top of COMMON


PAIRS = (
    Pair(
        SRC / "_runner.py", SRC / "_runner_sync.py",
        "The sync runner: drives sans-I/O operations on sync connections, and the\ntransactions they run in.",
        {
            "AsyncRunner": "SyncRunner",
            "asynccontextmanager": "contextmanager",
            "_asafe_rollback": "_safe_rollback",
            "_aexecute": "_execute",
            "_adrive": "_drive",
            "atransaction": "transaction",
            "async_pool": "sync_pool",
            "astream": "stream",
            "arun": "run",
            "_acached": "_cached",
            "_ainvalidate": "_invalidate",
            "alookup": "lookup",
            "astore": "store",
            "ainvalidate": "invalidate",
        },
    ),
    Pair(
        SRC / "backends" / "cassandra" / "_executor_async.py", SRC / "backends" / "cassandra" / "_executor_sync.py",
        "The sync executor: a connection and a pool over the backend's shared driver session.",
        {
            "AsyncCassandraConnection": "CassandraConnection",
            "CassandraAsyncPool": "CassandraSyncPool",
            "asession": "session",
            "aprepared": "prepared",
            "await_built": "wait_built",
        },
    ),
)


def convert(source: str, names: Mapping[str, str], docstring: str = "", origin: str = "",
            used: set[str] | None = None) -> str:
    """The sync twin of an async module's source.

    Args:
        source: The async module's text; it must start with a docstring.
        names: Whole names to rename.
        docstring: The summary of the generated module's docstring.
        origin: The source's path, named in the generated docstring.
        used: Collects the names that were renamed somewhere.
    """
    lines = source.splitlines()
    edits: dict[int, list[tuple[int, int, str, str]]] = {}  # row -> (start, end, old, new), left to right
    directives: dict[int, str] = {}
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    first = next(t for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL))
    if first.type != tokenize.STRING:
        raise ValueError(f"{origin or 'the source'} must start with a module docstring")
    for tok in tokens:
        row, start = tok.start
        if tok.type == tokenize.COMMENT and tok.string.startswith(DIRECTIVE):
            directives[row] = tok.string[len(DIRECTIVE):].strip()
        elif tok.type == tokenize.NAME and tok.string in ("async", "await"):
            line, end = lines[row - 1], tok.end[1]
            while end < len(line) and line[end] == " ":  # the keyword goes with the space after it
                end += 1
            edits.setdefault(row, []).append((start, end, tok.string, ""))
        elif tok.type == tokenize.NAME and tok.string in names:
            edits.setdefault(row, []).append((start, tok.end[1], tok.string, names[tok.string]))

    out: list[str] = []
    skipping = False
    for row, line in enumerate(lines, 1):
        stripped = line.strip()
        if row <= first.end[0]:
            continue  # the module docstring: the generated module has its own
        if stripped == "# async only {":
            skipping = True
        elif skipping:
            skipping = stripped != "# }"
        elif row in directives:
            if directives[row] != "-":
                out.append(line[:len(line) - len(line.lstrip())] + directives[row])
        else:
            for start, end, old, new in reversed(edits.get(row, [])):
                line = line[:start] + new + line[end:]
                if used is not None:
                    used.add(old)
            out.append(line.rstrip())
    note = (f"Generated by ``scripts/async_to_sync.py`` from ``{origin}``.\nDo not edit it: edit that "
            "file, then run the script (``make lint`` fails while this\none is stale).")
    text = f'"""{docstring}\n\n{note}\n"""\n\n' + "\n".join(out).strip() + "\n"
    text = re.sub(r"\n{3,}(?=    )", "\n\n", text)  # inside a class: one blank line between methods
    return re.sub(r"^(from \S+ import )(.+)$", _sorted_names, text, flags=re.MULTILINE)


def _sorted_names(match: re.Match[str]) -> str:
    """An import's names in isort's order (constants, classes, then the rest), as ruff wants
    them after renaming."""
    names = [n.strip() for n in match[2].split(",")]

    def rank(name: str) -> tuple[int, str]:
        return (0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2), name

    return match[1] + ", ".join(sorted(names, key=rank))


def generated(pair: Pair, used: set[str] | None = None) -> str:
    """What ``pair.target`` must hold."""
    return convert(pair.source.read_text(encoding="utf-8"), {**COMMON, **pair.names}, pair.docstring,
                   pair.source.relative_to(ROOT).as_posix(), used)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a sync file is stale")
    args = parser.parse_args()
    failed = False
    used_anywhere: set[str] = set()
    for pair in PAIRS:
        used: set[str] = set()
        wanted = generated(pair, used)
        used_anywhere |= used
        target = pair.target.relative_to(ROOT)
        if unused := sorted(set(pair.names) - used):
            print(f"{pair.source.relative_to(ROOT)}: renames never used: {', '.join(unused)}", file=sys.stderr)
            failed = True
        if not args.check:
            pair.target.write_text(wanted, encoding="utf-8")
            continue
        current = pair.target.read_text(encoding="utf-8") if pair.target.exists() else ""
        if current != wanted:
            print("\n".join(difflib.unified_diff(current.splitlines(), wanted.splitlines(), str(target),
                                                 "generated", lineterm="")))
            print(f"{target} is stale: run python scripts/async_to_sync.py", file=sys.stderr)
            failed = True
    if unused_common := sorted(set(COMMON) - used_anywhere):
        print(f"renames never used: {', '.join(unused_common)}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
