"""What every kind of migrations offers, and the values it answers with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ormada.errors import OrmadaError


class MigrationError(OrmadaError):
    """A migration could not be made or applied; the message says what was applied before
    the failure and what the database holds now."""

    code = "migration"


@dataclass(frozen=True, slots=True)
class Revision:
    """One migration file.

    Attributes:
        id: The revision's identifier (what ``migrate``/``downgrade`` take as a target).
        parent: The revision it follows; None for the first.
        message: The message it was made with.
        path: The file.
        applied: Whether the database has it applied.
    """

    id: str
    parent: str | None
    message: str
    path: Path
    applied: bool = False


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """Where a database stands against its migration files and its models.

    Attributes:
        current: The revision the database is at; None when none is applied.
        head: The latest revision file; None when there are none.
        pending: The revisions ``migrate`` would apply, oldest first.
        drift: The differences between the models and the schema the revisions build, one
            line each (empty when ``makemigrations`` would write nothing).
        compared: Whether the models were compared at all; False when the database is
            behind its revisions (``drift`` is then empty: migrate first).
    """

    current: str | None
    head: str | None
    pending: tuple[Revision, ...]
    drift: tuple[str, ...]
    compared: bool = True


class Migrations(Protocol):
    """The migrations of one database, kept in one directory."""

    @property
    def directory(self) -> Path: ...

    def make(self, message: str, *, empty: bool = False) -> Path | None:
        """Writes the revision that brings the schema the existing revisions build up to the
        models, and returns its path; None when nothing changed (unless ``empty``, which
        writes a revision with empty ``upgrade``/``downgrade`` for a data migration)."""
        ...

    def upgrade(self, target: str = "head") -> list[Revision]:
        """Applies the revisions up to ``target`` under the migration lock; returns those
        applied, oldest first."""
        ...

    def downgrade(self, target: str) -> list[Revision]:
        """Reverts the revisions after ``target`` (``"base"`` reverts all) under the lock;
        returns those reverted, newest first."""
        ...

    def history(self) -> list[Revision]:
        """Every revision, oldest first, each saying whether it is applied."""
        ...

    def status(self) -> MigrationStatus:
        """Applied, pending, and whether the models drifted from the latest revision."""
        ...

    def sql(self, revision: str, *, downgrade: bool = False) -> str:
        """The statements ``revision`` runs (or its downgrade runs), without a connection."""
        ...
