"""Model source for a :class:`DatabaseInfo`: one class per table, as a person would write it.

:func:`plan` decides every name first (classes, fields, relations and their reverse
sides, many-to-many fields over two-key junction tables), so that each table's block
of source depends only on the description; :func:`render_model` writes one block.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ormada._meta import snake_case
from ormada.introspect.description import (
    ColumnInfo,
    DatabaseInfo,
    ForeignKeyInfo,
    TableInfo,
    TypeInfo,
    UserTypeInfo,
)
from ormada.introspect.naming import class_name, field_name, model_attributes, unique
from ormada.schema import Kind

# What a generated module may import, by the name its source uses.
_FROM = {"Annotated": "typing", "Any": "typing", "ClassVar": "typing", "Literal": "typing", "Decimal": "decimal",
         "Field": "pydantic", "NaiveDatetime": "pydantic", "BaseModel": "pydantic"}
_FROM |= {name: "ormada" for name in (
    "Model", "ModelView", "QuerySet", "Q", "Index", "Column", "DbType", "ForeignKey", "ManyToMany", "PrimaryKey",
    "PartitionKey", "ClusteringKey", "Unique", "Indexed", "Text", "BigInt", "SmallInt", "Static", "Counter", "Frozen",
    "TimeUUID", "Vector", "VectorIndex", "Json")}
_MODULES = {"dt": "import datetime as dt", "uuid": "import uuid", "ipaddress": "import ipaddress"}
_STDLIB = frozenset({"typing", "decimal"})
# Wider than this, a field's annotation goes on lines of its own.
_WIDTH = 116


@dataclass
class FieldPlan:
    """One field of a generated model."""

    name: str
    column: ColumnInfo
    python: str  # the value type, without None and markers (``int``, ``dt.datetime``)
    markers: list[str] = field(default_factory=list)
    default: str | None = None  # source text of the default, if any
    comment: str | None = None


@dataclass
class ManyPlan:
    """A many-to-many field over a junction table."""

    name: str
    target: str  # class name
    through: str  # class name of the junction
    related_name: str


@dataclass
class ModelPlan:
    """One generated model: its class, fields and the relations it ends up with."""

    table: TableInfo
    name: str
    fields: list[FieldPlan] = field(default_factory=list)
    many: list[ManyPlan] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)  # every relation attribute, for views
    junction: bool = False

    @property
    def key_fields(self) -> list[FieldPlan]:
        """The primary-key fields, in key order."""
        order = {name: i for i, name in enumerate(self.table.primary_key)}
        return sorted((f for f in self.fields if f.column.name in order), key=lambda f: order[f.column.name])


@dataclass
class Plan:
    """Everything one run generates: the models, the tables left out (no primary key, which
    every model needs), and the user types (Cassandra) as pydantic classes, by class name,
    each after the types it uses."""

    models: list[ModelPlan]
    skipped: list[str]
    user_types: dict[str, str]


def plan(db: DatabaseInfo) -> Plan:
    """The models of the tables of ``db``, named and related, sorted by table name."""
    reserved = model_attributes()
    classes: set[str] = set()
    udts = {u.name: class_name(u.name, classes) for u in db.user_types}
    plans = {t.name: ModelPlan(t, class_name(t.name, classes)) for t in db.tables if t.primary_key}
    skipped = [t.name for t in db.tables if not t.primary_key]
    taken: dict[str, set[str]] = {}
    for p in plans.values():
        names: set[str] = set()
        columns = {c.name for c in p.table.columns}
        for column in p.table.columns:
            fk = _single_fk(p.table, column.name)
            wanted = column.name
            # A key column not named <relation>_id becomes the field <column>_id (Column()
            # keeps the name), so that the relation can take the column's name.
            if fk is not None and fk.target_table in plans and not column.name.endswith("_id") \
                    and f"{column.name}_id" not in columns and column.name.isidentifier():
                wanted = f"{column.name}_id"
            p.fields.append(FieldPlan(field_name(wanted, names, reserved), column, ""))
        taken[p.table.name] = names
    # Forward relations: ormada names them after a key field without ``_id``, when free.
    forwards: set[tuple[str, str]] = set()
    for p in plans.values():
        for f in p.fields:
            forward = f.name.removesuffix("_id")
            fk = _single_fk(p.table, f.column.name)
            if fk is not None and fk.target_table in plans and forward != f.name \
                    and forward not in taken[p.table.name] and forward not in reserved:
                taken[p.table.name].add(forward)
                p.relations.append(forward)
                forwards.add((p.table.name, f.column.name))
    junctions = {name: _junction(p.table, plans) for name, p in plans.items()}
    reverse: dict[tuple[str, str], str] = {}  # (table, fk column) -> related_name
    for p in plans.values():
        if junctions[p.table.name] is not None:
            p.junction = True
            continue
        for fk in sorted(p.table.foreign_keys, key=lambda k: k.columns):
            target = plans.get(fk.target_table)
            if target is None or (p.table.name, fk.columns[0]) not in forwards:
                continue  # no forward relation, so no reverse one either
            base = f"{p.table.name}_set" if _fk_count(p.table, fk.target_table) == 1 else \
                f"{p.table.name}_by_{fk.columns[0].removesuffix('_id')}"
            related = unique(field_name(base, set(), reserved), taken[target.table.name])
            target.relations.append(related)
            reverse[(p.table.name, fk.columns[0])] = related
    for name, pair in junctions.items():
        if pair is None:
            continue
        owner_fk, far_fk = pair
        owner, far = plans[owner_fk.target_table], plans[far_fk.target_table]
        junction = plans[name].table.name
        base = junction.removeprefix(f"{owner.table.name}_") if junction.startswith(f"{owner.table.name}_") \
            else far.table.name
        many_name = unique(field_name(base, set(), reserved), taken[owner.table.name])
        related = unique(field_name(f"{owner.table.name}_set", set(), reserved), taken[far.table.name])
        owner.many.append(ManyPlan(many_name, far.name, plans[name].name, related))
        owner.relations.append(many_name)
        far.relations.append(related)
    for p in plans.values():
        _fill(p, plans, reverse, udts)
    types = {udts[u.name]: render_user_type(u, udts[u.name], udts) for u in _dependency_order(db.user_types)}
    return Plan(sorted(plans.values(), key=lambda p: p.table.name), skipped, types)


def _dependency_order(types: tuple[UserTypeInfo, ...]) -> list[UserTypeInfo]:
    """User types, each after those its fields use (annotations are evaluated in order)."""
    by_name = {u.name: u for u in types}
    done: list[UserTypeInfo] = []

    def uses(t: TypeInfo) -> list[str]:
        return [t.user_type] if t.user_type else [n for item in t.items for n in uses(item)]

    def visit(u: UserTypeInfo) -> None:
        if u in done:
            return
        for _, t in u.fields:
            for name in uses(t):
                if name in by_name and by_name[name] is not u:
                    visit(by_name[name])
        done.append(u)

    for u in types:
        visit(u)
    return done


def render_user_type(u: UserTypeInfo, name: str, udts: dict[str, str]) -> str:
    """A user type as the pydantic class ormada maps to it; every field may be null."""
    lines = [f"class {name}(BaseModel):", f'    """The user type {u.name}."""', ""]
    if snake_case(name) != u.name:
        lines.append(f"    __cql_type_name__ = {_str(u.name)}")
    taken: set[str] = set()
    for field_name_, t in u.fields:
        python = python_type(t, udts)
        markers = _refinements(t)
        base = f"{python} | None"
        annotation = f"Annotated[{base}, {', '.join(markers)}]" if markers else base
        lines.append(f"    {unique(field_name_, taken)}: {annotation} = None")
    return "\n".join(lines) + "\n"


def _single_fk(table: TableInfo, column: str) -> ForeignKeyInfo | None:
    return next((fk for fk in table.foreign_keys if fk.columns == (column,)), None)


def _fk_count(table: TableInfo, target: str) -> int:
    return sum(1 for fk in table.foreign_keys if fk.target_table == target and len(fk.columns) == 1)


def _junction(table: TableInfo, plans: dict[str, ModelPlan]) -> tuple[ForeignKeyInfo, ForeignKeyInfo] | None:
    """The two keys of a junction table: exactly two single-column foreign keys to models,
    not null, and no other column but a generated key."""
    fks = sorted(table.foreign_keys, key=lambda k: k.columns)
    if len(fks) != 2 or any(len(fk.columns) != 1 or fk.target_table not in plans for fk in fks):
        return None
    linked = {fk.columns[0] for fk in fks}
    others = [c for c in table.columns if c.name not in linked]
    if any(not (c.generated and c.key) for c in others):
        return None
    if any(c.nullable for c in table.columns if c.name in linked):
        return None
    # The owner is the side the table is named after (ormada names junctions <owner>_<field>).
    if table.name.startswith(f"{fks[1].target_table}_") and not table.name.startswith(f"{fks[0].target_table}_"):
        return fks[1], fks[0]
    return fks[0], fks[1]


def _fill(p: ModelPlan, plans: dict[str, ModelPlan], reverse: dict[tuple[str, str], str],
          udts: dict[str, str]) -> None:
    """The type, markers and default of each field, and the model's Meta."""
    table = p.table
    keyed = table.primary_key
    by_column = {f.column.name: f for f in p.fields}
    for f in p.fields:
        column = f.column
        f.python = python_type(column.type, udts)
        if column.key == "partition":
            f.markers.append("PartitionKey()")
        elif column.key == "clustering":
            f.markers.append('ClusteringKey(order="desc")' if column.clustering_order == "desc" else "ClusteringKey()")
        elif column.name in keyed:
            if column.generated:
                f.markers.append("PrimaryKey()")
            elif column.type.kind in (Kind.INT16, Kind.INT32, Kind.INT64) and len(keyed) == 1:
                f.markers.append("PrimaryKey(autoincrement=False)")
            else:
                f.markers.append("PrimaryKey()")
        if f.name != column.name:
            f.markers.append(f"Column({_str(column.name)})")
        fk = _single_fk(table, column.name)
        if fk is not None:
            f.markers.append(_foreign_key(fk, p, plans, reverse))
        if column.static:
            f.markers.append("Static()")
        f.markers += _refinements(column.type)
        if column.generated:
            f.default = "None"
        elif column.type.kind in _EMPTY and not column.nullable and not column.key:
            f.default = _EMPTY[column.type.kind]
        elif column.default is not None:
            f.default = _literal(column.default)
        elif column.nullable:
            f.default = "None"
        if column.default_sql is not None:
            f.comment = f"the database's default: {column.default_sql}"
    composite_fks = [fk for fk in table.foreign_keys if len(fk.columns) > 1]
    for fk in composite_fks:
        first = by_column[fk.columns[0]]
        first.comment = (f"part of a foreign key ({', '.join(fk.columns)}) -> {fk.target_table}"
                         f"({', '.join(fk.target_columns)}), which models cannot declare")
    indexes, together = [], []
    for index in table.indexes:
        names = [by_column[c].name for c in index.columns]
        single = by_column[index.columns[0]] if len(index.columns) == 1 else None
        if index.metric is not None:
            extra = "" if index.using in (None, "sai", "hnsw") else f", method={_str(index.using)}"
            extra += "".join(f", {key}={value}" for key, value in index.options)
            if index.name != f"ix_{table.name}_{index.columns[0]}":
                extra += f", name={_str(index.name or '')}"
            indexes.append(f"VectorIndex({_str(names[0])}, metric={_str(index.metric)}{extra})")
            continue
        if single is not None and index.unique and index.constraint:
            default = index.name is None or index.name in _default_unique_names(table.name, index.columns[0])
            single.markers.append("Unique()" if default else f"Unique(name={_str(index.name or '')})")
            continue
        if single is not None and not index.unique:
            default = index.name is None or index.name == f"ix_{table.name}_{index.columns[0]}"
            options = [] if default else [f"name={_str(index.name or '')}"]
            options += [f"using={_str(index.using)}"] if index.using else []
            single.markers.append(f"Indexed({', '.join(options)})")
            continue
        if index.unique and index.name == f"uq_{table.name}_{'_'.join(index.columns)}":
            together.append(f"({', '.join(_str(n) for n in names)}{',' if len(names) == 1 else ''})")
            continue
        args = ", ".join(_str(n) for n in names)
        default_name = f"ix_{table.name}_{'_'.join(index.columns)}"
        named = f", name={_str(index.name)}" if index.name and index.name != default_name else ""
        indexes.append(f"Index({args}{', unique=True' if index.unique else ''}{named})")
    if snake_case(p.name) != table.name:
        p.meta.append(f"table = {_str(table.name)}")
    if indexes:
        p.meta.append(f"indexes = [{', '.join(indexes)}]")
    if together:
        p.meta.append(f"unique_together = [{', '.join(together)}]")
    for key, value in table.options:
        if isinstance(value, tuple):  # pairs: a dict of options
            value = "{" + ", ".join(f"{_str(k)}: {_literal(v)}" for k, v in value) + "}"
            p.meta.append(f"{key} = {value}")
        else:
            p.meta.append(f"{key} = {_literal(value)}")


def _literal(value: object) -> str:
    if isinstance(value, Decimal):
        return f"Decimal({_str(str(value))})"
    return _str(value) if isinstance(value, str) else repr(value)


def _default_unique_names(table: str, column: str) -> tuple[str, ...]:
    """What databases call a one-column unique constraint made without a name
    (PostgreSQL ``<table>_<column>_key``, MySQL the column's name)."""
    return (f"{table}_{column}_key", column)


def _foreign_key(fk: ForeignKeyInfo, p: ModelPlan, plans: dict[str, ModelPlan],
                 reverse: dict[tuple[str, str], str]) -> str:
    target = plans.get(fk.target_table)
    args: list[str] = []
    if target is None:  # a table left out of the models: name it by table and column
        args.append(_str(f"{fk.target_table}.{fk.target_columns[0]}"))
    else:
        args.append(_str(target.name))
        if p.junction:
            args.append('related_name="+"')
        elif (p.table.name, fk.columns[0]) in reverse:
            args.append(f"related_name={_str(reverse[(p.table.name, fk.columns[0])])}")
        if target.table.primary_key != fk.target_columns:
            args.append(f"column={_str(fk.target_columns[0])}")
    if fk.on_delete is not None:
        args.append(f"on_delete={_str(fk.on_delete)}")
    return f"ForeignKey({', '.join(args)})"


def python_type(t: TypeInfo, udts: dict[str, str] | None = None) -> str:
    """The annotation of values of a type, without ``None`` and markers; ``udts`` names the
    class of each user type."""
    if t.choices:
        return f"Literal[{', '.join(_str(c) for c in t.choices)}]"
    if t.kind in (Kind.LIST, Kind.SET):
        item = python_type(t.items[0], udts) if t.items else "Any"
        return f"{'list' if t.kind is Kind.LIST else 'set'}[{item}]"
    if t.kind is Kind.MAP:
        key, value = (python_type(i, udts) for i in t.items) if len(t.items) == 2 else ("Any", "Any")
        return f"dict[{key}, {value}]"
    if t.kind is Kind.TUPLE:
        return f"tuple[{', '.join(python_type(i, udts) for i in t.items)}]"
    if t.kind is Kind.USER_TYPE:
        return (udts or {}).get(t.user_type or "", "Any")
    if t.kind is Kind.VECTOR:
        return "list[float]"
    if t.kind is Kind.DATETIME and not t.timezone:
        return "NaiveDatetime"
    return _PYTHON[t.kind]


# The default of a collection column that is not null: empty.
_EMPTY = {Kind.LIST: "[]", Kind.SET: "set()", Kind.MAP: "{}"}

_PYTHON = {Kind.INT16: "int", Kind.INT32: "int", Kind.INT64: "int", Kind.COUNTER: "int", Kind.FLOAT64: "float",
           Kind.DECIMAL: "Decimal", Kind.BOOL: "bool", Kind.TEXT: "str", Kind.BYTES: "bytes", Kind.UUID: "uuid.UUID",
           Kind.TIMEUUID: "uuid.UUID", Kind.DATE: "dt.date", Kind.TIME: "dt.time", Kind.DATETIME: "dt.datetime",
           Kind.JSON: "Any", Kind.ENUM: "str", Kind.INET: "ipaddress.IPv4Address | ipaddress.IPv6Address",
           Kind.DURATION: "dt.timedelta"}


def _refinements(t: TypeInfo) -> list[str]:
    """The markers that refine a type (``BigInt()``, ``Text(max_length=200)``, ``DbType("REAL")``)."""
    found: list[str] = []
    if t.db_type is not None:
        return [f"DbType({_str(t.db_type)})"]
    if t.kind is Kind.INT16:
        found.append("SmallInt()")
    elif t.kind is Kind.INT64:
        found.append("BigInt()")
    elif t.kind is Kind.TEXT and t.max_length and not t.choices:
        found.append(f"Text(max_length={t.max_length})")
    elif t.kind is Kind.DECIMAL and t.precision is not None:
        found.append(f"Field(max_digits={t.precision}, decimal_places={t.scale or 0})")
    elif t.kind is Kind.TIMEUUID:
        found.append("TimeUUID()")
    elif t.kind is Kind.VECTOR:
        found.append(f"Vector({t.dimensions})")
    elif t.kind is Kind.COUNTER:
        found.append("Counter()")
    if t.frozen:
        found.append("Frozen()")
    return found


def render_model(p: ModelPlan) -> str:
    """The source of one model class."""
    lines = [f"class {p.name}(Model):"]
    doc = f"The rows of the table {p.table.name}."
    if p.junction:
        doc = f"The links of the junction table {p.table.name}."
    if p.table.comment:
        doc += " " + " ".join(p.table.comment.split())
    lines.append(f"    {_docstring(doc)}")
    lines.append("")
    for f in p.fields:
        lines += _field_lines(f)
    for many in p.many:
        marker = f"ManyToMany(through={_str(many.through)}, related_name={_str(many.related_name)})"
        lines += _declaration(many.name, f"list[{_str(many.target)}]", [marker], "[]", None)
    if p.meta:
        lines += ["", "    class Meta:"] + [f"        {line}" for line in p.meta]
    return "\n".join(lines) + "\n"


def _field_lines(f: FieldPlan) -> list[str]:
    base = f.python + (" | None" if f.column.nullable or f.column.generated else "")
    return _declaration(f.name, base, f.markers, f.default, f.comment)


def _declaration(name: str, base: str, markers: list[str], default: str | None, comment: str | None) -> list[str]:
    annotation = f"Annotated[{base}, {', '.join(markers)}]" if markers else base
    tail = f" = {default}" if default is not None else ""
    note = f"  # {comment}" if comment else ""
    line = f"    {name}: {annotation}{tail}"
    if len(line) <= _WIDTH and len(line + note) <= 120:
        return [line + note]
    if not markers:
        return ([f"    # {comment}"] if comment else []) + [line]
    wrapped = [f"    {name}: Annotated[", f"        {base},"] + [f"        {m}," for m in markers] + [f"    ]{tail}"]
    return ([f"    # {comment}"] if comment else []) + wrapped


def _docstring(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if len(text) + 10 <= _WIDTH:
        return f'"""{text}"""'
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + len(word) + 5 > _WIDTH:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return '"""' + "\n    ".join(lines) + '\n    """'


def _str(text: str) -> str:
    """A double-quoted Python string literal."""
    return json.dumps(text, ensure_ascii=False)


def imports_of(sources: list[str], local: dict[str, list[str]] | None = None) -> list[str]:
    """The import lines the generated ``sources`` use, in ruff's isort order; ``local``
    adds ``from module import names`` of the project (``.models`` or ``models``)."""
    text = _CODE_ONLY.sub("", "\n".join(sources))
    used = {name for name in (*_FROM, *_MODULES) if _uses(text, name)}
    stdlib = sorted((_MODULES[n] for n in used if n in _MODULES), key=lambda line: line.split()[1])
    stdlib += _from_lines({n for n in used if _FROM.get(n) in _STDLIB})
    third = _from_lines({n for n in used if n in _FROM and _FROM[n] not in _STDLIB})
    mine = [_from_line(module, names)
            for module, names in sorted((local or {}).items(), key=lambda item: (item[0].startswith("."), item[0]))]
    sections = [section for section in (stdlib, third, mine) if section]
    return [line for i, section in enumerate(sections) for line in ([""] if i else []) + section]


def _from_lines(names: set[str]) -> list[str]:
    modules: dict[str, list[str]] = {}
    for name in names:
        modules.setdefault(_FROM[name], []).append(name)
    return [_from_line(module, found) for module, found in sorted(modules.items())]


def _from_line(module: str, names: list[str]) -> str:
    """``from module import a, b``; too wide, one name a line in parentheses, as isort writes it."""
    ordered = sorted(names, key=_isort_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= 120:
        return line
    return "\n".join([f"from {module} import (", *(f"    {name}," for name in ordered), ")"])


def _isort_key(name: str) -> tuple[int, str]:
    # isort orders CONSTANTS, then Classes, then functions (force-sort-within-sections off).
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


# Docstrings, string literals and comments: what a name in them does not import.
_CODE_ONLY = re.compile(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def _uses(text: str, name: str) -> bool:
    pattern = rf"(?<![\w.]){re.escape(name)}\." if name in _MODULES else rf"(?<![\w.]){re.escape(name)}\b"
    return re.search(pattern, text) is not None
