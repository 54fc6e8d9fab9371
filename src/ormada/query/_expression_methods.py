"""The part of ``QuerySet`` that takes expressions: ``annotate()`` with aggregates and
expressions, conditions such as ``Exists()`` in ``filter()``, and expressions as
``update()`` values. Resolution itself lives in :mod:`ormada._expressing`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ormada import _aggregating as aggregating
from ormada import _expressing as expressing
from ormada._joins import ModelScope
from ormada._operations import describe
from ormada._registry import info_of
from ormada.errors import QueryError
from ormada.query._part import QuerySetPart
from ormada.query.expressions import Expression, Junction, Node, Q, RawLookups
from ormada.query.resolve import check_aliases, conjoin, resolve
from ormada.query.state import QueryState
from ormada.query.typed import Match, Named

if TYPE_CHECKING:
    from typing import Self

    from ormada.query.typed import Resolved


class ExpressionMethods(QuerySetPart):
    """Mixed into ``QuerySet``."""

    __slots__ = ()

    def _node(self, q: tuple[Any, ...], lookups: dict[str, Any]) -> Any:
        raise NotImplementedError  # QuerySet's

    def _having(self, lookups: dict[str, Any], negated: bool) -> tuple[Self, dict[str, Any]]:
        raise NotImplementedError  # QuerySet's

    def _having_of(self, q: tuple[Any, ...], lookups: dict[str, Any],
                   negated: bool) -> tuple[Self, tuple[Any, ...], dict[str, Any]]:
        """The filters on aggregate annotations (HAVING) apart from the rest (WHERE): keyword
        lookups naming them, and Q objects all of whose lookups name them.

        Raises:
            QueryError: a Q mixing aggregate annotations with anything else (a group and a row
                filter cannot be ORed), or a lookup an aggregate cannot take.
        """
        names = aggregating.aggregate_names(self.state)
        having: list[Node] = []
        rest: list[Any] = []
        for item in q:
            keys = _keys(item) if names and isinstance(item, Q) else []
            if not keys or not any(key.partition("__")[0] in names for key in keys):
                rest.append(item)
                continue
            if not all(key.partition("__")[0] in names for key in keys):
                raise QueryError(f"{self._info.name}.filter({item!r}): a Q object filters either aggregate "
                                 f"annotations ({', '.join(sorted(names))}) or rows, not both; use two")
            having.append(self._group_node(item))
        base, lookups = self._having(lookups, negated)
        if having:
            node: Node = having[0] if len(having) == 1 else Junction("and", tuple(having))
            if negated:
                node = Junction("and", (node,), negated=True)
            current = base.state.having
            base = base._clone(having=node if current is None else Junction("and", (current, node)))
        return base, tuple(rest), lookups

    def _group_node(self, item: Q | RawLookups) -> Node:
        if isinstance(item, RawLookups):
            node, _ = aggregating.split_having(self._info, self.state.evolve(having=None), dict(item.items), False)
            assert node is not None
            return node
        return Junction(item.connector, tuple(self._group_node(child) for child in item.children), item.negated)

    def annotate(self, **named: Any) -> Self:
        """Values computed per row, as attributes of the instances (or keys of ``values()``):
        aggregates (``n=Count("books")``: each row is then a group; after ``values("genre")``,
        grouped by those fields) and expressions (``total=F("price") * F("qty")``,
        ``label=Concat("first", Value(" "), "last")``, ``latest=Subquery(...)``).
        ``filter()``, ``order_by()`` and ``values()`` name them like fields."""
        info = self._info
        check_aliases(info.name, "annotate", named)
        return self._clone(**expressing.annotated(info_of, info, self.state, named, self._node_in,
                                                  aggregating.annotated))

    def _filtered(self, new: Node) -> dict[str, Any]:
        """Where a filter goes: on window annotations, around the query (``qualify``); else WHERE.

        Raises:
            QueryError: a filter ORing a window's result with anything else.
        """
        windowed, rest = _window_parts(new)
        # An AND splits into both parts; an OR (or a NOT) of a window's result and a row filter cannot.
        if any(not _on_window(part, every=True) for part in windowed):
            raise QueryError(f"{self._info.name}.filter({describe(new)}): a filter on a window's result is "
                             "applied after the others; give it a filter() call of its own")
        changes: dict[str, Any] = {}
        if rest:
            part = rest[0] if len(rest) == 1 else Junction("and", tuple(rest))
            changes["where"] = conjoin(self.state.where, part)
        if windowed:
            part = windowed[0] if len(windowed) == 1 else Junction("and", tuple(windowed))
            changes["qualify"] = conjoin(self.state.qualify, part) if self.state.qualify is not None else part
        return changes

    def _node_in(self, q: Q, state: QueryState) -> Node | None:
        """A Q resolved as ``filter()`` would resolve it on a query in ``state``."""
        return type(self)(self.model, state)._node((q,), {})  # type: ignore[call-arg, no-any-return]

    def _scope(self, q: tuple[Any, ...], lookups: dict[str, Any]) -> ModelScope | None:
        return expressing.scope_for(info_of, self._info, self.state, self._node_in, q, lookups)

    def _part(self, item: Any, scope: ModelScope | None) -> Node | None:
        """One positional argument of ``filter()``: a Q, or a condition (``Exists(...)``)."""
        info = self._info
        if isinstance(item, Q):
            return resolve(info.name, info.table, item, info.database, scope)
        if isinstance(item, Expression):
            resolver = expressing.Resolver(info_of, info, self.state, self._node_in, f"{info.name}.filter()")
            return resolver.condition(item)
        raise QueryError(f"{info.name}.filter() takes Q objects and keyword lookups, not {item!r} "
                         "(or conditions such as Exists())")

    def _assigned(self, name: str, value: Any) -> Resolved | None:
        return expressing.assigned(info_of, self._info, name, value)

    def _expression_of(self) -> Callable[[Any], Any]:
        info = self._info
        return expressing.expression_of(info_of, info, self.state, self._node_in, f"{info.name}.aggregate()")


def _keys(item: Q | RawLookups) -> list[str]:
    if isinstance(item, RawLookups):
        return [key for key, _ in item.items]
    return [key for child in item.children for key in _keys(child)]


def _window_parts(node: Node) -> tuple[list[Node], list[Node]]:
    """The parts of an AND of filters that compare window results, and the others."""
    parts = node.children if isinstance(node, Junction) and node.connector == "and" and not node.negated else (node,)
    windowed = [part for part in parts if _on_window(part)]
    return windowed, [part for part in parts if not any(part is w for w in windowed)]


def _on_window(node: Node, every: bool = False) -> bool:
    if isinstance(node, Junction):
        found = [_on_window(child, every) for child in node.children]
        return all(found) if every else any(found)
    return isinstance(node.value, Match) and isinstance(node.value.lhs, Named)
