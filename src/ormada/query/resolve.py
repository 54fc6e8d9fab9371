"""Checking lookups against a model: field names, lookup names and value types.

Everything here runs when ``filter()`` is called, so a typo or a bad value fails
before anything is sent, naming the model, the field and the closest valid name.
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from ormada.errors import QueryError
from ormada.query.expressions import Combined, F, Junction, Lookup, Node, Q, RawLookups, is_expression, references
from ormada.query.state import Subquery, SubquerySource
from ormada.query.transforms import is_transform, resolve_transform, transforms_of
from ormada.schema import ColumnSchema, Kind, TableSchema

COMPARISONS = ("exact", "gt", "gte", "lt", "lte", "in", "range", "isnull")
TEXT_LOOKUPS = ("iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith")
COLLECTION_LOOKUPS = ("contains",)
COLLECTION_ONLY = ("contains_key", "like")
ALL_LOOKUPS = COMPARISONS + TEXT_LOOKUPS + COLLECTION_ONLY
PK = "pk"  # stands for the primary-key field wherever a field is named (no field may be called so)
TOKEN_FIELD = "token"  # Cassandra's token() of the partition key; other backends refuse it
COLLECTION_KINDS = (Kind.LIST, Kind.SET)
# Values already of these exact types need no validation (the common case, and cheap to test).
EXACT_TYPES = frozenset({int, str, float, bool, bytes, uuid.UUID, dt.datetime, dt.date, dt.time})


@lru_cache(maxsize=4096)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def check_aliases(model_name: str, method: str, names: Iterable[str]) -> None:
    """Refuses result names (``annotate(total=...)``, ``aggregate(total=...)``) that are not
    Python identifiers: they become column labels in the statement, and one built from outside
    input (``**{request_param: ...}``) must not carry quotes, semicolons, comments or spaces.

    Raises:
        QueryError: a name that is not an identifier.
    """
    for name in names:
        if not name.isidentifier():
            raise QueryError(f"{model_name}.{method}(): the name {name!r} is not a Python identifier (letters, "
                             "digits and underscores, not starting with a digit); results are named like fields")


def closest(name: str, choices: Iterable[str]) -> str:
    """A ``; did you mean 'x'?`` hint, or an empty string."""
    hint = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def key_field(model_name: str, table: TableSchema) -> str:
    """The field ``pk`` stands for (Django's alias): the model's one primary-key field.

    Raises:
        QueryError: the key has several fields, so ``pk`` would name no one of them.
    """
    keys = table.primary_key
    if len(keys) != 1:
        raise QueryError(f"{model_name}: 'pk' stands for a primary key of one field, and {model_name}'s has "
                         f"{len(keys)} ({', '.join(c.name for c in keys)}); name the fields instead")
    return keys[0].name


def column_of(model_name: str, table: TableSchema, name: str) -> ColumnSchema:
    """The column called ``name``, or a QueryError naming the closest one."""
    column = table.by_name.get(name)
    if column is None and name == PK:
        column = table.by_name[key_field(model_name, table)]
    if column is None:
        raise QueryError(
            f"{model_name} has no field {name!r}{closest(name, table.by_name)} "
            f"(fields: {', '.join(table.by_name)})"
        )
    return column


def validate_value(model_name: str, column: ColumnSchema, value: Any, item: bool | int = False) -> Any:
    """Coerces a filter or update value to the column's Python type.

    Args:
        item: Validate one element of a collection column instead of the whole
            value (``True`` or ``0``: a list item or map key; ``1``: a map value).

    Raises:
        QueryError: the value cannot be converted, naming model, field and value.
    """
    if value is None or is_expression(value):
        return value
    position = int(item) if item is not False else -1
    items = column.type.items
    ltype = items[position] if position >= 0 and len(items) > position else column.type
    annotation = ltype.python_type
    if annotation is None or (type(value) is annotation and annotation in EXACT_TYPES):
        return value
    try:
        return _adapter(annotation).validate_python(value)
    except ValidationError as exc:
        detail = exc.errors()[0]["msg"]
        raise QueryError(f"{model_name}.{column.name}: invalid value {value!r}: {detail}") from None


class RelationScope(Protocol):
    """The relations a lookup may follow from one model (see :func:`resolve_lookup`)."""

    model_name: str
    table: TableSchema
    key: str | None  # the model's one-field primary key, which stands for its rows

    def relation(self, name: str) -> RelationScope | None:
        """The scope of the model the relation ``name`` leads to, or None."""
        ...

    def forward_key(self, name: str) -> tuple[str, str] | None:
        """For a relation whose key this model holds: the key field and the field it refers to."""
        ...

    def expression_lookup(self, key: str, value: Any) -> Lookup | None:
        """``key=value`` as a lookup on an expression (an annotation, a function), or None."""
        ...


def resolve_lookup(model_name: str, table: TableSchema, key: str, value: Any, database: str | None = None,
                   scope: RelationScope | None = None) -> Lookup:
    """Turns ``"year__gte", 1960`` into a checked :class:`Lookup`; with ``scope``, also
    ``"author__name__icontains"`` (a Lookup on the path ``author__name``) and
    ``author=<Author>`` (a Lookup on the key ``author_id``).

    Args:
        database: The database the outer query reads, which a QuerySet given to
            ``__in`` must read too (None: not checked).
    """
    if scope is not None:
        compared = scope.expression_lookup(key, value)
        if compared is not None:
            return compared
    name, sep, op = key.partition("__")
    if name == PK and name not in table.by_name:
        name = key_field(model_name, table)
    if sep and not op:
        raise QueryError(f"{model_name}: {key!r} ends with '__' but names no lookup; write {name!r} or "
                         f"{name}__<lookup>")
    if scope is not None and name not in table.by_name:
        across = _across(model_name, table, name, op, value, database, scope)
        if across is not None:
            return across
    if name == TOKEN_FIELD and name not in table.by_name and op in ("", "exact", "gt", "gte", "lt", "lte"):
        return Lookup(name, op or "exact", value)
    column = column_of(model_name, table, name)
    if not op and value is not None and not isinstance(value, (F, Combined)):
        return Lookup(name, "exact", validate_value(model_name, column, value))  # the common case, first
    op = op or "exact"
    if op not in ALL_LOOKUPS and is_transform(column, op):
        return resolve_transform(model_name, column, op, value, ALL_LOOKUPS)
    if "__" in op:
        raise QueryError(
            f"{model_name}.{name}: lookup {op!r} is not supported; {name} is a field, not a relation "
            f"(known lookups: {', '.join(ALL_LOOKUPS)})"
        )
    if op not in ALL_LOOKUPS:
        known = ALL_LOOKUPS + transforms_of(column)
        raise QueryError(
            f"{model_name}.{name}: unknown lookup {op!r}{closest(op, known)} (known: {', '.join(known)})"
        )
    kind = column.type.kind
    if op == "exact" and value is None:
        return Lookup(name, "isnull", True)
    if op == "isnull":
        if not isinstance(value, bool):
            raise QueryError(f"{model_name}.{name}__isnull takes True or False, not {value!r}")
        return Lookup(name, op, value)
    if op == "contains" and (kind in COLLECTION_KINDS or kind in (Kind.JSON, Kind.MAP)):
        if kind is Kind.JSON:
            if isinstance(value, (dict, list, tuple)):  # containment of a document, as JSONB's @>
                return Lookup(name, "contains", value, "key", ())
            return Lookup(name, "json_contains", value)
        # A list or set holds the item; a map holds it among its values.
        return Lookup(name, "has", validate_value(model_name, column, value, item=1 if kind is Kind.MAP else 0))
    if op == "contains_key":
        if kind is not Kind.MAP:
            raise QueryError(f"{model_name}.{name}__contains_key needs a dict field; {name} holds {kind.value}")
        return Lookup(name, op, validate_value(model_name, column, value, item=0))
    if op == "like":
        if kind is not Kind.TEXT or not isinstance(value, str):
            raise QueryError(f"{model_name}.{name}__like takes a pattern string on a text field")
        return Lookup(name, op, value)
    if op in TEXT_LOOKUPS:
        if kind is not Kind.TEXT:
            raise QueryError(f"{model_name}.{name}: lookup {op!r} needs a text field; {name} holds {kind.value}")
        if not isinstance(value, str):
            raise QueryError(f"{model_name}.{name}__{op} takes a string, not {value!r}")
        return Lookup(name, op, value)
    if op == "in":
        # Not isinstance() of the protocol, which costs microseconds on every __in lookup.
        if hasattr(value, "as_subquery"):
            return Lookup(name, op, subquery(f"{model_name}.{name}__in", value, database))
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise QueryError(f"{model_name}.{name}__in takes a list of values, not {value!r}")
        return Lookup(name, op, tuple(validate_value(model_name, column, v) for v in value))
    if op == "range":
        try:
            low, high = value
        except (TypeError, ValueError):
            raise QueryError(f"{model_name}.{name}__range takes (low, high), not {value!r}") from None
        return Lookup(name, op, (validate_value(model_name, column, low), validate_value(model_name, column, high)))
    if isinstance(value, (F, Combined)):
        check_expression(model_name, table, value, scope)
        return Lookup(name, op, keyed(model_name, table, value))
    return Lookup(name, op, validate_value(model_name, column, value))


def keyed(model_name: str, table: TableSchema, value: Any) -> Any:
    """An expression with ``F("pk")`` replaced by ``F`` of the key field it stands for."""
    if isinstance(value, F):
        return F(key_field(model_name, table)) if value.name == PK and PK not in table.by_name else value
    if isinstance(value, Combined):
        return Combined(keyed(model_name, table, value.lhs), value.op, keyed(model_name, table, value.rhs))
    return value


def _across(model_name: str, table: TableSchema, name: str, op: str, value: Any, database: str | None,
            scope: RelationScope) -> Lookup | None:
    """A lookup on the relation ``name``: by the related key, or on a field across it."""
    forward = scope.forward_key(name)
    if forward is not None and op in ("", "exact", "in", "isnull"):
        key_field, target_key = forward
        value = _keys_of(model_name, name, op, value, target_key)
        return resolve_lookup(model_name, table, f"{key_field}__{op}" if op else key_field, value, database)
    related = scope.relation(name)
    if related is None:
        return None
    if op in ("", "exact", "in") and related.key is not None:  # tags=<Tag> means tags__id=<its key>
        value = _keys_of(model_name, name, op, value, related.key)
        op = f"{related.key}__{op}" if op else related.key
    if not op:
        raise QueryError(f"{model_name}.{name} leads to many {related.model_name} rows; filter on one of their "
                         f"fields ({name}__<field>=…)")
    inner = resolve_lookup(related.model_name, related.table, op, value, database, related)
    return replace(inner, field=f"{name}__{inner.field}")


def _keys_of(model_name: str, name: str, op: str, value: Any, target_key: str) -> Any:
    """A lookup's value on a relation, each instance in it replaced by the key it stands for."""
    if op == "isnull" or hasattr(value, "as_subquery"):
        return value
    if op == "in" and isinstance(value, Iterable):
        return [_key_of(model_name, name, v, target_key) for v in value]
    return _key_of(model_name, name, value, target_key)


def _key_of(model_name: str, name: str, value: Any, target_key: str) -> Any:
    """The key a related instance is found by (a key given as it is stays as it is)."""
    if value is None or not hasattr(value, "__pydantic_fields__"):
        return value
    key = value.__dict__.get(target_key)
    if key is None:
        raise QueryError(f"{model_name}.{name}: the {type(value).__name__} given has no {target_key} "
                         "(it is not saved); filter by a saved instance or a key")
    return key


def subquery(lookup: str, source: SubquerySource, database: str | None) -> Subquery:
    """The QuerySet given to ``lookup`` as a subquery of one column, kept unrun.

    Raises:
        QueryError: it selects more than one column, or reads another database.
    """
    inner = source.as_subquery(lookup)
    if database is not None and inner.database != database:
        raise QueryError(
            f"{lookup}: the QuerySet of {inner.model} reads database {inner.database!r} and this query "
            f"reads {database!r}; one statement cannot read both: pass a list of values instead "
            f"(list(qs.values_list({inner.column!r}, flat=True)))"
        )
    return inner


def check_expression(model_name: str, table: TableSchema, value: Any, scope: RelationScope | None = None) -> None:
    """Checks that every ``F`` in an expression names a field; with ``scope``, also a field
    across relations (``F("author__born")``)."""
    if isinstance(value, F):
        path, _, last = value.name.rpartition("__")
        if scope is None or not path or value.name in table.by_name:
            column_of(model_name, table, value.name)
            return
        current: RelationScope | None = scope
        for step in path.split("__"):
            current = current.relation(step) if current is not None else None
            if current is None:
                raise QueryError(f"{model_name}: F({value.name!r}) follows {step!r}, which is not a relation")
        column_of(current.model_name, current.table, last)  # type: ignore[union-attr]
    elif isinstance(value, Combined):
        check_expression(model_name, table, value.lhs, scope)
        check_expression(model_name, table, value.rhs, scope)


def check_assigned_expression(model_name: str, table: TableSchema, field: str, value: Any) -> None:
    """Checks the value of ``update(field=value)``: every ``F`` in it names a field of the model itself."""
    for ref in references(value):
        if "__" in ref.name and ref.name not in table.by_name:
            # An UPDATE cannot join (Django refuses these too): say so, not "no such field".
            raise QueryError(f"{model_name}.update({field}=...): {ref!r} reads across a relation, which an "
                             f"UPDATE cannot join; filter across the relation instead "
                             f"({ref.name.split('__')[0]}__...=...) or change the rows one by one")
    check_expression(model_name, table, value)


def resolve(model_name: str, table: TableSchema, q: Q | RawLookups, database: str | None = None,
            scope: RelationScope | None = None) -> Node | None:
    """Checks a ``Q`` tree (or bare keyword lookups) and returns its node tree;
    an empty ``Q()`` (negated or not) filters nothing and gives None. ``database``
    and ``scope`` are as for :func:`resolve_lookup`."""
    if isinstance(q, RawLookups):
        leaves = tuple(resolve_lookup(model_name, table, k, v, database, scope) for k, v in q.items)
        return leaves[0] if len(leaves) == 1 else Junction("and", leaves)
    resolved = (resolve(model_name, table, c, database, scope) for c in q.children)
    children = tuple(child for child in resolved if child is not None)
    if not children:
        return None
    if len(children) == 1 and not q.negated:
        return children[0]
    return Junction(q.connector, children, q.negated)


def conjoin(existing: Node | None, new: Node) -> Node:
    """``existing AND new``, flattening nested ANDs."""
    if existing is None:
        return new
    return Junction("and", (*_and_parts(existing), *_and_parts(new)))


def _and_parts(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Junction) and node.connector == "and" and not node.negated:
        return node.children
    return (node,)
