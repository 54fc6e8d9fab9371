"""Entity-relationship diagrams of models, or of an existing database, as Mermaid text
(the default: GitHub and most documentation tools draw it), Graphviz DOT, SVG or PNG.

    >>> print(ormada.diagram([Author, Book]))          # Mermaid erDiagram text
    >>> svg = ormada.diagram(format="svg")             # every configured model, drawn by Graphviz

The output is stable: the same schema always gives the same text, so a diagram kept in a
repository only changes when the schema does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from ormada.diagrams.graph import Attribute, Box, Link, SchemaGraph, from_metadata, from_models, from_system_schema
from ormada.diagrams.render import dot, mermaid, render_dot
from ormada.errors import ConfigurationError

if TYPE_CHECKING:
    import sqlalchemy as sa

Format = Literal["mermaid", "dot", "svg", "png"]
FORMATS: tuple[str, ...] = ("mermaid", "dot", "svg", "png")

__all__ = ["FORMATS", "Attribute", "Box", "Link", "SchemaGraph", "diagram", "draw", "from_metadata",
           "from_models", "from_system_schema", "graph_of", "pick"]


def graph_of(models: Iterable[type[Any]] | None = None, *, database: str | None = None,
             metadata: sa.MetaData | None = None, tables: Iterable[str] | None = None) -> SchemaGraph:
    """The boxes and links to draw: of ``models`` (default: every configured model, or
    those bound to ``database``), or of a reflected ``metadata``; only ``tables`` when given.

    Raises:
        ConfigurationError: a name in ``tables`` is not in the schema.
    """
    if metadata is not None:
        graph = from_metadata(metadata)
    else:
        from ormada._registry import configured, info_of

        infos = [info_of(m) for m in models] if models is not None else configured(database)
        graph = from_models(infos)
    return graph if tables is None else pick(graph, tables)


def pick(graph: SchemaGraph, tables: Iterable[str]) -> SchemaGraph:
    """The boxes of ``graph`` named in ``tables`` (and the user types they use).

    Raises:
        ConfigurationError: a name in ``tables`` is not in the graph.
    """
    wanted = list(tables)
    known = {box.name for box in graph.boxes}
    missing = [t for t in wanted if t not in known]
    if missing:
        raise ConfigurationError(f"no table {', '.join(map(repr, missing))} in the schema; "
                                 f"it has {', '.join(sorted(known)) or 'no tables'}")
    return graph.only(wanted)


def draw(graph: SchemaGraph, format: Format = "mermaid") -> str | bytes:
    """``graph`` as Mermaid or DOT text, SVG text, or PNG bytes (SVG and PNG need Graphviz)."""
    if format == "mermaid":
        return mermaid(graph)
    if format == "dot":
        return dot(graph)
    if format == "svg":
        return render_dot(dot(graph), "svg").decode()
    if format == "png":
        return render_dot(dot(graph), "png")
    raise ConfigurationError(f"unknown diagram format {format!r}; use one of {', '.join(FORMATS)}")


def diagram(models: Iterable[type[Any]] | None = None, *, format: Literal["mermaid", "dot", "svg"] = "mermaid",
            database: str | None = None, tables: Iterable[str] | None = None) -> str:
    """The entity-relationship diagram of ``models`` (default: every configured model) as text.

    Args:
        models: The models to draw; the junction tables of their many-to-many fields come along.
        format: ``mermaid`` (default), ``dot`` or ``svg`` (``svg`` needs Graphviz's ``dot``).
        database: Draw the models bound to this database name (when ``models`` is not given).
        tables: Draw only these tables (and the user types they use).
    """
    graph = graph_of(models, database=database, tables=tables)
    text = draw(graph, format)
    if isinstance(text, bytes):  # a format outside the annotation, passed anyway
        raise ConfigurationError("diagram() returns text; draw PNG bytes with ormada.diagrams.draw(graph, 'png')")
    return text
