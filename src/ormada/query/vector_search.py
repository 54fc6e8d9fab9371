"""``QuerySet.nearest()``: nearest-neighbour search on a ``Vector(n)`` field, on every
backend that has one (PostgreSQL through pgvector, SQLite exactly, Cassandra through SAI)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ormada._vectors import METRICS, vector_problem
from ormada.errors import QueryError
from ormada.query._part import QuerySetPart
from ormada.query.resolve import closest, column_of
from ormada.query.state import Nearest
from ormada.schema import Kind

if TYPE_CHECKING:
    from typing import Self



class VectorSearch(QuerySetPart):
    """Mixed into :class:`ormada.QuerySet`."""

    def nearest(self, field: str, vector: Sequence[float], *, metric: str = "cosine",
                distance: str | None = "distance") -> Self:
        """Rows ordered by the distance of their ``field`` to ``vector``, nearest first:
        ``Doc.filter(lang="en").nearest("embedding", query, metric="cosine")[:10]``.

        Filters narrow the rows searched and a slice takes the ``k`` nearest. Any
        ``order_by`` keys break ties of distance. Each instance read has the distance as
        the attribute ``distance`` (or the name given; ``values()`` may name it too).

        Args:
            field: A ``Vector(n)`` field.
            vector: ``n`` finite numbers.
            metric: ``"cosine"`` (1 - cosine similarity), ``"l2"`` (Euclidean distance) or
                ``"inner"`` (inner product: the distance is its negative, so the most
                similar come first).
            distance: The attribute the distance is read into; None reads none.

        Raises:
            QueryError: the field is no vector, the vector has another length or holds NaN
                or infinity (or is all zeros, for cosine), the metric is unknown, or
                ``distance`` names a field.
        """
        info = self._info
        column = column_of(info.name, info.table, field)
        where = f"{info.name}.nearest({field!r})"
        if column.type.kind is not Kind.VECTOR:
            raise QueryError(f"{where}: {field} holds {column.type.kind.value}; nearest() searches a Vector(n) field")
        if metric not in METRICS:
            raise QueryError(f"{where}: unknown metric {metric!r}{closest(str(metric), METRICS)} "
                             f"(known: {', '.join(METRICS)})")
        problem = vector_problem(vector, column.type.dimensions)
        if problem is not None:
            raise QueryError(f"{where}: invalid vector: {problem}")
        values = tuple(float(x) for x in vector)
        if metric == "cosine" and not any(values):
            raise QueryError(f"{where}: the zero vector has no direction, so no cosine distance; use metric='l2'")
        if distance is not None:
            if not isinstance(distance, str) or not distance.isidentifier() or "__" in distance:
                raise QueryError(f"{where}: distance= takes an attribute name (or None), not {distance!r}")
            if distance in info.table.by_name:
                raise QueryError(f"{where}: {info.name} has a field named {distance!r}; read the distance into "
                                 f"another attribute (distance='vector_distance') or none (distance=None)")
        if self.state.annotations:
            raise QueryError(f"{where}: nearest() cannot be combined with annotate(); search first, then "
                             "aggregate the rows read in Python")
        return self._clone(nearest=Nearest(field, values, metric, distance))
