"""What a diagram draws, apart from how: boxes (tables and user types) and the links
between them, built from models or from a database's reflected metadata.

Everything is sorted (boxes by name, links by their ends and label) and columns keep
their declaration order, so the same schema always gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ormada._meta import snake_case
from ormada.schema import ColumnSchema, Kind, LogicalType, TableSchema

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ormada._info import ModelInfo

LinkKind = Literal["foreign_key", "one_to_one", "many_to_many", "user_type"]


@dataclass(frozen=True)
class Attribute:
    """One column of a box.

    Attributes:
        name: The column name in the database.
        type: A short type name (``int``, ``text``, ``decimal``, ``list``…).
        keys: ``PK``, ``FK`` and ``UK`` marks, in that order.
        nullable: Whether the column takes NULL.
        detail: Everything else worth reading: length, precision, element types, the
            key role on Cassandra (partition/clustering with its order), static.
    """

    name: str
    type: str
    keys: tuple[str, ...] = ()
    nullable: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Box:
    """A table, or a Cassandra user type (``kind="user_type"``)."""

    name: str
    attributes: tuple[Attribute, ...]
    kind: Literal["table", "user_type"] = "table"


@dataclass(frozen=True)
class Link:
    """``child`` refers to ``parent`` (a foreign key held by ``child``, or a column of
    ``child`` whose type is the user type ``parent``).

    Attributes:
        label: The relation names, ``"author / books"`` (forward / reverse).
        optional: The child's key may be NULL (zero or one parent).
        on_delete: ``CASCADE``, ``SET NULL``… when the foreign key says so.
    """

    parent: str
    child: str
    kind: LinkKind
    label: str
    optional: bool = False
    on_delete: str | None = None


@dataclass(frozen=True)
class SchemaGraph:
    """Every box and link of one diagram."""

    boxes: tuple[Box, ...]
    links: tuple[Link, ...]

    def only(self, tables: Iterable[str]) -> SchemaGraph:
        """The boxes named in ``tables`` (and the user types they use), with the links among them."""
        wanted = set(tables)
        while True:  # the user types they use, and those these use
            used = {link.parent for link in self.links if link.kind == "user_type" and link.child in wanted}
            if used <= wanted:
                break
            wanted |= used
        return SchemaGraph(tuple(b for b in self.boxes if b.name in wanted),
                           tuple(k for k in self.links if k.parent in wanted and k.child in wanted))


def _sorted(boxes: Iterable[Box], links: Iterable[Link]) -> SchemaGraph:
    unique_links = {(k.parent, k.child, k.label, k.kind): k for k in links}
    return SchemaGraph(tuple(sorted(boxes, key=lambda b: (b.kind != "table", b.name))),
                       tuple(unique_links[key] for key in sorted(unique_links)))


# -- from models ------------------------------------------------------------------------

_SHORT = {Kind.INT16: "smallint", Kind.INT32: "int", Kind.INT64: "bigint", Kind.FLOAT64: "float",
          Kind.DATETIME: "datetime", Kind.USER_TYPE: "udt"}


def type_name(ltype: LogicalType) -> str:
    """A logical type in a few characters: ``int``, ``text``, ``list``, ``vector``…"""
    if ltype.db_type:
        return ltype.db_type.split("(")[0].strip().lower().replace(" ", "_") or "custom"
    return _SHORT.get(ltype.kind, ltype.kind.value)


def type_detail(ltype: LogicalType) -> str:
    """The type's parameters: ``255``, ``12,2``, ``text, int``, ``384``, ``aware``."""
    if ltype.db_type:
        return ltype.db_type
    if ltype.kind is Kind.TEXT and ltype.max_length:
        return f"max {ltype.max_length}"
    if ltype.kind is Kind.DECIMAL and ltype.precision is not None:
        return f"{ltype.precision},{ltype.scale or 0}"
    if ltype.kind is Kind.DATETIME:
        return "aware" if ltype.timezone else "naive"
    if ltype.kind is Kind.VECTOR and ltype.dimensions:
        return f"{ltype.dimensions} dimensions"
    if ltype.kind is Kind.ENUM and ltype.enum_type is not None:
        return ltype.enum_type.__name__
    if ltype.kind is Kind.USER_TYPE:
        return udt_name(ltype.user_type)
    if ltype.items:
        inner = ", ".join(_nested(item) for item in ltype.items)
        return f"frozen {inner}" if ltype.frozen else inner
    return ""


def _nested(ltype: LogicalType) -> str:
    detail = type_detail(ltype) if ltype.items or ltype.kind is Kind.USER_TYPE else ""
    return f"{type_name(ltype)}<{detail}>" if ltype.items else (detail or type_name(ltype))


def udt_name(model: Any) -> str:
    """The name a user type has in CQL (``__cql_type_name__``, else the class name in snake_case)."""
    explicit = getattr(model, "__cql_type_name__", None)
    return explicit if isinstance(explicit, str) else snake_case(model.__name__)


def _key_detail(column: ColumnSchema, table: TableSchema) -> str:
    if column.key == "partition" or (column.key == "primary" and table.keyspace is not None):
        return f"partition key {column.key_position + 1}" if len(table.partition_key) > 1 else "partition key"
    if column.key == "clustering":
        return f"clustering key {column.key_position + 1} {column.clustering_order}"
    return ""


def _attribute(column: ColumnSchema, table: TableSchema, unique: set[str]) -> Attribute:
    keys = tuple(mark for mark, present in (("PK", column.key is not None), ("FK", column.foreign_key is not None),
                                            ("UK", column.name in unique and column.key is None)) if present)
    detail = [part for part in (_key_detail(column, table), type_detail(column.type),
                                "static" if column.static else "") if part]
    # A generated key is ``int | None`` in Python, never NULL in the table.
    nullable = column.nullable and column.key is None
    return Attribute(column.column_name, type_name(column.type), keys, nullable, "; ".join(detail))


def _user_types(ltype: LogicalType, found: dict[str, Any]) -> None:
    for item in ltype.items:
        _user_types(item, found)
    if ltype.kind is Kind.USER_TYPE and udt_name(ltype.user_type) not in found:
        from ormada._schema_builder import logical_type, split_optional

        model = ltype.user_type
        found[udt_name(model)] = model
        for info in model.model_fields.values():
            _user_types(logical_type(split_optional(info.annotation)[0], list(info.metadata)), found)


def _udt_box(name: str, model: Any) -> tuple[Box, list[Link]]:
    from ormada._schema_builder import logical_type, split_optional

    attributes, links = [], []
    for field_name, info in model.model_fields.items():
        annotation, optional = split_optional(info.annotation)
        ltype = logical_type(annotation, list(info.metadata))
        attributes.append(Attribute(field_name, type_name(ltype), (), optional, type_detail(ltype)))
        inner: dict[str, Any] = {}
        _user_types(ltype, inner)
        links += [Link(used, name, "user_type", field_name) for used in inner]
    return Box(name, tuple(attributes), "user_type"), links


def _box_name(table: TableSchema) -> str:
    return f"{table.keyspace}.{table.name}" if table.keyspace else table.name


def from_models(infos: Sequence[ModelInfo]) -> SchemaGraph:
    """The graph of the tables ``infos`` map: one box per table (a table several models
    map is drawn from its fullest model), a link per foreign key labelled with the
    relation names, many-to-many relations on their junction table's two links, and a
    box per Cassandra user type the tables use."""
    infos = _with_junctions(infos)
    by_table: dict[str, ModelInfo] = {}
    for info in infos:
        current = by_table.get(_box_name(info.table))
        if current is None or len(info.table.columns) > len(current.table.columns):
            by_table[_box_name(info.table)] = info
    names = {info.model: name for name, info in by_table.items()}
    names.update({info.model: _box_name(info.table) for info in infos})
    # Labels by (child table, key column): "author / books"; a junction's columns take
    # the many-to-many relation's names instead of the junction's own "+" relations.
    labels: dict[tuple[str, str], tuple[str, LinkKind]] = {}
    for info in infos:
        for relation in info.relations.values():
            if relation.through is not None:
                junction = next(i for i in infos if i.model is relation.through)
                key_column = junction.table.by_name[relation.through_source].column_name
                labels[(names[relation.through], key_column)] = (relation.name, "many_to_many")
            elif relation.kind == "forward":
                reverse = relation.partner
                one = reverse is not None and not reverse.many
                label = relation.name + (f" / {reverse.name}" if reverse is not None else "")
                key_column = info.table.by_name[relation.key].column_name
                labels.setdefault((names[info.model], key_column), (label, "one_to_one" if one else "foreign_key"))
    boxes: list[Box] = []
    links: list[Link] = []
    udts: dict[str, Any] = {}
    for name, info in by_table.items():
        table = info.table
        unique = {c.name for c in table.columns if c.unique}
        boxes.append(Box(name, tuple(_attribute(c, table, unique) for c in table.columns)))
        for column in table.columns:
            used: dict[str, Any] = {}
            _user_types(column.type, used)
            udts.update(used)
            links += [Link(udt, name, "user_type", column.column_name) for udt in used]
            if column.foreign_key is None:
                continue
            target_table, _, on_delete = column.foreign_key
            label, kind = labels.get((name, column.column_name), (column.column_name, "foreign_key"))
            links.append(Link(target_table, name, kind, label, column.nullable, on_delete))
    for udt, model in udts.items():
        box, used_links = _udt_box(udt, model)
        boxes.append(box)
        links += used_links
    return _sorted(boxes, links)


def _with_junctions(infos: Sequence[ModelInfo]) -> list[ModelInfo]:
    """``infos`` and the junction models of their many-to-many relations."""
    from ormada._registry import info_of

    out = list(infos)
    have = {info.model for info in out}
    for info in list(out):
        for relation in info.relations.values():
            if relation.through is not None and relation.through not in have:
                have.add(relation.through)
                out.append(info_of(relation.through))
    return out


# -- from a database ----------------------------------------------------------------------


def from_metadata(metadata: sa.MetaData) -> SchemaGraph:
    """The graph of reflected tables: columns with their database types, keys, foreign
    keys (with ``ON DELETE``), and a table of two foreign keys and nothing else but its
    own key drawn as a many-to-many junction."""
    import sqlalchemy as sa

    boxes: list[Box] = []
    links: list[Link] = []
    for table in metadata.tables.values():
        unique = {next(iter(c.columns)).name for c in table.constraints
                  if isinstance(c, sa.UniqueConstraint) and len(c.columns) == 1}
        unique |= {next(iter(i.columns)).name for i in table.indexes if i.unique and len(i.columns) == 1}
        fks = list(table.foreign_keys)
        pk = {c.name for c in table.primary_key.columns}
        # A junction: two foreign keys and nothing else but its own key.
        fk_columns = {fk.parent.name for fk in fks}
        junction = len(fk_columns) == 2 and {c.name for c in table.columns} - fk_columns <= pk
        attributes = []
        for column in table.columns:
            keys = tuple(mark for mark, present in (("PK", column.primary_key), ("FK", bool(column.foreign_keys)),
                                                    ("UK", column.name in unique and not column.primary_key))
                         if present)
            full = str(column.type.compile()) if _compiles(column.type) else type(column.type).__name__
            short = full.split("(")[0].strip().lower().replace(" ", "_")
            attributes.append(Attribute(column.name, short, keys, bool(column.nullable),
                                        full.lower() if full.lower() != short else ""))
        boxes.append(Box(table.name, tuple(attributes)))
        for fk in fks:
            kind: LinkKind = "many_to_many" if junction else "foreign_key"
            on_delete = fk.ondelete.upper() if fk.ondelete else None
            links.append(Link(fk.column.table.name, table.name, kind, fk.parent.name, bool(fk.parent.nullable),
                              on_delete))
    return _sorted(boxes, links)


def _compiles(sa_type: Any) -> bool:
    try:
        sa_type.compile()
    except Exception:  # a dialect-specific type the default dialect cannot print
        return False
    return True



# -- from a Cassandra keyspace ------------------------------------------------------------

_KEY_ORDER = {"partition_key": 0, "clustering": 1, "static": 2, "regular": 2}
_UDT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def from_system_schema(columns: Iterable[Sequence[Any]], types: Iterable[Sequence[Any]]) -> SchemaGraph:
    """The graph of a keyspace from its ``system_schema`` rows.

    Args:
        columns: ``(table_name, column_name, kind, position, clustering_order, type)``
            rows of ``system_schema.columns``.
        types: ``(type_name, field_names, field_types)`` rows of ``system_schema.types``.
    """
    udts = {str(name): (list(names or ()), list(field_types or ())) for name, names, field_types in types}
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for row in columns:
        tables.setdefault(str(row[0]), []).append(tuple(row[1:]))
    boxes: list[Box] = []
    links: list[Link] = []
    for table, rows in tables.items():
        partition = sum(1 for r in rows if r[1] == "partition_key")
        attributes = []
        for name, kind, position, order, cql in sorted(rows, key=lambda r: (_KEY_ORDER[r[1]], r[2], r[0])):
            detail = ""
            if kind == "partition_key":
                detail = f"partition key {position + 1}" if partition > 1 else "partition key"
            elif kind == "clustering":
                detail = f"clustering key {position + 1} {order}"
            elif kind == "static":
                detail = "static"
            short = cql.split("<")[0].strip()
            parts = [part for part in (detail, cql if cql != short else "") if part]
            attributes.append(Attribute(name, short, ("PK",) if kind in ("partition_key", "clustering") else (),
                                        kind in ("regular", "static"), "; ".join(parts)))
            links += [Link(udt, table, "user_type", name) for udt in _udts_in(cql, udts)]
        boxes.append(Box(table, tuple(attributes)))
    for name, (field_names, field_types) in udts.items():
        boxes.append(Box(name, tuple(Attribute(f, t.split("<")[0].strip(), (), True, t if "<" in t else "")
                                     for f, t in zip(field_names, field_types, strict=True)), "user_type"))
        links += [Link(used, name, "user_type", f) for f, t in zip(field_names, field_types, strict=True)
                  for used in _udts_in(t, udts)]
    return _sorted(boxes, links)


def _udts_in(cql: str, udts: dict[str, Any]) -> list[str]:
    """The user types a CQL type names (``frozen<address>``, ``list<frozen<geo>>``)."""
    return sorted({word for word in _UDT_NAME.findall(cql) if word in udts})
