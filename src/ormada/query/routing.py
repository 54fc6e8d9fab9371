"""Which database a QuerySet's reads and writes go to: ``using()``, the model's
``Meta.database``, and that database's read replicas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ormada.database import get_database
from ormada.query._part import QuerySetPart

if TYPE_CHECKING:
    from typing import Self

    from ormada.database import Database


class Routing(QuerySetPart):
    """Mixed into :class:`ormada.QuerySet`, before the mixins that read ``_db``."""

    @property
    def _db(self) -> Database:
        """Where reads go: the database named by ``using()``, else the model's, or one of its
        replicas outside a transaction (a locking read always goes to the model's own)."""
        if self.state.using is not None:
            return get_database(self.state.using)
        db = get_database(self._info.options.database)
        return db if self.state.lock is not None else db.for_read()

    @property
    def _write_db(self) -> Database:
        """Where writes go: the database named by ``using()``, else the model's; never a replica."""
        return get_database(self.state.using or self._info.options.database)

    def using(self, database: str) -> Self:
        """The same query on the database registered under this name (``ormada.connect(url,
        name=...)``): reads and writes, whatever the model's ``Meta.database`` and replicas say.

        Raises:
            ConfigurationError: no database has that name.
        """
        get_database(database)
        return self._clone(using=database)
