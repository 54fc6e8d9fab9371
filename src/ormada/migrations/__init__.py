"""Schema migrations, code to database: Alembic revisions for the SQL backends and CQL
migration files for Cassandra, behind one interface (:class:`Migrations`).

``migrations_for(db, directory)`` picks the kind the database needs; the ``ormada``
command's ``makemigrations``, ``migrate``, ``downgrade``, ``history``, ``status`` and
``sqlmigrate`` call nothing else.
"""

from __future__ import annotations

from ormada.migrations.base import MigrationError, Migrations, MigrationStatus, Revision

__all__ = ["MigrationError", "MigrationStatus", "Migrations", "Revision"]
