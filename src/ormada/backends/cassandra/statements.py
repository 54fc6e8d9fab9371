"""The statement the CQL backend hands out, and the per-operation options it carries.

Text and bind markers are compiled once per query shape (:class:`Template`); each
execution binds fresh values and attaches the settings that are not part of CQL
text (consistency, timeout, paging) to a :class:`CqlStatement`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from cassandra import ConsistencyLevel
from cassandra.query import UNSET_VALUE

from ormada.backends.base import Fetch, Statement
from ormada.backends.cassandra.codecs import Codec
from ormada.backends.cassandra.where import Marker
from ormada.errors import QueryError
from ormada.query.shape import QueryShape
from ormada.schema import ColumnSchema


@dataclass(slots=True)
class CqlStatement(Statement):
    """A CQL statement with everything cassandra-driver needs to run it.

    Attributes:
        types: The CQL type of each ``?`` marker, in order (for checks and docs;
            the driver takes types from the prepared statement's metadata).
        database: The model's ``Meta.database``, so a batch can route the statement.
        write: The statement changes data (a batch collects it).
        counter: It updates counters (only a counter batch may hold it).
        idempotent: Safe to retry (the driver's speculative execution and retries).
        consistency / serial_consistency: Consistency level names (``"LOCAL_QUORUM"``).
        timeout: Client-side request timeout in seconds.
        fetch_size: Rows per page.
        paging_state: Resume a paged read where an earlier page ended.
        page: Fetch one page only and return its paging state with the rows.
        prepare: Run as a prepared statement (bound values); DDL runs unprepared.
        model: The model the statement reads or writes, named in error messages.
        paged: False for a read the server refuses to page (ORDER BY with IN on the
            partition key), which then comes back in one response.
        tally: The rows are counted, not returned: CQL's ``count(*)`` ignores LIMIT and
            DISTINCT, so such counts read the keys and the result is ``[(len(rows),)]``.
        builds_index: ``(keyspace, index name)`` of a ``CREATE INDEX``, whose build the
            executor waits for (see :mod:`index_builds`).
    """

    types: tuple[str, ...] = ()
    database: str | None = None
    write: bool = False
    counter: bool = False
    idempotent: bool = False
    consistency: str | None = None
    serial_consistency: str | None = None
    timeout: float | None = None
    fetch_size: int | None = None
    paging_state: bytes | None = None
    page: bool = False
    prepare: bool = True
    model: str | None = None
    paged: bool = True
    tally: bool = False
    builds_index: tuple[str | None, str] | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled statement shape: its text, markers and the columns its rows hold."""

    text: str
    markers: tuple[Marker, ...]
    columns: tuple[ColumnSchema, ...] = ()
    fetch: Fetch = "rows"
    write: bool = False
    counter: bool = False
    conditional: bool = False
    paged: bool = True
    types: tuple[str, ...] = field(init=False)  # the CQL type of each marker
    _encoders: tuple[tuple[int, Codec], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "types", tuple(m.type for m in self.markers))
        object.__setattr__(self, "_encoders", tuple((i, m.encode) for i, m in enumerate(self.markers)
                                                    if m.encode is not None))

    def encode(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """Encodes one row of values for the markers (``None`` and unset stay as they are)."""
        if len(values) != len(self.markers):
            raise QueryError(f"{len(values)} values for {len(self.markers)} bind markers in {self.text!r}")
        if not self._encoders:
            return tuple(values)
        out = list(values)
        for i, encode in self._encoders:
            value = out[i]
            if value is not None and value is not UNSET_VALUE:
                out[i] = encode(value)
        return tuple(out)


SERIAL_LEVELS = ("SERIAL", "LOCAL_SERIAL")


def consistency_name(level: Any, option: str = "consistency") -> str | None:
    """Checks a consistency level given by name (any case) or driver constant.

    Raises:
        QueryError: no such consistency level.
    """
    if level is None:
        return None
    if isinstance(level, int) and level in ConsistencyLevel.value_to_name:
        return str(ConsistencyLevel.value_to_name[level])
    name = str(level).upper()
    if name not in ConsistencyLevel.name_to_value:
        known = ", ".join(sorted(ConsistencyLevel.name_to_value))
        raise QueryError(f"unknown {option} level {level!r}; known: {known}")
    # The driver refuses any other serial level only while sending, as a bare ValueError.
    if option == "serial_consistency" and name not in SERIAL_LEVELS:
        raise QueryError(f"serial_consistency must be {' or '.join(SERIAL_LEVELS)}, not {level!r}")
    return name


def timeout_seconds(value: Any, option: str = "timeout") -> float | None:
    """Checks a client-side timeout: a positive number of seconds, or None for the default.

    Raises:
        QueryError: the value is not a number, or not above zero.
    """
    if value is None:
        return None
    # The driver takes 0 or a negative value as "already expired" and reports a timeout
    # without sending anything; a string fails inside it as a bare TypeError.
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value) > 0:
        raise QueryError(f"{option} must be a positive number of seconds, not {value!r}")
    return float(value)


def whole_number(value: Any, option: str) -> int:
    """Checks a ``ttl`` (seconds) or write ``timestamp`` (microseconds): an int, never a bool.

    Raises:
        QueryError: anything else; ``int()`` would turn ``2.5`` into 2 and ``True`` into 1.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise QueryError(f"{option} must be a whole number, not {value!r}")
    return int(value)


def settings(options: Mapping[str, Any], *, read: bool) -> dict[str, Any]:
    """The CqlStatement fields that come from per-operation options."""
    out: dict[str, Any] = {
        "consistency": consistency_name(options.get("consistency")),
        "serial_consistency": consistency_name(options.get("serial_consistency"), "serial_consistency"),
        "timeout": timeout_seconds(options.get("timeout")),
    }
    if "idempotent" in options:
        out["idempotent"] = bool(options["idempotent"])
    if read:
        out["fetch_size"] = options.get("fetch_size")
        out["paging_state"] = options.get("paging_state")
        out["page"] = bool(options.get("page")) or "paging_state" in options
    return out


def bind(template: Template, values: Sequence[Any], *, database: str | None, options: Mapping[str, Any],
         read: bool = False, idempotent: bool = False) -> CqlStatement:
    """A statement from a template and one row of raw values."""
    if not options:  # the common case, without building the settings
        return CqlStatement(
            text=template.text, params=template.encode(values), fetch=template.fetch, types=template.types,
            database=database, write=template.write, counter=template.counter, conditional=template.conditional,
            paged=template.paged, idempotent=idempotent,
        )
    extra = settings(options, read=read)
    extra.setdefault("idempotent", idempotent)
    return CqlStatement(
        text=template.text, params=template.encode(values), fetch=template.fetch, types=template.types,
        database=database, write=template.write, counter=template.counter, conditional=template.conditional,
        paged=template.paged, **extra,
    )


def bind_many(template: Template, rows: Sequence[Sequence[Any]], *, database: str | None,
              options: Mapping[str, Any]) -> CqlStatement:
    """A statement run once per row (``many``)."""
    extra = settings(options, read=False)
    return CqlStatement(
        text=template.text, params=[template.encode(r) for r in rows], fetch=template.fetch, many=True,
        types=template.types, database=database, write=template.write, counter=template.counter,
        conditional=template.conditional, **extra,
    )


class TemplateCache:
    """A bounded least-recently-used map from a statement's shape to its :class:`Template`."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[QueryShape, Template] = OrderedDict()

    def get(self, key: QueryShape, build: Callable[[], Template]) -> Template:
        """The cached template for ``key``, building (and caching) it on a miss."""
        try:
            self._items.move_to_end(key)
            return self._items[key]
        except KeyError:
            template = build()
            self._items[key] = template
            if len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return template

    def __len__(self) -> int:
        return len(self._items)
