"""The writing process of the cross-process cache test: ``python -m tests.cache.writer URL PREFIX``.

It reads a step name per line on stdin, runs that write and answers ``ok`` (or the error)."""

from __future__ import annotations

import sys
import traceback

import ormada
import ormada.cache
from ormada.cache import RedisCache
from tests.cache.shared import STEPS


def main() -> None:
    url, prefix = sys.argv[1], sys.argv[2]
    ormada.connect(url)
    ormada.cache.configure(RedisCache("redis://127.0.0.1:6379/0", prefix=prefix))
    print("ready", flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            break
        try:
            STEPS[name]()
        except Exception:
            print("error " + traceback.format_exc().replace("\n", " | "), flush=True)
        else:
            print("ok", flush=True)


if __name__ == "__main__":
    main()
