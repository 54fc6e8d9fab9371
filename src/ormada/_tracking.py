"""Change tracking: what an instance holds from the database, and what changed since.

An instance read from or written to the database keeps a *snapshot*: the row as the
database holds it (``_ormada_row``: driver values, mutable fields still encoded) and
the :class:`RowLayout` that says which field each position holds and how to decode it
(``_ormada_layout``). Nothing is copied at load: hydration records the driver's row
itself through :data:`SNAPSHOT_SLOTS` or :func:`record`. ``save()`` compares the
current field values with the decoded snapshot and writes only what differs; a new
instance (never stored, or deleted) has no snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ormada._info import ModelInfo
    from ormada.backends.base import Backend, Decoder

_set = object.__setattr__

# The instance slots that hold the snapshot, by the local name generated row loops give
# their setters (see :func:`slot_setter`).
SNAPSHOT_SLOTS = {"set_row": "_ormada_row", "set_layout": "_ormada_layout"}


class RowLayout:
    """The columns of a row, their decoders, and the positions that need decoding.

    ``start``: where the first column sits in the row. An instance read through a JOIN
    keeps the whole joined row as its snapshot, its own columns from ``start`` on, so
    that hydration allocates no slice per model and row.
    """

    __slots__ = ("converted", "decode_nulls", "decoders", "home", "names", "start", "stop")

    def __init__(self, names: tuple[str, ...], decoders: tuple[Decoder | None, ...],
                 decode_nulls: bool = False, start: int = 0, home: str | None = None) -> None:
        self.names = names
        # The name of the database the rows were read from or written to, which the instance's
        # own writes go back to. A layout belongs to one backend, so this costs nothing per row.
        self.home = home
        self.decoders = decoders
        self.converted = tuple((i, names[i], d) for i, d in enumerate(decoders) if d is not None)
        # Cassandra reads an empty collection back as null: its decoders turn that into [] / {}.
        self.decode_nulls = decode_nulls
        self.start, self.stop = start, start + len(names)

    def decode(self, row: Sequence[Any]) -> list[Any]:
        """The values of the row's columns as the fields hold them."""
        values = list(row[self.start:self.stop])
        for i, _, decode in self.converted:
            value = values[i]
            if value is not None or self.decode_nulls:
                values[i] = decode(value)
        return values


def slot_setter(model: type[BaseModel], name: str) -> Callable[[Any, Any], None]:
    """The ``__set__`` of the slot descriptor behind ``name``: what ``object.__setattr__``
    ends up calling, without looking the name up through the class hierarchy on every
    row (20,000 rows, six slots each: 12.0 ms to 8.5 ms)."""
    descriptor = next(klass.__dict__[name] for klass in model.__mro__ if name in klass.__dict__)
    return descriptor.__set__  # type: ignore[no-any-return]


def record(instance: BaseModel, row: Sequence[Any], row_layout: RowLayout) -> None:
    """Records ``row``, laid out as ``row_layout``, as what the database holds for ``instance``."""
    _set(instance, "_ormada_row", row)
    _set(instance, "_ormada_layout", row_layout)


def snapshot_layout(backend: Backend, info: ModelInfo, names: tuple[str, ...]) -> RowLayout:
    """The layout of a snapshot made from field values after a write: mutable
    values are kept as encoded JSON, so later changes in place are still seen."""
    key = (info, "snapshot", names)
    cached = backend.caches.get(key)
    if cached is None:
        decoders = tuple(backend.decoder(info.table.by_name[n]) if n in info.mutable_fields else None for n in names)
        cached = backend.caches[key] = RowLayout(names, decoders, home=backend.home)
    return cached


def home_of(instance: BaseModel) -> str | None:
    """The name of the database the instance was read from or last written to, or None for
    an instance never stored."""
    row_layout: RowLayout | None = getattr(instance, "_ormada_layout", None)
    return None if row_layout is None else row_layout.home


def is_persisted(instance: BaseModel) -> bool:
    """Whether the instance was loaded from or written to the database."""
    return getattr(instance, "_ormada_layout", None) is not None


def loaded_names(instance: BaseModel) -> tuple[str, ...] | None:
    """The fields the instance holds from the database, or None for a new instance."""
    row_layout: RowLayout | None = getattr(instance, "_ormada_layout", None)
    return None if row_layout is None else row_layout.names


def original_values(instance: BaseModel) -> dict[str, Any]:
    """The field values as last read from or written to the database."""
    row_layout: RowLayout | None = getattr(instance, "_ormada_layout", None)
    if row_layout is None:
        return {}
    return dict(zip(row_layout.names, row_layout.decode(instance._ormada_row), strict=True))  # type: ignore[attr-defined]


def changed_fields(instance: BaseModel) -> list[str]:
    """The loaded fields whose value differs from what the database holds."""
    row_layout: RowLayout | None = getattr(instance, "_ormada_layout", None)
    if row_layout is None:
        return []
    current = instance.__dict__
    row = instance._ormada_row  # type: ignore[attr-defined]
    changed = []
    decoders = row_layout.decoders
    start = row_layout.start
    for i, name in enumerate(row_layout.names):
        original = row[start + i]
        decode = decoders[i]
        if decode is not None and (original is not None or row_layout.decode_nulls):
            original = decode(original)
        if current[name] != original:
            changed.append(name)
    return changed


def mark_saved(backend: Backend, info: ModelInfo, instance: BaseModel, names: tuple[str, ...]) -> None:
    """Records the instance's current values of ``names`` as what the database holds."""
    row_layout = snapshot_layout(backend, info, names)
    values = instance.__dict__
    row = []
    for name in names:
        value = values[name]
        if name in info.mutable_fields and value is not None:
            encode = backend.encoder(info, info.table.by_name[name])
            value = encode(value) if encode is not None else value
        row.append(value)
    record(instance, tuple(row), row_layout)


def mark_all_saved(backend: Backend, info: ModelInfo, instances: Sequence[BaseModel], names: tuple[str, ...]) -> None:
    """:func:`mark_saved` for many instances at once (bulk writes)."""
    if len(names) < 2:
        for instance in instances:
            mark_saved(backend, info, instance, names)
        return
    row_layout = snapshot_layout(backend, info, names)
    pick = itemgetter(*names)
    encoders = [(i, encode) for i, n in enumerate(names)
                if n in info.mutable_fields and (encode := backend.encoder(info, info.table.by_name[n])) is not None]
    set_row, set_layout = (slot_setter(info.model, slot) for slot in SNAPSHOT_SLOTS.values())
    if not encoders:  # the common case gets a loop of its own: it runs once per row
        for instance in instances:
            set_row(instance, pick(instance.__dict__))
            set_layout(instance, row_layout)
        return
    for instance in instances:
        row = list(pick(instance.__dict__))
        for i, encode in encoders:
            if row[i] is not None:
                row[i] = encode(row[i])
        set_row(instance, tuple(row))
        set_layout(instance, row_layout)


def mark_new(instance: BaseModel) -> None:
    """Forgets that the instance is stored (after it was deleted)."""
    _set(instance, "_ormada_row", None)
    _set(instance, "_ormada_layout", None)
