"""Alembic's autogenerate differences as lines a person reads: what ``makemigrations``
would write, from the database's schema to the models'."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def describe_diff(diff: Any) -> list[str]:
    """The lines of one entry of ``alembic.autogenerate.compare_metadata``'s result (a
    tuple, or a list of the column changes of one column)."""
    if isinstance(diff, list):
        return [line for item in diff for line in describe_diff(item)]
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        table: sa.Table = diff[1]
        return [f"{'create' if kind == 'add_table' else 'drop'} table {table.name}"]
    if kind in ("add_column", "remove_column"):
        column: sa.Column[Any] = diff[3]
        if kind == "add_column":
            return [f"add column {diff[2]}.{column.name} ({column.type}{'' if column.nullable else ' NOT NULL'})"]
        return [f"drop column {diff[2]}.{column.name}"]
    if kind in ("add_index", "remove_index"):
        index: sa.Index = diff[1]
        columns = ", ".join(c.name for c in index.columns)
        verb = "create" if kind == "add_index" else "drop"
        return [f"{verb} {'unique ' if index.unique else ''}index {index.name} on {index.table.name}({columns})"
                if index.table is not None else f"{verb} index {index.name}"]
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint: Any = diff[1]
        verb = "add" if kind.startswith("add") else "drop"
        columns = ", ".join(c.name for c in constraint.columns)
        if isinstance(constraint, sa.ForeignKeyConstraint):
            target = constraint.elements[0].target_fullname.rsplit(".", 1)[0] if constraint.elements else "?"
            return [f"{verb} foreign key {constraint.table.name}({columns}) -> {target}"]
        what = "unique constraint" if isinstance(constraint, sa.UniqueConstraint) else "constraint"
        return [f"{verb} {what} {constraint.name or ''} on {constraint.table.name}({columns})".replace("  ", " ")]
    if kind == "modify_type":
        return [f"change the type of {diff[2]}.{diff[3]} from {diff[5]} to {diff[6]}"]
    if kind == "modify_nullable":
        return [f"make {diff[2]}.{diff[3]} {'NULL' if diff[6] else 'NOT NULL'}"]
    if kind == "modify_default":
        return [f"change the server default of {diff[2]}.{diff[3]}"]
    if kind == "modify_comment":
        return [f"change the comment of {diff[2]}.{diff[3]}"]
    return [" ".join(str(part) for part in diff if part is not None)]
