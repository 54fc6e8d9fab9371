"""``ormada diagram``: the entity-relationship diagram of the models, or of a live SQL
database when no models are configured."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ormada.cli._state import UserError, handled, state

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ormada.database import Database
    from ormada.diagrams import SchemaGraph

def keyspace_graph(database: Database) -> SchemaGraph:
    """The tables and user types of a Cassandra database's keyspace, read from ``system_schema``."""
    from ormada.diagrams import from_system_schema

    keyspace = database.url.database
    if not keyspace:
        raise UserError(f"{database.url.render()} names no keyspace: add it to the URL (cassandra://host/keyspace)")
    where = {"ks": keyspace}
    columns = database.execute("SELECT table_name, column_name, kind, position, clustering_order, type "
                               "FROM system_schema.columns WHERE keyspace_name = :ks", where)
    if not columns:
        raise UserError(f"the keyspace {keyspace!r} has no tables (or does not exist)")
    types = database.execute("SELECT type_name, field_names, field_types FROM system_schema.types "
                             "WHERE keyspace_name = :ks", where)
    return from_system_schema(columns, types)


def reflect(database: Database) -> sa.MetaData:
    """The tables of ``database`` (its ``schema=`` on PostgreSQL), reflected by SQLAlchemy on
    connections with the database's credentials and TLS options."""
    import sqlalchemy as sa

    from ormada.backends._sql.engine import sqlalchemy_engine
    from ormada.errors import NotSupported

    url = database.url
    try:
        engine = sqlalchemy_engine(database.backend)
    except NotSupported:
        raise UserError(f"drawing a live {url.backend} database is not possible (its tables cannot be read); "
                        "draw its models instead with --models") from None
    metadata = sa.MetaData()
    try:
        metadata.reflect(engine, schema=url.query.get("schema"))
    except sa.exc.OperationalError as exc:
        raise UserError(f"cannot read the tables of {url.render()}: {exc.orig}") from None
    finally:
        engine.dispose()
    return metadata


@handled
def diagram(
    ctx: typer.Context,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="mermaid (default), dot, svg or png (svg and png need Graphviz's dot).")] = "mermaid",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to FILE instead of printing.")] = None,
    tables: Annotated[list[str] | None, typer.Option(
        "--tables", "-t", help="Only these tables; repeat or separate with commas.")] = None,
    database: Annotated[str, typer.Option(
        "--database", "-d", help="The configured database whose models (or tables) to draw.")] = "default",
) -> None:
    """Draw the entity-relationship diagram of the configured models; with --url and no
    models, of the database's own tables."""
    from ormada.diagrams import FORMATS, draw, graph_of, pick

    if format not in FORMATS:
        raise UserError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if format == "png" and out is None:
        raise UserError("a PNG needs a file: add --out diagram.png")
    current = state(ctx)
    names = [t.strip() for item in tables or [] for t in item.split(",") if t.strip()] or None
    graph: Any
    if current.settings.models:
        models = [m for m in current.models() if m.__ormada__.database == database]
        if not models:
            raise UserError(f"none of the models is bound to the database {database!r}")
        graph = graph_of(models, tables=names)
    elif current.database(database).url.backend == "cassandra":
        graph = keyspace_graph(current.database(database))
        graph = graph if names is None else pick(graph, names)
    else:
        graph = graph_of(metadata=reflect(current.database(database)), tables=names)
    drawn = draw(graph, format)  # type: ignore[arg-type]
    if out is None:
        typer.echo(drawn if isinstance(drawn, str) else drawn.decode(), nl=False)
        return
    if isinstance(drawn, bytes):
        out.write_bytes(drawn)
    else:
        out.write_text(drawn, encoding="utf-8")
    typer.echo(f"wrote {out} ({len(graph.boxes)} tables, {len(graph.links)} links)", err=True)


def register(app: typer.Typer) -> None:
    """Adds the command to ``app``."""
    app.command()(diagram)
