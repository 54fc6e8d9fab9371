"""``migrate_schema``: bring a live keyspace up to the models, adding and never dropping.

It reads ``system_schema``, then adds what is missing (user types and their new
fields, tables, columns, indexes, views). Changes CQL cannot make without losing
data (a new key column, a changed column type) are reported as conflicts and
never attempted; columns the models no longer declare are left in place.

The work is a sans-I/O generator: it yields statements and receives rows, so the
sync and async runners drive the same code.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ormada.backends.cassandra import ddl
from ormada.backends.cassandra.statements import CqlStatement
from ormada.backends.cassandra.tables import CqlTable
from ormada.backends.cassandra.types import column_type, cql_type, udt_fields, udt_name, user_types
from ormada.errors import NotSupported

ALIASES = {"varchar": "text"}


@dataclass
class LiveSchema:
    """What ``system_schema`` says about one keyspace."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table → column → type
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # table → column → kind
    # table → column → (kind, position, clustering order); None where the rows did not say
    roles: dict[str, dict[str, tuple[str, int | None, str | None]]] = field(default_factory=dict)
    indexes: dict[str, set[str]] = field(default_factory=dict)  # table → index names
    types: dict[str, dict[str, str]] = field(default_factory=dict)  # user type → field → type
    views: set[str] = field(default_factory=set)


@dataclass
class MigrationPlan:
    """The statements that bring the keyspace up to date, and what they cannot do."""

    statements: list[CqlStatement] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)


def normalise(cql: str) -> str:
    """A CQL type in one spelling: lower case, no quotes or spaces, aliases resolved."""
    text = re.sub(r'[\s"]', "", cql.lower())
    return re.sub(r"[a-z_][a-z0-9_]*", lambda m: ALIASES.get(m.group(0), m.group(0)), text)


def read_statements(keyspace: str) -> list[CqlStatement]:
    """The ``system_schema`` reads, in the order :func:`live_schema` expects their rows."""
    def read(text: str) -> CqlStatement:
        return CqlStatement(text=text, params=(keyspace,), types=("text",))

    return [
        read("SELECT table_name, column_name, type, kind, position, clustering_order FROM system_schema.columns "
             "WHERE keyspace_name = ?"),
        read("SELECT table_name, index_name FROM system_schema.indexes WHERE keyspace_name = ?"),
        read("SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = ?"),
        read("SELECT view_name FROM system_schema.views WHERE keyspace_name = ?"),
    ]


def live_schema(columns: Sequence[Sequence[Any]], indexes: Sequence[Sequence[Any]],
                types: Sequence[Sequence[Any]], views: Sequence[Sequence[Any]]) -> LiveSchema:
    """Builds a :class:`LiveSchema` from the rows of :func:`read_statements`."""
    live = LiveSchema()
    for table, column, ctype, kind, *rest in columns:
        live.columns.setdefault(table, {})[column] = normalise(ctype)
        live.kinds.setdefault(table, {})[column] = kind
        position, order = (int(rest[0]), str(rest[1]).lower()) if len(rest) >= 2 else (None, None)
        live.roles.setdefault(table, {})[column] = (kind, position, order)
    for table, index in indexes:
        live.indexes.setdefault(table, set()).add(index)
    for name, names, ftypes in types:
        live.types[name] = {n: normalise(t) for n, t in zip(names or (), ftypes or (), strict=False)}
    live.views = {row[0] for row in views}
    return live


def plan(tables: Sequence[CqlTable], live: LiveSchema, keyspace: str | None) -> MigrationPlan:
    """What to run so the keyspace holds every table, column, type, index and view the models declare."""
    out = MigrationPlan()
    for model in user_types(t.schema for t in tables):
        name = udt_name(model)
        existing = live.types.get(name)
        if existing is None:
            out.statements.append(ddl.create_type(model, keyspace))
            continue
        for fname, ltype in udt_fields(model):
            want = normalise(cql_type(ltype, nested=True))
            if fname not in existing:
                out.statements.append(ddl.add_type_field(model, keyspace, fname))
            elif existing[fname] != want:
                out.conflicts.append(f"type {name}.{fname} is {existing[fname]} in the database, {want} in the model")
    views: list[tuple[CqlTable, CqlTable]] = []
    by_table = {t.schema.name: t for t in tables}
    for table in tables:
        name = table.schema.name
        if table.view_of is not None:
            base = by_table.get(table.view_of)
            if base is None:
                out.conflicts.append(f"view {name}: base table {table.view_of} is not among the models given")
            elif name not in live.views:
                views.append((table, base))
            continue
        live_cols = live.columns.get(name)
        if live_cols is None:
            out.statements.append(ddl.create_table(table))
            out.statements += [ddl.create_index(table, ix) for ix in table.indexes]
            continue
        out.conflicts += _role_conflicts(table, live.roles.get(name, {}))
        for column in table.columns:
            want = normalise(column_type(column))
            have = live_cols.get(column.column_name)
            if have is None:
                if column.key is not None:
                    out.conflicts.append(f"{name}.{column.name}: a key column cannot be added to an existing table")
                else:
                    out.statements.append(ddl.add_column(table, column.name))
            elif have != want and not (have.startswith("frozen<") and have[7:-1] == want):
                out.conflicts.append(f"{name}.{column.name} is {have} in the database, {want} in the model; "
                                     "CQL cannot change a column's type (add a new column and copy the data)")
        out.extra_columns += [f"{name}.{c}" for c in live_cols if c not in table.fields_by_column]
        have_indexes = live.indexes.get(name, set())
        out.statements += [ddl.create_index(table, ix) for ix in table.indexes if ix.name not in have_indexes]
    out.statements += [ddl.create_view(v, b) for v, b in views]
    return out


def _role(table: CqlTable, column: str) -> tuple[str, int, str]:
    """``(kind, position, clustering order)`` as ``system_schema.columns`` spells them."""
    if column in table.partition:
        return "partition_key", table.partition.index(column), "none"
    if column in table.clustering:
        return "clustering", table.clustering.index(column), table.by_name[column].clustering_order.lower()
    return ("static" if table.by_name[column].static else "regular"), -1, "none"


def _role_conflicts(table: CqlTable, live: dict[str, tuple[str, int | None, str | None]]) -> list[str]:
    """The key and static columns whose role in the database is not the model's: CQL
    cannot change a primary key, its order or a column's static-ness in place."""
    name = table.schema.name
    out: list[str] = []
    for column, (kind, position, order) in live.items():
        field = table.fields_by_column.get(column)
        if field is None:
            if kind in ("partition_key", "clustering"):
                out.append(f"{name}.{column} is a {kind.replace('_', ' ')} column in the database but not a field "
                           "of the model; CQL cannot drop a key column (create a new table and copy the data)")
            continue
        want = _role(table, field)
        have = (kind, want[1] if position is None else position, want[2] if order is None else order)
        if have == want:
            continue
        fix = "create a new table with the new key and copy the data"
        if {kind, want[0]} <= {"regular", "static"}:
            fix = "add a new column and copy the data"
        out.append(f"{name}.{column} is {_describe(have)} in the database, {_describe(want)} in "
                   f"the model; CQL cannot change that in place ({fix})")
    return out


def _describe(role: tuple[str, int, str]) -> str:
    kind, position, order = role
    if kind == "partition_key":
        return f"partition key column {position + 1}"
    if kind == "clustering":
        return f"clustering column {position + 1} ({order.upper()})"
    return f"a {kind} column"


def migrate_gen(tables: Sequence[CqlTable], keyspace: str, *, dry_run: bool = False,
                strict: bool = True) -> Generator[CqlStatement, Any, MigrationPlan]:
    """Reads the live schema, then runs the plan unless ``dry_run``; returns the plan.

    Raises:
        NotSupported: ``strict`` and the plan has conflicts (nothing is changed then).
    """
    rows = []
    for statement in read_statements(keyspace):
        rows.append((yield statement))
    result = plan(tables, live_schema(*rows), keyspace)
    if result.conflicts and strict:
        raise NotSupported("migrate_schema cannot make these changes without losing data:\n  "
                           + "\n  ".join(result.conflicts))
    if not dry_run:
        for statement in result.statements:
            yield statement
    return result
