"""The files ormada writes into a new migrations directory: Alembic's ``env.py`` (which
hands over to :mod:`ormada.migrations._environment`) and the template of a revision."""

from __future__ import annotations

ENV = '''\
"""Alembic's environment of these migrations, written by ormada.

`ormada migrate` (and ormada.migrations.migrations_for(db, directory)) run it with the
database's connection and its models' metadata; ormada holds the migration lock meanwhile.
"""

from alembic import context

from ormada.migrations._environment import run

run(context)
'''

SCRIPT = '''\
"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

README = '''\
Schema migrations of this database, made by `ormada makemigrations` and applied by
`ormada migrate` (Alembic revisions under versions/). env.py and script.py.mako were
written by ormada; a revision may be edited by hand before it is applied.
'''
