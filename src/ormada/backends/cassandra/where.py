"""WHERE clauses: which filters CQL can serve, and their text and bind markers.

CQL answers a filter only from the primary key or an index. Everything else must
be refused here, before anything is sent, with the reason and the fix; a filter
that would need a scan is allowed only under ``allow_filtering()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ormada.backends.cassandra import codecs
from ormada.backends.cassandra.codecs import Codec
from ormada.backends.cassandra.tables import CqlTable
from ormada.backends.cassandra.types import cql_type
from ormada.errors import NotSupported, QueryError
from ormada.query.expressions import Lookup, Node, is_expression
from ormada.query.state import Subquery
from ormada.schema import Kind

RANGE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
TEXT_PATTERNS = {"contains": "%{}%", "startswith": "{}%", "endswith": "%{}", "like": "{}"}
CASE_INSENSITIVE = ("iexact", "icontains", "istartswith", "iendswith")
TOKEN_FIELD = "token"
TOKEN_OPTIONS = {"token_gt": "gt", "token_gte": "gte", "token_lt": "lt", "token_lte": "lte"}

FIX_FILTER = ("make it part of the key (PartitionKey/ClusteringKey), index it (Indexed(), Indexed(using='sai')), "
              "or add .allow_filtering() to scan and filter on the server")


@dataclass(frozen=True, slots=True)
class Marker:
    """One ``?`` bind marker: its CQL type and how to encode the value bound to it."""

    type: str
    encode: Codec | None = None


@dataclass(frozen=True, slots=True)
class Where:
    """A compiled WHERE clause: text (without the keyword), markers, and what it restricts.

    Attributes:
        indexed: The non-key filters the server answers from an index, as ``field__how``.
    """

    text: str
    markers: tuple[Marker, ...]
    partition_restricted: bool
    needs_filtering: tuple[str, ...]
    indexed: tuple[str, ...] = ()


def flatten(node: Node | None, model: str) -> list[Lookup]:
    """The AND-ed lookups of a filter tree.

    Raises:
        NotSupported: the tree holds an OR or a negation, which CQL has no way to express.
    """
    if node is None:
        return []
    if isinstance(node, Lookup):
        if node.transform is not None:
            raise NotSupported(_no_transform(model, node))
        if isinstance(node.value, Subquery):
            raise NotSupported(
                f"{model}.{node.field}__{node.op}: CQL has no subqueries; read the keys first and pass a list "
                f"(__in=list(qs.values_list({node.value.column!r}, flat=True)))"
            )
        return [node]
    if node.negated:
        raise NotSupported(
            f"{model}: CQL has no NOT; filter on the values you want (e.g. __in=[…]) or filter the rows in Python"
        )
    if node.connector == "or" and len(node.children) > 1:
        raise NotSupported(
            f"{model}: CQL has no OR; run one query per branch and merge the results, "
            "or use __in=[…] when the branches test one column"
        )
    out: list[Lookup] = []
    for child in node.children:
        out.extend(flatten(child, model))
    return out


def _no_transform(model: str, node: Lookup) -> str:
    """Why CQL refuses ``created__year`` and ``data__key``, and what to do instead."""
    what = f"{model}.{node.field}__{'__'.join(map(str, node.path)) or node.op}" if node.transform == "key" \
        else f"{model}.{node.field}__{node.transform}"
    if node.transform == "key":
        return (f"{what}: CQL cannot read inside a JSON value on the server (no server-side transforms of "
                "non-key columns); store the values you filter on in columns of their own (a map<text, text> "
                "with an index on its entries, or a table per query), or filter the rows in Python")
    return (f"{what}: CQL has no server-side transforms of non-key columns (no EXTRACT); filter on a range of "
            f"the column itself ({node.field}__gte=…, {node.field}__lt=…), or store the part in a column of its "
            "own (a bucket key such as day or month)")


def lookup_shape(lookups: list[Lookup]) -> tuple[tuple[str, str], ...]:
    """The part of the lookups a statement's text depends on."""
    return tuple((lk.field, lk.op) for lk in lookups)


def token_lookups(options: dict[str, Any]) -> list[Lookup]:
    """``token_gt=…`` style options as lookups on the pseudo-field ``token``."""
    return [Lookup(TOKEN_FIELD, op, options[key]) for key, op in TOKEN_OPTIONS.items() if key in options]


def _item_type(table: CqlTable, field: str, position: int) -> tuple[str, Codec | None]:
    column = table.by_name[field]
    items = column.type.items
    ltype = items[min(position, len(items) - 1)] if items else column.type
    return cql_type(ltype, nested=True), codecs.item_encoder(table.model_name, column, position)


def _in_encoder(enc: Codec | None) -> Codec:
    if enc is None:
        return list
    return lambda values: [enc(v) for v in values]


def _pattern(op: str) -> Codec:
    template = TEXT_PATTERNS[op]
    return lambda v: template.format(v)


WRITE_PARTS_PER_TABLE = 256


def render_write(table: CqlTable, lookups: list[Lookup], purpose: str) -> Where:
    """:func:`render` for an UPDATE or DELETE, kept per lookup shape on the table: a write
    by key renders the same clause every time. Whether a value is an expression is part
    of the shape, as :func:`render` refuses those."""
    key = (purpose, tuple((lk.field, lk.op, is_expression(lk.value)) for lk in lookups))
    cached = table.write_parts.get(key)
    if cached is None:
        cached = render(table, lookups, allow_filtering=False, purpose=purpose)
        if len(table.write_parts) >= WRITE_PARTS_PER_TABLE:
            table.write_parts.clear()
        table.write_parts[key] = cached
    return cached


def render(table: CqlTable, lookups: list[Lookup], *, allow_filtering: bool, purpose: str = "select") -> Where:
    """Compiles AND-ed lookups into a WHERE clause, refusing what CQL cannot serve.

    Args:
        purpose: ``"select"``, ``"update"`` or ``"delete"``; writes need the key, never a scan.

    Raises:
        NotSupported: a lookup CQL cannot express, or one that needs ALLOW FILTERING without it.
        QueryError: a lookup names an unknown field.
    """
    model = table.model_name
    parts: list[str] = []
    markers: list[Marker] = []
    eq_cols: set[str] = set()
    range_cols: set[str] = set()
    other: list[tuple[str, str]] = []
    labels: dict[str, str] = {}
    token = False
    for lk in lookups:
        field, op = lk.field, lk.op
        if is_expression(lk.value):
            raise NotSupported(f"{model}.{field}: CQL compares columns only with values, not with F() expressions; "
                               "read the rows and compare in Python")
        if field == TOKEN_FIELD and field not in table.by_name:
            if op not in RANGE_OPS and op != "exact":
                raise NotSupported(f"{model}: token() takes =, >, >=, <, <=; not {op!r}")
            cols = ", ".join(table.ident(c) for c in table.partition)
            parts.append(f"token({cols}) {RANGE_OPS.get(op, '=')} ?")
            markers.append(Marker("bigint"))
            token = True
            continue
        if field not in table.by_name:
            raise QueryError(f"{model} has no field {field!r}")
        column = table.by_name[field]
        name = table.ident(field)
        ctype = cql_type(column.type, freeze=column.key is not None)
        enc = table.encoder(field)
        if op == "exact":
            parts.append(f"{name} = ?")
            markers.append(Marker(ctype, enc))
            eq_cols.add(field)
        elif op in RANGE_OPS:
            parts.append(f"{name} {RANGE_OPS[op]} ?")
            markers.append(Marker(ctype, enc))
            range_cols.add(field)
        elif op == "range":
            parts.append(f"{name} >= ? AND {name} <= ?")
            markers += [Marker(ctype, enc), Marker(ctype, enc)]
            range_cols.add(field)
        elif op == "in":
            parts.append(f"{name} IN ?")
            markers.append(Marker(f"list<{cql_type(column.type, nested=True)}>", _in_encoder(enc)))
            eq_cols.add(field)
        elif op in ("has", "contains_value") or (op == "contains" and column.type.kind in (Kind.LIST, Kind.SET,
                                                                                               Kind.MAP)):
            if column.type.kind not in (Kind.LIST, Kind.SET, Kind.MAP):
                raise QueryError(f"{model}.{field}: __contains on a collection needs a list, set or map field")
            item_type, item_enc = _item_type(table, field, 1 if column.type.kind is Kind.MAP else 0)
            parts.append(f"{name} CONTAINS ?")
            markers.append(Marker(item_type, item_enc))
            other.append((field, "contains"))
            labels.setdefault(field, "contains")
        elif op == "contains_key":
            if column.type.kind is not Kind.MAP:
                raise QueryError(f"{model}.{field}: __contains_key needs a map (dict) field")
            key_type, key_enc = _item_type(table, field, 0)
            parts.append(f"{name} CONTAINS KEY ?")
            markers.append(Marker(key_type, key_enc))
            other.append((field, "contains_key"))
            labels.setdefault(field, "contains_key")
        elif op in TEXT_PATTERNS:
            # Apache Cassandra's SAI answers = and ranges but refuses LIKE ("only supported on
            # properly indexed columns"); only SASI matches patterns.
            if "sasi" not in table.index_kinds(field):
                raise NotSupported(
                    f"{model}.{field}__{op}: CQL matches text patterns (LIKE) only on a SASI index "
                    "(an SAI index serves = and ranges, not LIKE); declare the field Indexed(using='sasi'), "
                    "or filter the rows in Python"
                )
            parts.append(f"{name} LIKE ?")
            markers.append(Marker(ctype, _pattern(op)))
            other.append((field, "like"))
            labels.setdefault(field, op)
        elif op in CASE_INSENSITIVE:
            raise NotSupported(
                f"{model}.{field}__{op}: CQL comparisons are case-sensitive; store a lower-cased copy of the "
                "value in another field and filter on it, or use a SASI index with "
                "options={'case_sensitive': 'false'} and __like"
            )
        elif op == "isnull":
            raise NotSupported(f"{model}.{field}__isnull: CQL cannot filter on missing values; "
                               "store an explicit marker value and filter on it")
        elif op == "json_contains":
            raise NotSupported(f"{model}.{field}: JSON documents are stored as text in CQL and cannot be searched; "
                               "declare the field as a list, set, map or user type instead")
        else:
            raise NotSupported(f"{model}.{field}: lookup {op!r} has no CQL equivalent")
        if op in RANGE_OPS or op in ("range", "exact", "in"):
            other.append((field, {"exact": "eq", "in": "in"}.get(op, "range")))
        labels.setdefault(field, op)
    needs = _needs_filtering(table, eq_cols, range_cols, other, token, purpose, labels)
    partition_restricted = all(p in eq_cols for p in table.partition)
    key_cols = set(table.primary_key)
    indexed = tuple(dict.fromkeys(_label(f, labels) for f, how in other
                                  if f not in key_cols and _served_by_index(table, f, how)))
    partition_in = [lk.field for lk in lookups if lk.op == "in" and lk.field in table.partition]
    if purpose == "select" and indexed and partition_in:
        # The server refuses this whatever ALLOW FILTERING says ("Select on indexed columns
        # and with IN clause for the PRIMARY KEY are not supported").
        raise NotSupported(
            f"{model}: CQL cannot combine __in on the partition key ({', '.join(partition_in)}) with a filter "
            f"an index answers ({', '.join(indexed)}); run one query per partition key value and merge the "
            "rows, or filter on the partition key alone and test the rest in Python"
        )
    if needs and not allow_filtering:
        if purpose != "select":
            raise NotSupported(
                f"{model}: a CQL {purpose.upper()} must name rows by primary key "
                f"({', '.join(table.primary_key)}); it cannot filter on {', '.join(needs)}. "
                "Read the matching rows, then update or delete them by key"
            )
        raise NotSupported(
            f"{model}: filtering on {', '.join(needs)} needs ALLOW FILTERING (a scan of the table); {FIX_FILTER}"
        )
    return Where(" AND ".join(parts), tuple(markers), partition_restricted, tuple(needs), indexed)


def _served_by_index(table: CqlTable, field: str, how: str) -> bool:
    kinds = table.index_kinds(field)
    if not kinds:
        return False
    if how == "eq":
        return bool(kinds & {"2i", "sai", "sasi", "full"})
    if how == "range":
        # Apache Cassandra 5's SASI refuses ranges on text, whatever its mode.
        return "sai" in kinds or ("sasi" in kinds and table.by_name[field].type.kind is not Kind.TEXT)
    if how == "contains":
        return bool(kinds & {"2i", "sai", "values"})
    if how == "contains_key":
        return "keys" in kinds
    if how == "like":
        return "sasi" in kinds
    return False


def _needs_filtering(table: CqlTable, eq_cols: set[str], range_cols: set[str], other: list[tuple[str, str]],
                     token: bool, purpose: str, labels: dict[str, str]) -> list[str]:
    """The lookups that only a scan could answer, as ``field__how`` strings."""
    needs: list[str] = []
    key_cols = set(table.primary_key)
    partition_full = all(p in eq_cols for p in table.partition)
    if purpose != "select":
        for p in table.partition:
            if p not in eq_cols:
                needs.append(f"{p} (missing)")
        if purpose == "update":
            needs += [f"{c} (missing)" for c in table.clustering if c not in eq_cols]
        needs += [_label(f, labels) for f, how in other if f not in key_cols]
        return needs
    partial_partition = [p for p in table.partition if p in eq_cols or p in range_cols]
    if partial_partition and not partition_full:
        needs += [p for p in partial_partition if not _served_by_index(table, p, "eq")]
    # Several SAI indexes serve one query together; any other index (secondary or SASI)
    # serves a query only alone, and the server refuses the rest without ALLOW FILTERING.
    served = [(f, how) for f, how in other if f not in key_cols and _served_by_index(table, f, how)]
    only_sai = all("sai" in table.index_kinds(f) and how in ("eq", "range", "contains") for f, how in served)
    for field, how in other:
        if field in key_cols:
            continue
        if (field, how) in served:
            if not only_sai and (field, how) != served[0]:
                needs.append(f"{_label(field, labels)} (an index other than SAI serves a query only alone)")
            continue
        needs.append(_label(field, labels))
    indexed_query = any(f not in key_cols for f, _ in other)
    prefix_open = True
    for c in table.clustering:
        restricted = c in eq_cols or c in range_cols
        if restricted and not prefix_open:
            needs.append(f"{c} (clustering columns before it are not restricted by =)")
        scoped = partition_full or token or indexed_query
        if restricted and not scoped and not _served_by_index(table, c, "eq"):
            needs.append(f"{c} (partition key not given)")
        if c not in eq_cols:
            prefix_open = False
    return list(dict.fromkeys(needs))


def _label(field: str, labels: dict[str, str]) -> str:
    op = labels.get(field, "exact")
    return field if op == "exact" else f"{field}__{op}"
