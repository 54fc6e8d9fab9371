"""``nearest()`` on Cassandra: ``ORDER BY embedding ANN OF ?`` served by an SAI index.

Cassandra ranks an ANN search by the similarity function its SAI index was built with,
so the metric asked for must be the index's: ``cosine`` → ``COSINE``, ``l2`` →
``EUCLIDEAN``, ``inner`` → ``DOT_PRODUCT``. The distance of each row is computed from the
vector read back, exactly as the SQL backends define it (1 - cosine similarity, Euclidean
distance, negative inner product), not from the index's similarity score.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ormada._vectors import pack_float32, python_distance, unpack_float32
from ormada.backends.cassandra.tables import CqlTable
from ormada.errors import NotSupported
from ormada.query.state import QueryState

SIMILARITY_FUNCTIONS = {"cosine": "COSINE", "l2": "EUCLIDEAN", "inner": "DOT_PRODUCT"}
DEFAULT_SIMILARITY = "COSINE"  # what an SAI vector index uses when none is named


def index_similarity(table: CqlTable, field: str) -> str | None:
    """The similarity function of the SAI index on ``field``, or None without one."""
    for index in table.indexes:
        if index.column == field and index.kind == "sai":
            return str(index.options.get("similarity_function", DEFAULT_SIMILARITY)).upper()
    return None


def ann_read(table: CqlTable, state: QueryState) -> tuple[QueryState, tuple[Callable[[Any], Any], ...]]:
    """The read of a ``nearest()`` state as CQL has it (the ``ann_of`` option, the vector
    column read once more, last), and the decoder that turns that last value into the distance.

    Raises:
        NotSupported: no SAI index on the field, an index of another similarity function,
            an ``order_by``, or no limit.
    """
    nearest = state.nearest
    assert nearest is not None
    where = f"{table.model_name}.nearest({nearest.field!r}, metric={nearest.metric!r})"
    similarity = index_similarity(table, nearest.field)
    if similarity is None:
        raise NotSupported(f"{where}: Cassandra searches vectors through an SAI index only; declare "
                           f"VectorIndex({nearest.field!r}, metric={nearest.metric!r}) in Meta.indexes")
    wanted = SIMILARITY_FUNCTIONS[nearest.metric]
    if similarity != wanted:
        metric = next((m for m, f in SIMILARITY_FUNCTIONS.items() if f == similarity), similarity)
        raise NotSupported(f"{where}: the SAI index on {nearest.field} ranks by {similarity}, and Cassandra orders "
                           f"ANN OF by its index's similarity function only; search with metric={metric!r}, or "
                           f"index the field with VectorIndex({nearest.field!r}, metric={nearest.metric!r})")
    if state.order_by:
        raise NotSupported(f"{where}: an ANN search orders by similarity alone; drop order_by() and sort "
                           "ties in Python")
    if state.limit is None:
        raise NotSupported(f"{where}: CQL refuses an ANN OF without a LIMIT; take the k nearest with [:k]")
    options = {**state.options, "ann_of": (nearest.field, list(nearest.vector))}
    if nearest.distance is None:
        return state.evolve(nearest=None, options=options), ()
    columns = tuple(name for name in state.columns or table.schema.by_name if name != nearest.distance)
    # The node ranks by the vector as it binds it, in float32s: so is the distance computed.
    query, metric = unpack_float32(pack_float32(nearest.vector)), nearest.metric

    def distance(value: Any) -> float | None:
        return None if value is None else python_distance(metric, value, query)

    return state.evolve(nearest=None, options=options, columns=(*columns, nearest.field)), (distance,)
