"""Schema migrations, code to database: Alembic revisions for the SQL backends and CQL
migration files for Cassandra, behind one interface (:class:`Migrations`).

``migrations_for(db, directory)`` picks the kind the database needs; the ``ormada``
command's ``makemigrations``, ``migrate``, ``downgrade``, ``history``, ``status`` and
``sqlmigrate`` call nothing else. ``directory_for`` says where a database's migrations live.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ormada.migrations.base import MigrationError, Migrations, MigrationStatus, Revision

if TYPE_CHECKING:
    from ormada.database import Database

__all__ = ["MigrationError", "MigrationStatus", "Migrations", "Revision", "directory_for", "migrations_for"]

# The directory of migrations when ``[tool.ormada] migrations`` does not name one.
DEFAULT_DIRECTORY = "migrations"


def migrations_for(db: Database, directory: str | Path) -> Migrations:
    """The migrations of ``db``, kept in ``directory``: Alembic revisions for a SQL database
    (its backend keeps SQLAlchemy metadata), CQL migration files for Cassandra."""
    # Each kind imports its heavy parts (Alembic, cassandra-driver) only when it is used.
    if db.backend.supports.metadata:
        from ormada.migrations.sql import SqlMigrations

        return SqlMigrations(db, Path(directory))
    from ormada.migrations.cql import CqlMigrations

    return CqlMigrations(db, Path(directory))


def directory_for(database: str = "default", configured: str | None = None, root: Path | None = None) -> Path:
    """Where the migrations of the database called ``database`` live.

    The default database's are in the configured directory (``[tool.ormada] migrations``,
    default ``migrations``); every other database's in a subdirectory of it named after the
    database (``migrations/analytics``), so adding a database never moves the files of
    another.

    Args:
        database: The database's name (``[tool.ormada.databases]``).
        configured: ``[tool.ormada] migrations``, if set.
        root: What a relative directory is relative to (the project's root).
    """
    base = Path(configured or DEFAULT_DIRECTORY)
    if not base.is_absolute() and root is not None:
        base = root / base
    return base if database == "default" else base / database
