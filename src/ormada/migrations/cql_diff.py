"""The changes between two schema snapshots, each with its upgrade and downgrade CQL.

Written once and free of I/O: ``makemigrations`` turns the changes into a file, and
``status`` lists them as drift. What CQL cannot do in place (a primary key change, a
column or user type field changing type, a column turning static) is a *refusal*:
nothing is written, and the message gives the usual recipe instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ormada.backends.cassandra.migrate import normalise
from ormada.migrations import cql_schema as cs
from ormada.migrations.cql_schema import Snapshot

# Upgrade order: what others depend on is created first and dropped last. A downgrade runs
# every change's inverse in the reverse order, so it needs no order of its own.
CREATE_TYPE, ADD_TYPE_FIELD, DROP_VIEW, DROP_INDEX, CREATE_TABLE, ADD_COLUMN, DROP_COLUMN, OPTIONS, \
    CREATE_INDEX, DROP_TABLE, DROP_TYPE, CREATE_VIEW = range(12)

# Table options whose server default is known, so that an option no longer declared can be reset.
OPTION_DEFAULTS: dict[str, Any] = {
    "default_time_to_live": 0, "gc_grace_seconds": 864000, "comment": "", "speculative_retry": "99p",
    "crc_check_chance": 1.0, "memtable_flush_period_in_ms": 0, "bloom_filter_fp_chance": 0.01,
}

NEW_TABLE_RECIPE = ("create a new model on a new table with the new definition, run makemigrations; copy the "
                    "rows in a data migration (makemigrations --empty, then read the old model and save the new "
                    "one in its upgrade()); then remove the old model and run makemigrations again")
NEW_COLUMN_RECIPE = ("add a new field (another column name), copy the values in a data migration, then remove "
                     "the old field")


@dataclass
class Change:
    """One change: what it is, the CQL that makes it and the CQL that undoes it."""

    order: int
    describe: str
    upgrade: list[str]
    downgrade: list[str]
    notes: list[str] = field(default_factory=list)  # comments for the file (what a downgrade loses)


@dataclass
class Diff:
    """The changes from one snapshot to another, and the changes CQL cannot make."""

    changes: list[Change] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def ordered(self) -> list[Change]:
        """The changes in the order an upgrade runs them."""
        return sorted(self.changes, key=lambda c: c.order)

    def lines(self) -> list[str]:
        """One line per change or refusal, for ``status`` and messages."""
        return [c.describe for c in self.ordered()] + [f"cannot migrate: {r}" for r in self.refusals]


def multicell_type(ctype: str, types: dict[str, Any]) -> str | None:
    """The user type a non-frozen user type column holds, else None: CQL cannot drop such a column."""
    name = normalise(ctype)
    return name if name in types else None


def diff(old: Snapshot, new: Snapshot) -> Diff:
    """What turns the schema ``old`` into ``new``."""
    out = Diff()
    # Types a column added below keeps using after a downgrade (see ``_table``): never dropped by it.
    kept = {multicell_type(t, new["types"]) for name, table in new["tables"].items() if name in old["tables"]
            for c, t in table["columns"].items() if c not in old["tables"][name]["columns"]} - {None}
    _types(old["types"], new["types"], out, kept)
    _views(old["views"], new["views"], out)
    for name, table in new["tables"].items():
        before = old["tables"].get(name)
        if name in old["views"]:
            out.refusals.append(f"{name} is a materialized view in the schema the revisions build and a table in "
                                f"the models; give the table another name")
        elif before is None:
            notes = ["the downgrade drops the table: its rows are lost"]
            out.changes.append(Change(CREATE_TABLE, f"create table {name}",
                                      [cs.create_table(name, table), *table["indexes"].values()],
                                      [cs.drop_table(name)], notes))
        else:
            _table(name, before, table, out, old["types"], new["types"])
    for name, table in old["tables"].items():
        if name not in new["tables"]:
            out.changes.append(Change(DROP_TABLE, f"drop table {name}", [cs.drop_table(name)],
                                      [cs.create_table(name, table), *table["indexes"].values()],
                                      ["the upgrade drops the table with its rows; the downgrade re-creates it "
                                       "empty"]))
    return out


def _types(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]], out: Diff, kept: set[str | None]) -> None:
    for name, fields in new.items():
        before = old.get(name)
        if before is None:
            if name in kept:
                out.changes.append(Change(CREATE_TYPE, f"create type {name}", [cs.create_type(name, fields)], [],
                                          [f"the downgrade keeps type {name}: a column added here that uses it "
                                           "cannot be dropped"]))
            else:
                out.changes.append(Change(CREATE_TYPE, f"create type {name}", [cs.create_type(name, fields)],
                                          [cs.drop_type(name)]))
            continue
        for fname, ftype in fields.items():
            was = before.get(fname)
            if was is None:
                out.changes.append(Change(
                    ADD_TYPE_FIELD, f"add field {name}.{fname} {ftype}", [cs.add_type_field(name, fname, ftype)], [],
                    [f"CQL cannot drop a field of a user type: the downgrade leaves {name}.{fname} in place "
                     "(earlier models do not read it)"]))
            elif normalise(was) != normalise(ftype):
                out.refusals.append(f"type {name}.{fname} is {was} in the schema the revisions build, {ftype} in "
                                    f"the models; CQL cannot change a user type field's type ({NEW_COLUMN_RECIPE})")
        for fname in before:
            if fname not in fields:
                out.changes.append(Change(ADD_TYPE_FIELD, f"field {name}.{fname} no longer declared (kept)", [], [],
                                          [f"CQL cannot drop a field of a user type: {name}.{fname} stays in the "
                                           "database, unread"]))
    for name in reversed(list(old)):  # dependants before what they contain
        if name not in new:
            out.changes.append(Change(DROP_TYPE, f"drop type {name}", [cs.drop_type(name)],
                                      [cs.create_type(name, old[name])]))


def _views(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]], out: Diff) -> None:
    for name, view in old.items():
        if name not in new or new[name] != view:
            out.changes.append(Change(DROP_VIEW, f"drop materialized view {name}", [cs.drop_view(name)],
                                      [view["cql"]], ["a view's rows are rebuilt from its base table"]))
    for name, view in new.items():
        if name not in old or old[name] != view:
            out.changes.append(Change(CREATE_VIEW, f"create materialized view {name}", [view["cql"]],
                                      [cs.drop_view(name)]))


def _table(name: str, old: dict[str, Any], new: dict[str, Any], out: Diff, old_types: dict[str, Any],
           new_types: dict[str, Any]) -> None:
    def key(t: dict[str, Any]) -> str:
        clustering = ", ".join(f"{c} {o.upper()}" for c, o in t["clustering"].items())
        return f"PRIMARY KEY (({', '.join(t['partition'])}){', ' + clustering if clustering else ''})"

    if key(old) != key(new):
        out.refusals.append(f"{name}: the key changes from {key(old)} to {key(new)}; CQL cannot change a table's "
                            f"primary key or clustering order ({NEW_TABLE_RECIPE})")
        return
    for column, ctype in new["columns"].items():
        was = old["columns"].get(column)
        static = column in new["static"]
        if was is None and multicell_type(ctype, new_types):
            out.changes.append(Change(ADD_COLUMN, f"add column {name}.{column} {ctype}",
                                      [cs.add_column(name, column, ctype, static)], [],
                                      [f"CQL cannot drop a non-frozen user type column: the downgrade leaves "
                                       f"{name}.{column} in place (earlier models do not read it)"]))
        elif was is None:
            out.changes.append(Change(ADD_COLUMN, f"add column {name}.{column} {ctype}",
                                      [cs.add_column(name, column, ctype, static)], [cs.drop_column(name, column)],
                                      [f"the downgrade drops {name}.{column} with its values"]))
        elif normalise(was) != normalise(ctype):
            out.refusals.append(f"{name}.{column} is {was} in the schema the revisions build, {ctype} in the models; "
                                f"CQL cannot change a column's type ({NEW_COLUMN_RECIPE})")
        elif static != (column in old["static"]):
            out.refusals.append(f"{name}.{column} {'becomes' if static else 'stops being'} static; CQL cannot "
                                f"change that in place ({NEW_COLUMN_RECIPE})")
    for column, ctype in old["columns"].items():
        if column not in new["columns"] and multicell_type(ctype, old_types):
            out.refusals.append(f"{name}.{column}: CQL cannot drop a non-frozen user type column ({ctype}); keep the "
                                f"field, or {NEW_TABLE_RECIPE}")
        elif column not in new["columns"]:
            out.changes.append(Change(
                DROP_COLUMN, f"drop column {name}.{column}", [cs.drop_column(name, column)],
                [cs.add_column(name, column, ctype, column in old["static"])],
                [f"the upgrade drops {name}.{column} with its values; the downgrade re-adds the column ({ctype}) "
                 "empty: its data is lost"]))
    _options(name, old["options"], new["options"], out)
    for index, cql in old["indexes"].items():
        if new["indexes"].get(index) != cql:
            out.changes.append(Change(DROP_INDEX, f"drop index {index} on {name}", [cs.drop_index(index)], [cql]))
    for index, cql in new["indexes"].items():
        if old["indexes"].get(index) != cql:
            out.changes.append(Change(CREATE_INDEX, f"create index {index} on {name}", [cql], [cs.drop_index(index)]))


def _options(name: str, old: dict[str, Any], new: dict[str, Any], out: Diff) -> None:
    up = {k: v for k, v in new.items() if old.get(k) != v}
    down = {k: v for k, v in old.items() if new.get(k) != v}
    notes = []
    for k in list(up):
        if k not in old:
            if k in OPTION_DEFAULTS:
                down[k] = OPTION_DEFAULTS[k]
            else:
                notes.append(f"the downgrade leaves option {k} as set (its server default is not known here)")
    for k in list(down):
        if k not in new and k in old:
            if k in OPTION_DEFAULTS:
                up[k] = OPTION_DEFAULTS[k]
            else:
                notes.append(f"option {k} is no longer declared; the upgrade leaves it as set")
    if not up and not down and not notes:
        return
    describe = f"table options of {name}: " + ", ".join(f"{k}={v!r}" for k, v in up.items()) if up else \
        f"table options of {name}: no longer declared: {', '.join(sorted(set(old) - set(new)))}"
    out.changes.append(Change(OPTIONS, describe, [cs.set_options(name, up)] if up else [],
                              [cs.set_options(name, down)] if down else [], notes))
