"""Vectors: the metrics nearest-neighbour search knows, checking of vector values, and
the exact distances SQLite computes in Python.

A ``Vector(n)`` field holds ``n`` 32-bit floats on every backend (pgvector's ``vector``,
Cassandra's ``vector<float, n>``, a packed ``float32`` blob on SQLite), so what is read back
is each value rounded to the nearest ``float32``.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Callable, Sequence
from typing import Literal

Metric = Literal["cosine", "l2", "inner"]
METRICS: tuple[Metric, ...] = ("cosine", "l2", "inner")


def check_metric(where: str, metric: object) -> Metric:
    """The metric named, or ValueError saying which exist.

    Args:
        where: What is asking (``"Doc.nearest()"``), for the message.
    """
    if metric not in METRICS:
        raise ValueError(f"{where}: unknown metric {metric!r}; use one of {', '.join(repr(m) for m in METRICS)}")
    return metric


def vector_problem(values: object, dimensions: int | None) -> str | None:
    """What is wrong with ``values`` as a vector of ``dimensions`` floats, or None.

    A vector is a sequence of exactly ``dimensions`` finite real numbers that a ``float32``
    can hold (larger magnitudes would become infinity when stored).
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        return f"a vector is a list of floats, not {type(values).__name__}"
    if dimensions is not None and len(values) != dimensions:
        return f"a Vector({dimensions}) takes exactly {dimensions} values, got {len(values)}"
    for i, item in enumerate(values):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return f"item {i} is {item!r}, not a number"
        if not math.isfinite(item):
            return f"item {i} is {item!r}; a vector holds finite numbers only (no NaN or infinity)"
        if abs(item) > FLOAT32_MAX:
            return f"item {i} is {item!r}, beyond the largest 32-bit float ({FLOAT32_MAX:.6g})"
    return None


FLOAT32_MAX = 3.4028234663852886e38


def pack_float32(values: Sequence[float]) -> bytes:
    """A vector as little-endian ``float32`` bytes (sqlite-vec's and pgvector's binary layout)."""
    packed = array("f", values)
    if packed.itemsize != 4:  # pragma: no cover - every platform Python runs on
        raise RuntimeError("array('f') is not 32-bit here")
    return packed.tobytes()


def unpack_float32(data: bytes) -> list[float]:
    """``float32`` bytes back to a list of floats."""
    return array("f", data).tolist()


def _floats(data: bytes | str) -> list[float]:
    if isinstance(data, str):  # a vector written as JSON text by another program
        import json

        return [float(x) for x in json.loads(data)]
    return array("f", data).tolist()


def _distance_function(metric: Metric) -> Callable[[bytes | str | None, bytes | str | None], float | None]:
    """An exact distance of ``metric`` between a stored vector and the query vector, in
    double precision over their float32 values: ``math.dist`` and ``math.hypot`` (C loops)
    for the Euclidean distance and the norms, ``sum(map(mul, …))`` for the dot product."""
    dist, hypot, mul = math.dist, math.hypot, operator.mul
    # The last query vector, decoded once (SQLite calls the function once per row with the
    # same bound vector), as one tuple so that it is replaced whole.
    last: list[tuple[bytes | str | None, list[float], float]] = [(None, [], 0.0)]

    def distance(stored: bytes | str | None, wanted: bytes | str | None) -> float | None:
        if stored is None or wanted is None:
            return None
        data, y, norm_y = last[0]
        if wanted != data:
            y = _floats(wanted)
            norm_y = hypot(*y)
            last[0] = (wanted, y, norm_y)
        x = _floats(stored)
        if len(x) != len(y):
            return None
        if metric == "l2":
            return dist(x, y)
        dot: float = sum(map(mul, x, y))
        if metric == "inner":
            return -dot
        norm_x = hypot(*x)
        if norm_x == 0.0 or norm_y == 0.0:
            return None  # no direction: no cosine distance (pgvector gives NaN)
        return 1.0 - dot / (norm_x * norm_y)

    return distance


def python_distance(metric: str, a: Sequence[float], b: Sequence[float]) -> float | None:
    """The distance of ``metric`` between two vectors, as the SQL functions give it (None
    for vectors of different lengths, and for a zero vector's cosine)."""
    x, y = [float(v) for v in a], [float(v) for v in b]
    if len(x) != len(y):
        return None
    if metric == "l2":
        return math.dist(x, y)
    dot: float = sum(map(operator.mul, x, y))
    if metric == "inner":
        return -dot
    norm_x, norm_y = math.hypot(*x), math.hypot(*y)
    if norm_x == 0.0 or norm_y == 0.0:
        return None
    return 1.0 - dot / (norm_x * norm_y)


# The SQL functions SQLite connections get (``create_function``), by metric: each
# connection makes its own (they keep the last query vector), exact distances in double
# precision over the stored float32 values; NULL for a NULL vector.
SQLITE_FUNCTIONS: dict[Metric, tuple[str, Callable[[], Callable[[bytes | str | None, bytes | str | None],
                                                                 float | None]]]] = {
    "cosine": ("ormada_cosine_distance", lambda: _distance_function("cosine")),
    "l2": ("ormada_l2_distance", lambda: _distance_function("l2")),
    "inner": ("ormada_negative_inner_product", lambda: _distance_function("inner")),
}
