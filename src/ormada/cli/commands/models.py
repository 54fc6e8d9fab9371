"""``ormada models``: the models the configured modules define."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ormada.cli._state import handled, state

if TYPE_CHECKING:
    from ormada.model import Model


def describe(model: type[Model]) -> dict[str, Any]:
    """A model's table, database, fields (with their logical types), keys and relations."""
    info = model.__ormada__
    fields = []
    for column in info.table.columns:
        text = f"{column.name}: {column.type.kind.value}" + ("?" if column.nullable else "")
        if column.column_name != column.name:
            text += f" (column {column.column_name})"
        fields.append(text)
    keys = [f"{c.name} ({c.key})" for c in info.table.columns if c.key is not None]
    relations = [f"{name} -> {rel.target.__name__} ({rel.kind}{', many' if rel.many else ''})"
                 for name, rel in info.relations.items()]
    return {"model": info.name, "module": model.__module__, "table": info.table.name, "database": info.database,
            "fields": fields, "keys": keys, "relations": relations}


@handled
def models(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the discovered models: table, database, fields, keys and relations."""
    import json

    from ormada.cli._render import output, table

    described = [describe(m) for m in state(ctx).models()]
    if as_json:
        typer.echo(json.dumps(described, indent=2))
        return
    rows = [(d["model"], d["table"], d["database"], "\n".join(d["fields"]), "\n".join(d["keys"]),
             "\n".join(d["relations"]) or "-") for d in described]
    shown = table(f"{len(rows)} models", ("model", "table", "database", "fields", "keys", "relations"), rows)
    shown.show_lines = True
    output.print(shown)


def register(app: typer.Typer) -> None:
    """Adds the commands of this module to ``app``."""
    app.command()(models)
