"""Expressions resolved against a model: fields checked, types worked out, subqueries'
outer references tied to the query they sit in (see :mod:`ormada.query.typed`).

Everything here runs when ``annotate()``, ``filter()`` or ``update()`` is called, so a bad
field, a type that cannot be computed with, or an ``OuterRef`` outside a subquery fails
before anything is sent, naming the model, the name and the value at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any

from ormada._joins import InfoOf, ModelScope, lookup_paths, resolve_joins
from ormada._schema_builder import UnsupportedType, logical_type, split_optional
from ormada.errors import QueryError
from ormada.query.aggregates import Aggregate, AggregateSpec
from ormada.query.expressions import Combined, Expression, F, Junction, Lookup, Node, Q, RawLookups
from ormada.query.functions import (
    Case,
    Cast,
    Exists,
    Extract,
    Func,
    Lag,
    Lead,
    OuterRef,
    Subquery,
    Trunc,
    Value,
    Window,
    WindowFunction,
    operand,
)
from ormada.query.resolve import ALL_LOOKUPS, closest, column_of, validate_value
from ormada.query.state import QueryState
from ormada.query.typed import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    FLOAT,
    INT,
    NULL,
    NUMBER_KINDS,
    TEXT,
    Arith,
    Call,
    CaseOf,
    CastTo,
    Col,
    DatePart,
    ExistsOf,
    ExpressionSpec,
    Match,
    Named,
    OuterCol,
    Resolved,
    SubqueryOf,
    Val,
    WindowOf,
    has_window,
    literal_type,
)
from ormada.schema import ColumnSchema, Kind, LogicalType

if TYPE_CHECKING:
    from ormada._info import ModelInfo

NodeOf = Callable[[Q, QueryState], "Node | None"]
TEXT_FUNCTIONS = frozenset(("lower", "upper", "length"))
WINDOW_AGGREGATES = frozenset(("count", "sum", "avg", "min", "max"))
operand_of = operand  # a window's field name or expression
MATCH_OPS = frozenset(("exact", "iexact", "gt", "gte", "lt", "lte", "in", "range", "isnull", "contains",
                       "icontains", "startswith", "istartswith", "endswith", "iendswith"))


def expression_specs(state: QueryState) -> dict[str, ExpressionSpec]:
    return {spec.name: spec for spec in state.annotations if isinstance(spec, ExpressionSpec)}


def needs_resolving(value: Any, annotated: Mapping[str, Any]) -> bool:
    """Whether a lookup's value is more than the ``F`` arithmetic plain filters compile:
    a function, a subquery, an outer reference, or an ``F`` naming an annotation."""
    if isinstance(value, F):
        return value.name.partition("__")[0] in annotated
    if isinstance(value, Combined):
        return needs_resolving(value.lhs, annotated) or needs_resolving(value.rhs, annotated)
    return isinstance(value, Expression)


class Resolver:
    """Resolves expressions against one model and query state, collecting the relation
    paths they cross (which the query then joins)."""

    def __init__(self, info_of: InfoOf, info: ModelInfo, state: QueryState, node_of: NodeOf, what: str) -> None:
        self.info_of, self.info, self.state, self.node_of, self.what = info_of, info, state, node_of, what
        self.annotated = expression_specs(state)
        self.aggregates = {spec.name for spec in state.annotations if isinstance(spec, AggregateSpec)}
        self.paths: list[str] = []

    def fail(self, message: str) -> QueryError:
        return QueryError(f"{self.what}: {message}")

    # -- fields --------------------------------------------------------------
    def column_at(self, info: ModelInfo, name: str) -> tuple[str, ColumnSchema]:
        """The relation path and column a field path (``author__name``, ``pk``, ``author``) names."""
        parts = name.split("__")
        path: list[str] = []
        current = info
        for step in parts[:-1]:
            relation = current.relations.get(step)
            if relation is None:
                if step in current.table.by_name:
                    raise self.fail(f"{current.name}.{step} is a field, not a relation; {name!r} cannot go past it")
                raise self.fail(f"{current.name} has no relation {step!r}{closest(step, current.relations)} "
                                f"(in {name!r})")
            path.append(step)
            current = self.info_of(relation.target)
        last = parts[-1]
        if last == "pk" and "pk" not in current.table.by_name and len(current.pk) == 1:
            last = current.pk[0]
        relation = current.relations.get(last) if last not in current.table.by_name else None
        if relation is not None and relation.kind == "forward":
            last = relation.key  # author stands for author_id
        elif relation is not None:
            raise self.fail(f"{current.name}.{last} leads to many {relation.target.__name__} rows; an expression "
                            f"reads one value: name a field, or aggregate it (Count({name!r}))")
        try:
            column = column_of(current.name, current.table, last)
        except QueryError as exc:
            raise self.fail(exc.args[0]) from None
        return "__".join(path), column

    def field(self, name: str) -> Resolved:
        if name in self.annotated:
            return self.annotated[name].expression
        if name in self.aggregates:
            raise self.fail(f"{name!r} is an aggregate annotation; filter on it with {name}__gt=… and the like, "
                            "or aggregate the fields it reads")
        path, column = self.column_at(self.info, name)
        if path:
            self.paths.append(path)
        return Col(f"{path}__{column.name}" if path else column.name, column)

    # -- expressions ---------------------------------------------------------
    def resolve(self, value: Any) -> Resolved:
        """The resolved form of an expression (a plain value is a literal).

        Raises:
            QueryError: an unknown field, a type the expression cannot compute with, an
                ``OuterRef`` outside a subquery (naming the model and the value).
        """
        if isinstance(value, F):
            return self.field(value.name)
        if isinstance(value, Combined):
            lhs, rhs = self.resolve(value.lhs), self.resolve(value.rhs)
            return Arith(value.op, lhs, rhs, self.arithmetic(value, lhs.ltype, rhs.ltype))
        if isinstance(value, Func):
            return self.function(value)
        if isinstance(value, Cast):
            return CastTo(self.resolve(value.expression), self.python_type(value.output, value))
        if isinstance(value, (Extract, Trunc)):
            return self.date_part(value)
        if isinstance(value, Case):
            return self.case(value)
        if isinstance(value, Subquery):
            return self.subquery(value)
        if isinstance(value, Exists):
            return self.exists(value)
        if isinstance(value, OuterRef):
            return OuterCol(value.name, None)
        if isinstance(value, Window):
            return self.window(value)
        if isinstance(value, WindowFunction):
            raise self.fail(f"{value!r} is computed over a window of rows: wrap it in Window({value!r}, "
                            "order_by=...)")
        if isinstance(value, Aggregate):
            raise self.fail(f"{value!r} is an aggregate; annotate it by name (annotate(n={value!r})) and "
                            "refer to the name")
        if isinstance(value, (Expression, Q)) and not isinstance(value, Value):
            raise self.fail(f"{value!r} cannot be computed in an expression")
        literal = value.value if isinstance(value, Value) else value
        ltype = literal_type(literal)
        if ltype is None:
            raise self.fail(f"the value {literal!r} ({type(literal).__name__}) has no SQL type; "
                            "pass an int, float, Decimal, str, bool, bytes, date, time, datetime or UUID")
        return Val(literal, ltype)

    def arithmetic(self, value: Any, left: LogicalType, right: LogicalType) -> LogicalType:
        kinds = {left.kind, right.kind} - {NULL.kind}
        if left is NULL or right is NULL:
            return right if left is NULL else left
        if not kinds <= NUMBER_KINDS:
            raise self.fail(f"{value!r} computes with {' and '.join(sorted(k.value for k in kinds))}; "
                            "arithmetic needs numbers")
        result = promote(left, right)
        if result.kind is Kind.DECIMAL:
            scales = [t.scale if t.kind is Kind.DECIMAL else 0 for t in (left, right)]
            scale = None
            if None not in scales and value.op in ("+", "-"):
                scale = max(s for s in scales if s is not None)
            elif None not in scales and value.op == "*":
                scale = sum(s for s in scales if s is not None)
            result = LogicalType(Kind.DECIMAL, python_type=result.python_type, scale=scale)
        return result

    def function(self, value: Func) -> Resolved:
        args = tuple(self.resolve(arg) for arg in value.args)
        name = value.function
        if type(value).name in TEXT_FUNCTIONS:
            kind = args[0].ltype.kind
            if kind not in (Kind.TEXT, NULL.kind):
                raise self.fail(f"{value!r} needs text, and {value.args[0]!r} holds {kind.value}")
            return Call(name, args, INT if name == "length" else TEXT)
        if type(value).name == "concat":
            return Call(name, args, TEXT)
        if type(value).name:  # coalesce, greatest, least
            return Call(name, args, self.common(value, [arg.ltype for arg in args]))
        if value.output is not None:
            return Call(name, args, self.python_type(value.output, value))
        typed = [arg.ltype for arg in args if arg.ltype is not NULL]
        if not typed:
            raise self.fail(f"the type of {value!r} is unknown; give it as output=, e.g. Func(..., output=int)")
        return Call(name, args, typed[0])

    def date_part(self, value: Extract | Trunc) -> Resolved:
        inner = self.resolve(value.expression)
        kind = inner.ltype.kind
        if kind not in (Kind.DATE, Kind.DATETIME, NULL.kind):
            raise self.fail(f"{value!r} needs a date or datetime, and {value.expression!r} holds {kind.value}")
        if isinstance(value, Extract):
            if kind is Kind.DATE and value.part in ("hour", "minute"):
                raise self.fail(f"{value!r}: {value.expression!r} is a date, which has no {value.part}")
            return DatePart(value.part, inner, INT)
        if value.unit == "hour":
            if kind is Kind.DATE:
                raise self.fail(f"{value!r}: {value.expression!r} is a date, which has no hour")
            hour = inner.ltype if kind is Kind.DATETIME else DATETIME
            return DatePart("trunc_hour", inner, hour)
        return DatePart(f"trunc_{value.unit}", inner, DATE)

    def common(self, value: Any, types: Iterable[LogicalType]) -> LogicalType:
        typed = [t for t in types if t is not NULL]
        if not typed:
            return NULL
        kinds = {t.kind for t in typed}
        if len(kinds) == 1:
            return typed[0]
        if kinds <= NUMBER_KINDS:
            result = typed[0]
            for other in typed[1:]:
                result = promote(result, other)
            return result
        raise self.fail(f"{value!r} mixes {', '.join(sorted(k.value for k in kinds))}; "
                        "Cast() the arguments to one type")

    def python_type(self, output: Any, value: Any) -> LogicalType:
        annotation, _ = split_optional(output)
        try:
            return logical_type(annotation, [])
        except (UnsupportedType, TypeError):
            raise self.fail(f"{value!r}: {output!r} is no type a column holds") from None

    def case(self, value: Case) -> CaseOf:
        whens = []
        for when in value.whens:
            node = self.node_of(when.condition, self.state)
            if node is None:
                raise self.fail(f"{when!r} has an empty condition")
            self.paths.extend(lookup_paths(node))
            whens.append((node, self.resolve(when.then)))
        default = self.resolve(value.default)
        return CaseOf(tuple(whens), default, self.common(value, [t.ltype for _, t in whens] + [default.ltype]))

    def window(self, value: Window) -> WindowOf:
        item = value.expression
        offset: int | None = None
        if isinstance(item, Aggregate):
            if item.function not in WINDOW_AGGREGATES or item.distinct or item.filter is not None:
                raise self.fail(f"{value!r}: a window computes Count, Sum, Avg, Min and Max, without "
                                "distinct= or filter=")
            function = item.function
            args: tuple[Resolved, ...] = () if item.field == "*" else (self.resolve(operand_of(item.field)),)
            kind = args[0].ltype.kind if args else Kind.INT64
            if item.numeric and kind not in NUMBER_KINDS:
                raise self.fail(f"{value!r}: {type(item).__name__} needs numbers, and {item.field!r} gives "
                                f"{kind.value}")
            if function == "avg":
                ltype = DECIMAL if kind is Kind.DECIMAL else FLOAT
            else:
                ltype = INT if function == "count" else promote(args[0].ltype, args[0].ltype) \
                    if function == "sum" else args[0].ltype
        elif isinstance(item, WindowFunction):
            function = item.name
            args = tuple(self.resolve(arg) for arg in item.args)
            if isinstance(item, (Lag, Lead)):
                offset = item.offset
                args = (*args, self.resolve(item.default))
            ltype = INT if not args else self.common(value, [args[0].ltype, *(a.ltype for a in args[1:])])
        else:
            raise self.fail(f"Window() computes a window function (RowNumber(), Rank(), Lag(...)…) or an "
                            f"aggregate (Sum(...)…), not {item!r}")
        order = tuple(self.ordering(key) for key in value.order_by)
        ordered = isinstance(item, WindowFunction) and item.ordered
        if (ordered or value.frame is not None) and not order:
            raise self.fail(f"{value!r} needs order_by=: {'its rows are counted' if ordered else 'its frame runs'} "
                            "in an order, e.g. Window(..., order_by='-sales')")
        frame = None if value.frame is None else (value.frame.unit, value.frame.start, value.frame.end)
        partition = tuple(self.resolve(operand_of(key)) for key in value.partition_by)
        return WindowOf(function, args, offset, partition, order, frame, ltype)

    def ordering(self, key: Any) -> tuple[Resolved, bool]:
        if isinstance(key, str):
            return self.resolve(F(key.lstrip("-+"))), key.startswith("-")
        return self.resolve(key), False

    # -- subqueries ------------------------------------------------------------
    def inner(self, queryset: Any, value: Any) -> tuple[ModelInfo, QueryState]:
        target = self.info_of(queryset.model)
        if target.database != self.info.database:
            raise self.fail(f"{value!r} reads database {target.database!r} and this query reads "
                            f"{self.info.database!r}; one statement cannot read both")
        state = queryset.state
        if any(isinstance(spec, AggregateSpec) for spec in state.annotations):
            raise self.fail(f"{value!r}: a subquery with aggregate annotations is not supported; "
                            "aggregate in the outer query")
        return target, self.outer_resolved(state)

    def subquery(self, value: Subquery) -> SubqueryOf:
        source = value.queryset.as_subquery(f"{self.what}: {value!r}")
        target, state = self.inner(value.queryset, value)
        column = source.column
        if column in expression_specs(state):
            raise self.fail(f"{value!r} selects the annotation {column!r}; select a field")
        _, schema = Resolver(self.info_of, target, state, self.node_of, self.what).column_at(target, column)
        return SubqueryOf(target, state.evolve(columns=(column,)), column, schema.type)

    def exists(self, value: Exists) -> Resolved:
        target, state = self.inner(value.queryset, value)
        return ExistsOf(target, state.evolve(order_by=() if state.limit is None and not state.offset else
                                             state.order_by), BOOL)

    def outer_resolved(self, state: QueryState) -> QueryState:
        """The inner query of a subquery with every ``OuterRef`` in it resolved against this
        query (whose joins gain the paths they cross)."""
        where = None if state.where is None else self._tie(state.where)
        annotations = tuple(replace(spec, expression=self._tie(spec.expression))
                            if isinstance(spec, ExpressionSpec) else spec for spec in state.annotations)
        return state.evolve(where=where, annotations=annotations)

    def _tie(self, item: Any) -> Any:
        if isinstance(item, OuterCol):
            if item.column is not None:
                return item
            path, column = self.column_at(self.info, item.path)
            if path:
                self.paths.append(path)
            return OuterCol(f"{path}__{column.name}" if path else column.name, column)
        if isinstance(item, (SubqueryOf, ExistsOf)):
            return item  # its own OuterRefs were tied to the query it sits in
        if isinstance(item, Junction):
            return Junction(item.connector, tuple(self._tie(child) for child in item.children), item.negated)
        if isinstance(item, tuple):
            return tuple(self._tie(part) for part in item)
        if isinstance(item, (Lookup, Match, Resolved)) and is_dataclass(item):
            changes = {f.name: self._tie(getattr(item, f.name)) for f in fields(item)}
            if isinstance(item, Match):
                changes["paths"] = item.paths
            return replace(item, **changes)
        return item

    # -- filters ---------------------------------------------------------------
    def match(self, key: str, value: Any) -> Lookup:
        """``key=value`` as a filter on an expression: an annotation, or a field compared with
        an expression."""
        name, op = self.split(key)
        lhs = self.field(name)
        label = f"{key}={value!r}"
        if has_window(lhs):
            if name not in self.annotated:
                raise self.fail(f"{key}: a window's result is filtered by the name of its annotation")
            # Windows are computed after WHERE: the filter applies around the query (QueryState.qualify).
            lhs = Named(name, lhs.ltype)
        if op == "isnull":
            if not isinstance(value, bool):
                raise self.fail(f"{key} takes True or False, not {value!r}")
            rhs: Any = value
        elif op in ("in", "range"):
            if hasattr(value, "as_subquery") and op == "in":
                rhs = self.subquery(Subquery(value))
            else:
                try:
                    items = tuple(value)
                except TypeError:
                    raise self.fail(f"{key} takes a list of values, not {value!r}") from None
                if op == "range" and len(items) != 2:
                    raise self.fail(f"{key} takes (low, high), not {value!r}")
                rhs = tuple(self.operand(lhs, item, key) for item in items)
        elif op in ("exact", "gt", "gte", "lt", "lte"):
            if value is None and op == "exact":
                op, rhs = "isnull", True
            else:
                rhs = self.operand(lhs, value, key)
        else:
            if lhs.ltype.kind is not Kind.TEXT or not isinstance(value, str):
                raise self.fail(f"{key}: lookup {op!r} takes a string, on text")
            rhs = value
        return Lookup("", op, Match(lhs, rhs, tuple(dict.fromkeys(self.paths)), label))

    def split(self, key: str) -> tuple[str, str]:
        parts = key.split("__")
        if len(parts) > 1 and parts[-1] in ALL_LOOKUPS:
            if parts[-1] not in MATCH_OPS:
                raise self.fail(f"lookup {parts[-1]!r} does not apply to an expression "
                                f"(known: {', '.join(sorted(MATCH_OPS))})")
            return "__".join(parts[:-1]), parts[-1]
        return key, "exact"

    def operand(self, lhs: Resolved, value: Any, key: str) -> Resolved:
        if isinstance(value, Expression):
            resolved = self.resolve(value)
            if has_window(resolved):
                raise self.fail(f"{key}: a window's result is filtered by the name of its annotation "
                                "(annotate it, then filter on the name)")
            return resolved
        if lhs.ltype.python_type is None or lhs.ltype is NULL:
            return self.resolve(value)
        checked = validate_value(self.info.name, ColumnSchema(key, lhs.ltype, nullable=True), value)
        return Val(checked, lhs.ltype)

    def condition(self, value: Expression) -> Lookup:
        """A boolean expression given to ``filter()`` (``Exists(...)``, ``~Exists(...)``)."""
        resolved = self.resolve(value)
        if resolved.ltype.kind is not Kind.BOOL:
            raise self.fail(f"filter() takes Q objects, keyword lookups and conditions such as Exists(); "
                            f"{value!r} gives {resolved.ltype.kind.value}")
        node = Lookup("", "true", Match(resolved, None, tuple(dict.fromkeys(self.paths)), repr(value)))
        negated = isinstance(value, Exists) and value.negated
        return Lookup("", "false", node.value) if negated else node


def promote(left: LogicalType, right: LogicalType) -> LogicalType:
    """The type of arithmetic on two numbers: float over decimal over int."""
    kinds = {left.kind, right.kind}
    if Kind.FLOAT64 in kinds:
        return FLOAT
    if Kind.DECIMAL in kinds:
        return left if left.kind is Kind.DECIMAL else right
    return INT


class ExpressionScope(ModelScope):
    """The relations lookups follow, and the lookups that compare expressions: on an
    annotation (``total__gt=10``) or with a function or subquery (``name=Upper("x")``)."""

    def __init__(self, info: ModelInfo, info_of: InfoOf, resolver: Resolver) -> None:
        super().__init__(info, info_of)
        self.resolver = resolver

    def expression_lookup(self, key: str, value: Any) -> Lookup | None:
        resolver = self.resolver
        if key.partition("__")[0] in resolver.annotated or needs_resolving(value, resolver.annotated):
            resolver.paths = []
            return resolver.match(key, value)
        return None


def scope_for(info_of: InfoOf, info: ModelInfo, state: QueryState, node_of: NodeOf, items: Iterable[Any],
              lookups: Mapping[str, Any]) -> ModelScope | None:
    """The scope filter() resolves lookups in: one that knows expressions where the query
    has expression annotations or a lookup's value is an expression."""
    if (state.annotations and expression_specs(state)) or any(_has_expression(item) for item in items) or \
            any(isinstance(v, Expression) for v in lookups.values()):
        return ExpressionScope(info, info_of, Resolver(info_of, info, state, node_of, f"{info.name}.filter()"))
    return ModelScope(info, info_of) if info.relations else None


def _has_expression(item: Any) -> bool:
    if isinstance(item, Q):
        return any(_has_expression(child) for child in item.children)
    if isinstance(item, RawLookups):
        return any(isinstance(value, Expression) for _, value in item.items)
    return isinstance(item, Expression)


def annotated(info_of: InfoOf, info: ModelInfo, state: QueryState, named: Mapping[str, Any], node_of: NodeOf,
              aggregated: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """The changes ``annotate(**named)`` makes to ``state``: aggregates (through
    ``aggregated``) and expressions, in the order given.

    Raises:
        QueryError: a name that is a field, a relation or an annotation already, or a value
            that is neither an aggregate nor an expression.
    """
    if not named:
        raise QueryError(f"{info.name}.annotate() needs name=expression, e.g. annotate(n=Count('books'))")
    changes: dict[str, Any] = {}
    for name, item in named.items():
        if name in info.table.by_name or name in info.relations:
            what = "field" if name in info.table.by_name else "relation"
            raise QueryError(f"{info.name}.annotate({name}={item!r}): the name clashes with the {what} "
                             f"{info.name}.{name}; pick another name")
        if isinstance(item, Aggregate):
            step = aggregated(info_of, info, state, {name: item}, lambda q, s=state: node_of(q, s),
                              expression_of(info_of, info, state, node_of, f"{info.name}.annotate({name}={item!r})"))
        elif isinstance(item, Expression):
            step = _expression_step(info_of, info, state, name, item, node_of)
        else:
            raise QueryError(f"{info.name}.annotate({name}={item!r}): annotations are aggregates such as "
                             "Count('books') or expressions such as F('price') * F('qty')")
        state = state.evolve(**step)
        changes.update(step)
    return changes


def _expression_step(info_of: InfoOf, info: ModelInfo, state: QueryState, name: str, item: Expression,
                     node_of: NodeOf) -> dict[str, Any]:
    if any(spec.name == name for spec in state.annotations):
        raise QueryError(f"{info.name}.annotate(): {name!r} is annotated already")
    resolver = Resolver(info_of, info, state, node_of, f"{info.name}.annotate({name}={item!r})")
    expression = resolver.resolve(item)
    joins = resolve_joins(info_of, info, resolver.paths, state.joins, False) if resolver.paths else state.joins
    step: dict[str, Any] = {"annotations": (*state.annotations, ExpressionSpec(name, expression)), "joins": joins}
    if state.shape != "models" and state.columns is not None:
        step["columns"] = (*state.columns, name)
    return step


def expression_of(info_of: InfoOf, info: ModelInfo, state: QueryState, node_of: NodeOf,
                  what: str) -> Callable[[Any], tuple[Resolved, list[str]] | None]:
    """For aggregates: the expression an aggregate's argument stands for (an expression,
    or the name of an expression annotation), with the paths it crosses; None for a field."""
    specs = expression_specs(state)

    def resolve(field: Any) -> tuple[Resolved, list[str]] | None:
        if isinstance(field, str) and field not in specs:
            return None
        resolver = Resolver(info_of, info, state, node_of, what)
        return resolver.resolve(F(field) if isinstance(field, str) else field), resolver.paths

    return resolve


def assigned(info_of: InfoOf, info: ModelInfo, name: str, value: Any) -> Resolved | None:
    """The resolved value of ``update(name=value)`` when it is more than ``F`` arithmetic
    (``Lower("name")``, ``Case(...)``, ``Subquery(...)``); None otherwise.

    Raises:
        QueryError: it reads across a relation (an UPDATE cannot join) or has an unknown field.
    """
    if not needs_resolving(value, {}):
        return None
    resolver = Resolver(info_of, info, QueryState(), lambda q, s: _plain_node(info_of, info, q),
                        f"{info.name}.update({name}={value!r})")
    resolved = resolver.resolve(value)
    if resolver.paths:
        raise resolver.fail(f"it reads across {', '.join(sorted(set(resolver.paths)))}, which an UPDATE cannot "
                            "join; use a Subquery() of the related model instead")
    return resolved


def _plain_node(info_of: InfoOf, info: ModelInfo, q: Q) -> Node | None:
    from ormada.query.resolve import resolve

    return resolve(info.name, info.table, q, info.database, ModelScope(info, info_of))
