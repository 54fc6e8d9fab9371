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


% if upgrades:
def upgrade() -> None:
    ${upgrades}
% else:
def upgrade() -> None:
    # A data migration may use ormada's models: while this revision runs, their
    # sync calls run on its connection, inside its transaction (rolled back with it
    # if it fails). The models are the project's current ones, which may have fields
    # this revision's schema lacks yet: read and write only the fields that exist at
    # this revision. Import them here rather than at the top, so that this file
    # still loads once a model is gone:
    #
    #     from app.models import Author, Book
    #
    #     Author.filter(born__isnull=True).update(born=1900)
    #     for author in Author.only("id", "name"):
    #         ...
    #     titles = Book.values_list("title", flat=True).all()
    #
    # op.execute() and op.get_bind() run SQL on the same connection.
    pass
% endif


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
'''

README = '''\
Schema migrations of this database, made by `ormada makemigrations` and applied by
`ormada migrate` (Alembic revisions under versions/). env.py and script.py.mako were
written by ormada; a revision may be edited by hand before it is applied.
'''
