"""``python -m ormada``: the ``ormada`` command."""

from ormada.cli import main

main()
