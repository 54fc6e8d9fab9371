"""A database's complete SQLAlchemy metadata, and the DDL compiled from it.

Each SQL database keeps one ``sa.MetaData`` holding a table for every table name its
models map (many-to-many junctions included), built when the models are configured
and grown in place as models are added. ``create_all``/``drop_all`` compile their DDL
from that object and Alembic's autogenerate compares the same object with the live
database, so what ormada creates and what a migration expects cannot drift apart.

Which model defines a table that several models map (a narrow projection and the
full model) is decided by :func:`owners`; the metadata remembers its choice in
``metadata.info[OWNERS]``, so that growing it builds only the new tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql.tables import VECTOR_INDEX, build_table
from ormada.backends.base import Statement
from ormada.errors import ConfigurationError

if TYPE_CHECKING:
    from ormada._info import ModelInfo

# The key in ``MetaData.info`` under which the table-name -> defining-model map is kept.
OWNERS = "ormada.owners"


def owners(infos: Iterable[ModelInfo]) -> dict[str, ModelInfo]:
    """The model whose definition each table name takes.

    Of the models mapping one table, the one with the most columns defines it (the
    full model, not a narrow projection of it), the earlier one on a tie. A model class
    defined again under the same module and name (a notebook cell run twice, a test
    body run per parameter) counts only by its latest definition, whose table replaces
    the earlier one's.

    Args:
        infos: The models, in definition order.

    Returns:
        The defining model by table name, in the order the names first appear.
    """
    latest: dict[tuple[str, str], ModelInfo] = {}
    for info in infos:
        latest[(info.model.__module__, info.model.__qualname__)] = info
    chosen: dict[str, ModelInfo] = {}
    for info in latest.values():
        current = chosen.get(info.table.name)
        if current is None or len(info.table.columns) > len(current.table.columns):
            chosen[info.table.name] = info
    return chosen


def build_metadata(infos: Sequence[ModelInfo], metadata: sa.MetaData | None = None) -> sa.MetaData:
    """The complete metadata of ``infos``: one table per table name, with its foreign
    keys, unique constraints and indexes.

    Args:
        infos: Every model of the database, in definition order.
        metadata: The metadata built earlier for some of ``infos``, brought up to date in
            place (so whoever holds it, such as an Alembic ``env.py``, sees the new
            tables); a new one when None.

    Returns:
        ``metadata``, or the new metadata.
    """
    metadata = sa.MetaData() if metadata is None else metadata
    built: dict[str, ModelInfo] = metadata.info.setdefault(OWNERS, {})
    wanted = owners(infos)
    for name, info in list(built.items()):
        owner = wanted.get(name)
        if owner is info:
            continue
        if owner is None or owner.table != info.table:
            # A wider model took a table over, or a model was defined again differently: build
            # all anew, because other tables' foreign keys may have resolved the old table's columns.
            metadata.clear()
            built.clear()
            break
        built[name] = owner  # defined again as it was: the table stands
    for name, info in wanted.items():
        if name not in built:
            build_table(info.table, metadata)
            built[name] = info
    return metadata


def _check_one_definition(infos: Sequence[ModelInfo]) -> None:
    """Raises ConfigurationError when two of ``infos`` define one table differently."""
    first: dict[str, ModelInfo] = {}
    for info in infos:
        seen = first.setdefault(info.table.name, info)
        if seen.table != info.table:
            raise ConfigurationError(
                f"{seen.name} and {info.name} both map table {info.table.name!r} with different columns, keys or "
                f"types; create it from one of them (the other may be a narrower view of it)"
            )


def schema_tables(infos: Sequence[ModelInfo], known: Sequence[ModelInfo],
                  metadata: sa.MetaData | None) -> tuple[sa.MetaData, set[sa.Table]]:
    """The metadata that the DDL of ``infos`` comes from, and the tables of ``infos`` in it.

    That is the database's ``metadata`` whenever it defines each of ``infos``'s tables
    as that model does. Otherwise (a backend used without a database, a narrow model
    asked for by name, a model bound to another database) it is one built for this
    call, in which ``infos`` define their own tables and ``known`` (the database's
    other models, which foreign keys may refer to) the rest.

    Raises:
        ConfigurationError: two of ``infos`` define one table differently.
    """
    _check_one_definition(infos)
    if metadata is not None:
        built: dict[str, ModelInfo] = metadata.info.get(OWNERS, {})
        if all(_same_table(built.get(info.table.name), info) for info in infos):
            return metadata, {metadata.tables[info.table.name] for info in infos}
    chosen = owners(known)
    chosen.update((info.table.name, info) for info in infos)
    one_off = sa.MetaData()
    # Only the tables that foreign keys lead to from ``infos``: the others neither resolve a
    # reference nor change the order the wanted tables are created in.
    pending = [info.table.name for info in infos]
    while pending:
        name = pending.pop()
        owner = chosen.get(name)
        if owner is None or name in one_off.tables:
            continue
        build_table(owner.table, one_off)
        pending += [c.foreign_key[0] for c in owner.table.columns if c.foreign_key is not None]
    return one_off, {one_off.tables[info.table.name] for info in infos}


def _same_table(owner: ModelInfo | None, info: ModelInfo) -> bool:
    return owner is not None and (owner is info or owner.table == info.table)


def create_statements(metadata: sa.MetaData, wanted: set[sa.Table], dialect: sa.Dialect,
                      vector_indexes: bool = False) -> list[Statement]:
    """``CREATE TABLE``/``CREATE INDEX`` (if not exists) for ``wanted``, referenced tables
    first; vector indexes only where the database has them (``vector_indexes``)."""
    statements = []
    for table in metadata.sorted_tables:
        if table in wanted:
            statements.append(_ddl(sa.schema.CreateTable(table, if_not_exists=True), dialect))
            for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
                if index.info.get(VECTOR_INDEX) and not vector_indexes:
                    continue
                statements.append(_ddl(sa.schema.CreateIndex(index, if_not_exists=True), dialect))
    return statements


def drop_statements(metadata: sa.MetaData, wanted: set[sa.Table], dialect: sa.Dialect) -> list[Statement]:
    """``DROP TABLE`` (if exists) for ``wanted``, dependants first."""
    return [_ddl(sa.schema.DropTable(table, if_exists=True), dialect) for table in reversed(metadata.sorted_tables)
            if table in wanted]


def _ddl(construct: Any, dialect: sa.Dialect) -> Statement:
    return Statement(str(construct.compile(dialect=dialect)).strip(), (), "none")
