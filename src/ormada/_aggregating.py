"""``aggregate()``: aggregates resolved against a model (fields, relations, filters, the
joins they cross) and the sans-I/O operation that reads them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ormada._annotated import refuse_expressions
from ormada._joins import InfoOf, lookup_paths, resolve_joins
from ormada._operations import Operation, check_joins
from ormada.errors import DatabaseError, DataError, QueryError
from ormada.query.aggregates import NUMERIC_KINDS, Aggregate, AggregateSpec
from ormada.query.cte import extra_names
from ormada.query.expressions import Junction, Lookup, Node, Q
from ormada.query.resolve import PK, column_of, key_field
from ormada.query.state import Join, QueryState
from ormada.schema import ColumnSchema, Kind

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.backends.base import Backend

FilterOf = Callable[[Q], "Node | None"]
ExpressionOf = Callable[[Any], "tuple[Any, list[str]] | None"]  # an aggregate's expression, and its paths


def named_aggregates(model: str, args: Sequence[Any], named: Mapping[str, Any]) -> dict[str, Aggregate]:
    """The aggregates of ``aggregate(*args, **named)`` by result key; a positional one is
    keyed ``field__function`` (``amount__sum``).

    Raises:
        QueryError: something that is not an aggregate, or two with one key.
    """
    out: dict[str, Aggregate] = {}
    for item in (*args, *named.values()):
        if not isinstance(item, Aggregate):
            raise QueryError(f"{model}.aggregate() takes aggregates such as Sum('field') or Count('id'), "
                             f"not {item!r}")
    for item in args:
        if not isinstance(item.field, str):
            raise QueryError(f"{model}.aggregate({item!r}): an aggregate of an expression needs a name, "
                             f"e.g. aggregate(total={item!r})")
        if item.default_name in out:
            raise QueryError(f"{model}.aggregate(): two aggregates named {item.default_name!r}; name them")
        out[item.default_name] = item
    for name, item in named.items():
        if name in out:
            raise QueryError(f"{model}.aggregate(): two aggregates named {name!r}")
        out[name] = item
    if not out:
        raise QueryError(f"{model}.aggregate() needs at least one aggregate, e.g. aggregate(n=Count('*'))")
    return out


def resolve_aggregates(info_of: InfoOf, info: ModelInfo, joins: tuple[Join, ...], aggregates: Mapping[str, Aggregate],
                       filter_of: FilterOf, expression_of: ExpressionOf | None = None,
                       ) -> tuple[tuple[AggregateSpec, ...], tuple[Join, ...]]:
    """Each aggregate as the column path it reads, with the joins its field and filter cross
    added to ``joins``.

    A relation name (``Count("books")``) reads the related rows' primary key; a path
    (``Sum("books__pages")``) reads the field at its end, joining as lookups do (a reverse
    relation by LEFT JOIN, so an owner with no rows counts 0).

    An expression (``Sum(F("price") * F("qty"))``) or the name of an expression
    annotation is resolved by ``expression_of``.

    Raises:
        QueryError: an unknown field or relation, or Sum/Avg/StdDev/Variance of a
            field that does not hold numbers (naming the model, the field and its kind).
    """
    specs = []
    for name, aggregate in aggregates.items():
        what = f"{info.name}: {name}={aggregate!r}"
        field, column = aggregate.field, None
        expression = expression_of(field) if expression_of is not None else None
        if expression is not None:
            resolved, paths = expression
            if paths:
                joins = _joined(info_of, info, paths, joins, what)
            kind = resolved.ltype.kind
            if aggregate.numeric and kind not in NUMERIC_KINDS:
                raise QueryError(f"{what}: {type(aggregate).__name__} needs numbers, and {field!r} gives "
                                 f"{kind.value}; use Count, Min or Max, or aggregate a number")
            field, column = "", ColumnSchema(name, resolved.ltype, nullable=True)
        elif not isinstance(field, str):
            raise QueryError(f"{what}: expressions in aggregates are resolved by the QuerySet")
        elif field == "*":
            if aggregate.function != "count":
                raise QueryError(f"{what}: only Count takes '*'")
        else:
            path, owner, last = _split(info_of, info, field)
            if last == PK and last not in owner.table.by_name:
                last = key_field(owner.name, owner.table)
            if path:
                joins = _joined(info_of, info, [path], joins, what)
            target = owner.relations.get(last) if last not in owner.table.by_name else None
            if target is not None:  # a relation: its rows' key
                path = f"{path}__{last}" if path else last
                joins = _joined(info_of, info, [path], joins, what)
                owner = info_of(target.target)
                last = owner.pk[0] if len(owner.pk) == 1 else target.key
            try:
                column = column_of(owner.name, owner.table, last)
            except QueryError as exc:
                raise QueryError(f"{what}: {exc.args[0]}") from None
            field = f"{path}__{last}" if path else last
            if aggregate.numeric and column.type.kind not in NUMERIC_KINDS:
                raise QueryError(f"{what}: {type(aggregate).__name__} needs a numeric field, and "
                                 f"{owner.name}.{last} holds {column.type.kind.value}; "
                                 "use Count, Min or Max, or aggregate a number")
        node = None
        if aggregate.filter is not None:
            node = filter_of(aggregate.filter)
            paths = lookup_paths(node)
            if paths:
                joins = _joined(info_of, info, paths, joins, what)
        specs.append(AggregateSpec(name, aggregate.function, field, None if column is None else column.type.kind,
                                   column, aggregate.distinct, aggregate.sample, node,
                                   None if expression is None else expression[0]))
    return tuple(specs), joins


def _split(info_of: InfoOf, info: ModelInfo, field: str) -> tuple[str, ModelInfo, str]:
    """The relation path of a field path, the model at its end and the last name
    (``books__pages`` -> ``books``, Book, ``pages``)."""
    parts = field.split("__")
    current = info
    for depth, name in enumerate(parts[:-1]):
        relation = current.relations.get(name)
        if relation is None:
            column_of(current.name, current.table, name)  # names the closest field
            raise QueryError(f"{current.name}.{name} is a field, not a relation; {field!r} cannot go past it")
        current = info_of(relation.target)
        if depth == len(parts) - 2:
            break
    return "__".join(parts[:-1]), current, parts[-1]


def _joined(info_of: InfoOf, info: ModelInfo, paths: list[str], joins: tuple[Join, ...],
            what: str) -> tuple[Join, ...]:
    try:
        return resolve_joins(info_of, info, paths, joins, False)
    except QueryError as exc:
        raise QueryError(f"{what}: {exc.args[0]}") from None


def planned(backend: Backend, info_of: InfoOf, info: ModelInfo, state: QueryState, args: Sequence[Any],
            named: Mapping[str, Any], filter_of: FilterOf, expression_of: ExpressionOf | None = None) -> Operation:
    """The operation of ``aggregate(*args, **named)`` on the rows ``state`` selects."""
    wanted = named_aggregates(info.name, args, named)
    specs, joins = resolve_aggregates(info_of, info, state.joins, wanted, filter_of, expression_of)
    # Expression annotations are read by no aggregate: the filters naming them hold their expressions.
    kept = tuple(spec for spec in state.annotations if isinstance(spec, AggregateSpec))
    return aggregate(backend, info, state.evolve(joins=joins, annotations=kept), specs)


def aggregate(backend: Backend, info: ModelInfo, state: QueryState, specs: tuple[AggregateSpec, ...]) -> Operation:
    """The aggregates of the rows ``state`` selects, as a dict keyed by their names."""
    check_joins(backend, info, state)
    if not backend.supports.expressions:
        refuse_expressions(backend, info, state.evolve(annotations=specs), action="aggregate")
    statement, decoders = backend.aggregate(info, state, specs)
    try:
        rows = yield statement
    except DatabaseError as exc:
        clearer = _overflow(backend, info, specs, exc)
        if clearer is None:
            raise
        raise clearer from exc
    row = tuple(rows[0]) if rows else (None,) * len(specs)
    if len(row) > len(specs):
        # A trailing row count, from a backend whose aggregates over no rows read 0 (CQL's
        # sum and avg): over no rows, all but Count are None.
        if not row[-1]:
            row = tuple(0 if spec.function == "count" else None for spec in specs)
        row = row[:len(specs)]
    return {spec.name: decode(value) for spec, decode, value in zip(specs, decoders, row, strict=True)}


def _overflow(backend: Backend, info: ModelInfo, specs: tuple[AggregateSpec, ...],
              exc: DatabaseError) -> DataError | None:
    """SQLite's ``integer overflow`` of an exact decimal sum, said with the field and the way out
    (None for any other error)."""
    digits = backend.supports.extra.get("decimal_units_digits")
    if not digits or "integer overflow" not in str(exc):
        return None
    summed = [spec for spec in specs if spec.kind is Kind.DECIMAL and spec.function in ("sum", "avg")
              and spec.column is not None]
    if not summed:
        return None
    fields = ", ".join(f"{spec.function.capitalize()}({spec.field!r})" for spec in summed)
    return DataError(f"{info.name}: {fields} passed 2^63 units of the last decimal place, the most {backend.name} "
                     f"adds exactly (as whole units, for decimal fields of at most {digits} digits); declare the "
                     f"field with max_digits above {digits} to have it summed exactly as text, or sum fewer rows")


HAVING_OPS = frozenset(("exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"))


def annotated(info_of: InfoOf, info: ModelInfo, state: QueryState, named: Mapping[str, Any],
              filter_of: FilterOf, expression_of: ExpressionOf | None = None) -> dict[str, Any]:
    """The changes ``annotate(**named)`` makes to ``state``: the annotations, the joins they
    cross and, after ``values(...)``, the fields to group by (which the dicts then hold).

    Raises:
        QueryError: a name that is a field, a relation or an annotation already, or
            something that is not an aggregate.
    """
    if not named:
        raise QueryError(f"{info.name}.annotate() needs name=aggregate, e.g. annotate(n=Count('books'))")
    taken = {spec.name for spec in state.annotations}
    for name, item in named.items():
        if not isinstance(item, Aggregate):
            raise QueryError(f"{info.name}.annotate({name}={item!r}): annotations are aggregates "
                             "such as Count('books') or Sum('books__pages')")
        if name in info.table.by_name or name in info.relations:
            what = "field" if name in info.table.by_name else "relation"
            raise QueryError(f"{info.name}.annotate({name}={item!r}): the name clashes with the {what} "
                             f"{info.name}.{name}; pick another name")
        if name in taken:
            raise QueryError(f"{info.name}.annotate(): {name!r} is annotated already")
    specs, joins = resolve_aggregates(info_of, info, state.joins, named, filter_of, expression_of)
    changes: dict[str, Any] = {"annotations": state.annotations + specs, "joins": joins}
    if state.shape != "models" and state.columns is not None:
        if state.group_by is None:  # values(...) first: group by those fields (and expressions)
            aggregated = aggregate_names(state)
            changes["group_by"] = tuple(name for name in state.columns if name not in aggregated)
        changes["columns"] = state.columns + tuple(named)
    return changes


def annotation_names(state: QueryState) -> frozenset[str]:
    """The names a query selects and orders by besides fields: its annotations, the extra
    columns (depth) of the CTE it reads from, and the distance of ``nearest()``."""
    names = frozenset(spec.name for spec in state.annotations) | extra_names(state)
    if state.nearest is not None and state.nearest.distance is not None:
        return names | {state.nearest.distance}
    return names


def aggregate_names(state: QueryState) -> frozenset[str]:
    return frozenset(spec.name for spec in state.annotations if isinstance(spec, AggregateSpec))


def split_having(info: ModelInfo, state: QueryState, lookups: dict[str, Any],
                 negated: bool) -> tuple[Node | None, dict[str, Any]]:
    """The lookups on annotations (HAVING) apart from the others (WHERE).

    Raises:
        QueryError: a lookup an annotation cannot take, or ``exclude()`` mixing both kinds
            (NOT (a AND b) splits into neither part).
    """
    names = aggregate_names(state)
    if not names:
        return state.having, lookups
    having: list[Node] = []
    rest: dict[str, Any] = {}
    for key, value in lookups.items():
        name, _, op = key.partition("__")
        if name not in names:
            rest[key] = value
            continue
        op = op or "exact"
        if op not in HAVING_OPS:
            raise QueryError(f"{info.name}: the annotation {name!r} takes the lookups {', '.join(sorted(HAVING_OPS))}, "
                             f"not {op!r}")
        having.append(Lookup(name, op, value))
    if not having:
        return state.having, rest
    if negated and rest:
        raise QueryError(f"{info.name}.exclude(): exclude annotations ({', '.join(n.field for n in having)}) "  # type: ignore[union-attr]
                         "and fields in separate exclude() calls")
    node: Node = having[0] if len(having) == 1 else Junction("and", tuple(having))
    if negated:
        node = Junction("and", (node,), negated=True)
    return node if state.having is None else Junction("and", (state.having, node)), rest
