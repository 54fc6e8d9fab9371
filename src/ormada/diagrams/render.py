"""A :class:`SchemaGraph` as Mermaid ``erDiagram`` text or as Graphviz DOT, and DOT
rendered to SVG or PNG by the ``dot`` program."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

from ormada.diagrams.graph import Attribute, Box, Link, SchemaGraph
from ormada.errors import ConfigurationError

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Crow's-foot ends, parent side then child side.
_MERMAID_ENDS = {"foreign_key": "o{", "many_to_many": "o{", "one_to_one": "o|"}


def _mermaid_name(name: str) -> str:
    return name if _BARE.fullmatch(name) else f'"{name}"'


def _mermaid_text(text: str) -> str:
    """Mermaid comments and labels are double-quoted and may not hold a double quote."""
    return text.replace('"', "'")


def _mermaid_attribute(attribute: Attribute) -> str:
    note = "; ".join(part for part in (attribute.detail, "null" if attribute.nullable else "") if part)
    type_ = attribute.type if _BARE.fullmatch(attribute.type) else re.sub(r"[^A-Za-z0-9_-]", "_", attribute.type)
    name = attribute.name if _BARE.fullmatch(attribute.name) else re.sub(r"[^A-Za-z0-9_-]", "_", attribute.name)
    line = f"{type_} {name}"
    if attribute.keys:
        line += " " + ", ".join(attribute.keys)
    if note or name != attribute.name:
        note = f"column {attribute.name}; {note}" if name != attribute.name else note
        line += f' "{_mermaid_text(note.rstrip("; "))}"'
    return line


def _link_label(link: Link) -> str:
    return f"{link.label} ({link.on_delete.lower()})" if link.on_delete else link.label


def mermaid(graph: SchemaGraph) -> str:
    """Mermaid ``erDiagram`` text: GitHub and most documentation tools draw it."""
    lines = ["erDiagram"]
    for box in graph.boxes:
        lines.append(f"    {_mermaid_name(box.name)} {{")
        lines += [f"        {_mermaid_attribute(a)}" for a in box.attributes]
        lines.append("    }")
    for link in graph.links:
        if link.kind == "user_type":
            edge = "||..o{"
        else:
            edge = ("|o" if link.optional else "||") + "--" + _MERMAID_ENDS[link.kind]
        lines.append(f'    {_mermaid_name(link.parent)} {edge} {_mermaid_name(link.child)} : '
                     f'"{_mermaid_text(_link_label(link))}"')
    return "\n".join(lines) + "\n"


def _dot_id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_box(box: Box) -> str:
    """An HTML-like table: the name on top, then one row per column with its keys."""
    colour = "#dbe8f7" if box.kind == "table" else "#f3e5c8"
    title = html.escape(box.name) + ("" if box.kind == "table" else " (user type)")
    rows = [f'<TR><TD COLSPAN="3" BGCOLOR="{colour}"><B>{title}</B></TD></TR>']
    for a in box.attributes:
        name = f"<U>{html.escape(a.name)}</U>" if "PK" in a.keys else html.escape(a.name)
        type_ = html.escape(a.type + ("?" if a.nullable else ""))
        detail = html.escape(" ".join(a.keys) + (f" {a.detail}" if a.detail else "")).strip()
        rows.append(f'<TR><TD ALIGN="LEFT" PORT="{html.escape(a.name)}">{name}</TD>'
                    f'<TD ALIGN="LEFT">{type_}</TD><TD ALIGN="LEFT">{detail}</TD></TR>')
    table = '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">' + "".join(rows) + "</TABLE>"
    return f"    {_dot_id(box.name)} [label=<{table}>];"


def dot(graph: SchemaGraph) -> str:
    """Graphviz DOT text: boxes as tables, a line from each parent to its children with
    crow's-foot ends (a crow at the child's end, a circle where there may be none)."""
    lines = ["digraph schema {", "    graph [rankdir=LR, fontname=Helvetica];",
             "    node [shape=plaintext, fontname=Helvetica, fontsize=10];",
             "    edge [fontname=Helvetica, fontsize=9, dir=both];"]
    lines += [_dot_box(box) for box in graph.boxes]
    for link in graph.links:
        style = {"user_type": "dashed", "many_to_many": "bold"}.get(link.kind, "solid")
        child_end = "teeodot" if link.kind == "one_to_one" else "crowodot"
        parent_end = "teeodot" if link.optional else "teetee"
        lines.append(f"    {_dot_id(link.parent)} -> {_dot_id(link.child)} [label={_dot_id(_link_label(link))}, "
                     f"style={style}, arrowtail={parent_end}, arrowhead={child_end}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(text: str, fmt: str) -> bytes:
    """``text`` drawn by Graphviz's ``dot`` as ``svg`` or ``png``.

    Raises:
        ConfigurationError: ``dot`` is not installed (naming the package that has it), or
            it refused the input.
    """
    program = shutil.which("dot")
    if program is None:
        raise ConfigurationError(f"drawing a diagram as {fmt.upper()} needs Graphviz's `dot` program, which is not "
                                 "installed: install the `graphviz` package (apt-get install graphviz, "
                                 "brew install graphviz), or use the Mermaid format")
    done = subprocess.run([program, f"-T{fmt}"], input=text.encode(), capture_output=True, check=False, timeout=120)
    if done.returncode != 0:
        raise ConfigurationError(f"Graphviz's dot failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return done.stdout
