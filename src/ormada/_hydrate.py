"""Turning rows into model instances, dicts or tuples.

Rows coming back from the database are trusted: instances are built without
running pydantic validation, through the same internal slots pydantic fills.
Only columns whose driver value differs from the field's Python value pass
through a decoder. Each instance records the row it came from as its change-tracking
snapshot (:mod:`ormada._tracking`), so ``save()`` can work out which fields changed
without copying anything at load.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from ormada._tracking import SNAPSHOT_SLOTS, RowLayout, record, slot_setter
from ormada.backends.base import Backend, Decoder
from ormada.schema import ColumnSchema

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

    from ormada._info import ModelInfo

_set = object.__setattr__
#: From this many rows on, a read builds its objects with the cyclic garbage collector paused.
GC_PAUSE_ROWS = 100


def gc_paused(convert: Callable[[Sequence[Any]], list[Any]]) -> Callable[[Sequence[Any]], list[Any]]:
    """``convert`` with the cyclic garbage collector paused while it runs on a large result.

    Every object a read builds stays reachable from the list it returns, so the collections
    that its allocations set off find nothing to free, and each one walks the young objects
    again; the older generations' passes walk the whole heap. Reading 20,000 rows as
    instances from MariaDB took 400 ms with them and 183 ms without. The collector is left
    alone when it is off already (the caller's choice, or another thread's pause); with
    concurrent reads in threads, the first to finish turns it back on, which only costs the
    others their pause."""
    def run(rows: Sequence[Any]) -> list[Any]:
        if len(rows) < GC_PAUSE_ROWS or not gc.isenabled():
            return convert(rows)
        gc.disable()
        try:
            return convert(rows)
        finally:
            gc.enable()

    return run


def _names(columns: tuple[ColumnSchema, ...]) -> tuple[str, ...]:
    """The column names, as the caches below key on them (a list comprehension: cheaper
    than a generator on every read)."""
    return tuple([c.name for c in columns])


def layout(backend: Backend, info: ModelInfo, columns: tuple[ColumnSchema, ...]) -> RowLayout:
    """The cached layout of rows holding ``columns`` as read from ``backend``."""
    key = (info, "layout", _names(columns))
    cached = backend.caches.get(key)
    if cached is None:
        decode_nulls = bool(backend.supports.extra.get("decode_nulls"))
        decoders = tuple(_null_as_default(info, c, backend.decoder(c)) if decode_nulls else backend.decoder(c)
                         for c in columns)
        cached = backend.caches[key] = RowLayout(key[2], decoders, decode_nulls, home=backend.home)
    return cached


_IMMUTABLE = (str, int, float, bytes, bool, tuple, frozenset, Decimal, dt.date, dt.time, dt.timedelta, uuid.UUID,
              Enum)


def _default_maker(field: FieldInfo) -> Callable[[], Any]:
    """A function giving the field's default as a new object each time (never one
    mutable default shared by every row), cheaply for the common defaults."""
    if field.default_factory is None:
        default = field.default
        if isinstance(default, _IMMUTABLE):
            return lambda: default
        if type(default) in (list, set, dict) and not default:
            return type(default)
    return lambda: copy.deepcopy(field.get_default(call_default_factory=True, validated_data={}))


def _null_as_default(info: ModelInfo, column: ColumnSchema, decode: Decoder | None) -> Decoder | None:
    """A null in a field that cannot be None reads as the field's default.

    A backend with no NOT NULL (Cassandra) holds null wherever a row was written
    without the column: a column added by a migration, a row another program wrote.
    """
    field = info.model.model_fields.get(column.name)
    if column.nullable or field is None or field.is_required():
        return decode

    fresh = _default_maker(field)
    if decode is None:
        return lambda v: fresh() if v is None else v
    return lambda v: fresh() if v is None else decode(v)


def hydrator(backend: Backend, info: ModelInfo,
             columns: tuple[ColumnSchema, ...]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function turning a list of rows into model instances (cached per column set)."""
    key = (info, "hydrator", _names(columns))
    cached = backend.caches.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    row_layout = layout(backend, info, columns)
    model = info.model
    hydrate = _generate_hydrate(model, row_layout)
    result = gc_paused(_polymorphic(model, row_layout, hydrate) if "__discriminator__" in vars(model) else hydrate)
    backend.caches[key] = result
    return result


# What the generated row loop writes on each instance, by the local name it uses.
INSTANCE_SLOTS = {"set_dict": "__dict__", "set_fields_set": "__pydantic_fields_set__",
                  "set_extra": "__pydantic_extra__", "set_private": "__pydantic_private__",
                  **SNAPSHOT_SLOTS, "set_related": "_ormada_related"}


def instance_code(model: type[BaseModel], row_layout: RowLayout, var: str,
                  tag: str = "") -> tuple[list[str], dict[str, Any]]:
    """The straight-line statements that build one instance of ``model`` into the local
    ``var`` from a row unpacked into ``v<i>`` locals (``row_layout.start`` on), recording
    ``row`` as its snapshot; and the names they need in scope, suffixed with ``tag`` so
    that several models can share one generated loop. The relation slot is left to the
    caller."""
    names = row_layout.names
    private = getattr(model, "__private_attributes__", None) or {}
    items = [f"{name!r}: {src}" for name, src in zip(names, _value_sources(row_layout), strict=True)]
    # Pydantic only ever adds to the set of fields set, and an instance loaded with
    # every field already holds them all, so such instances can share one set; a
    # partial load (only/defer) gets its own, since assigning a missing field adds it.
    fields_value = f"fields_set{tag}" if set(names) >= set(model.model_fields) else f"fields_set{tag}.copy()"
    private_value = f"{{k: v.get_default() for k, v in private{tag}.items()}}" if private else "None"
    lines = [f"{var} = new{tag}(model{tag})",
             f"set_dict{tag}({var}, {{{', '.join(items)}}})",
             f"set_fields_set{tag}({var}, {fields_value})",
             f"set_extra{tag}({var}, None)",
             f"set_private{tag}({var}, {private_value})",
             f"set_row{tag}({var}, row)",
             f"set_layout{tag}({var}, row_layout{tag})"]
    scope: dict[str, Any] = {f"d{row_layout.start + i}": d for i, _, d in row_layout.converted}
    scope.update({local + tag: slot_setter(model, slot) for local, slot in INSTANCE_SLOTS.items()})
    scope.update({f"new{tag}": model.__new__, f"model{tag}": model, f"fields_set{tag}": set(names),
                  f"private{tag}": private, f"row_layout{tag}": row_layout})
    return lines, scope


def _generate_hydrate(model: type[BaseModel], row_layout: RowLayout) -> Callable[[Sequence[Any]], list[Any]]:
    """Writes the row loop for one model and column set as straight-line code:
    the row is unpacked into locals and the field dict is a literal, which runs
    about twice as fast as a generic loop over the columns (measured on 20,000 rows)."""
    lines, scope = instance_code(model, row_layout, "instance")
    # A model with relations starts with none loaded: reading an unset slot would go
    # through __getattr__ (10,000 joined rows: 76 ms of the 140 a two-level read took).
    if getattr(model, "__ormada_relation_names__", None):
        lines.append("set_related(instance, None)")
    unpack = "".join(f"v{i}, " for i in range(len(row_layout.names)))
    body = "".join(f"\n        {line}" for line in lines)
    source = f"""
def hydrate(rows):
    out = []
    append = out.append
    for row in rows:
        {unpack} = row{body}
        append(instance)
    return out
"""
    exec(compile(source, f"<ormada hydrate {model.__name__}>", "exec"), scope)
    return scope["hydrate"]  # type: ignore[no-any-return]


def _polymorphic(root: type[BaseModel], row_layout: RowLayout,
                 hydrate: Callable[[Sequence[Any]], list[Any]]) -> Callable[[Sequence[Any]], list[Any]]:
    """Rows read through a polymorphic base become instances of the subclass their
    discriminator names, holding only that subclass's fields (the base's, when no
    subclass claims the row)."""
    names = row_layout.names
    position = names.index(root.__discriminator__)  # type: ignore[attr-defined]
    classes: dict[Any, type[BaseModel]] = {}
    stack = list(root.__subclasses__())
    while stack:
        sub = stack.pop()
        stack.extend(sub.__subclasses__())
        value = sub.__dict__.get("__discriminator_value__")
        if value is not None:
            classes[value] = sub

    # The instance's snapshot (row and layout) keeps only the columns of its class, or
    # save() would compare and write fields that the class does not have.
    subsets: dict[type[BaseModel], tuple[tuple[int, ...], RowLayout]] = {}

    def subset(klass: type[BaseModel]) -> tuple[tuple[int, ...], RowLayout]:
        cached = subsets.get(klass)
        if cached is None:
            keep = tuple(i for i, name in enumerate(names) if name in klass.model_fields)
            sub_layout = RowLayout(tuple(names[i] for i in keep), tuple(row_layout.decoders[i] for i in keep),
                                   row_layout.decode_nulls, home=row_layout.home)
            cached = subsets[klass] = (keep, sub_layout)
        return cached

    narrow = any(name not in root.model_fields for name in names)

    def hydrate_polymorphic(rows: Sequence[Any]) -> list[Any]:
        out = hydrate(rows)
        for row, instance in zip(rows, out, strict=True):
            sub = classes.get(row[position])
            if sub is None and not narrow:
                continue
            klass = sub or root
            keep, sub_layout = subset(klass)
            values = {k: v for k, v in instance.__dict__.items() if k in klass.model_fields}
            _set(instance, "__class__", klass)
            _set(instance, "__dict__", values)
            _set(instance, "__pydantic_fields_set__", set(values))
            record(instance, tuple(row[i] for i in keep), sub_layout)
        return out

    return hydrate_polymorphic


def shape_rows(backend: Backend, info: ModelInfo, shape: str, columns: tuple[ColumnSchema, ...],
               rows: Sequence[Any]) -> list[Any]:
    """Rows as the QuerySet asked for them: instances, dicts, tuples or single values."""
    if shape == "models":
        return hydrator(backend, info, columns)(rows)
    key = (info, "rows", shape, _names(columns))
    convert = backend.caches.get(key)
    if convert is None:
        convert = backend.caches[key] = gc_paused(_generate_rows(layout(backend, info, columns), shape))
    return convert(rows)


def _value_sources(row_layout: RowLayout) -> list[str]:
    """For generated row loops: the expression giving each column's field value from
    ``v<i>`` (``i`` counted in the whole row, from ``row_layout.start``)."""
    decoders = {row_layout.start + i for i, _, _ in row_layout.converted}
    return [f"v{i}" if i not in decoders else f"d{i}(v{i})" if row_layout.decode_nulls
            else f"None if v{i} is None else d{i}(v{i})" for i in range(row_layout.start, row_layout.stop)]


def _generate_rows(row_layout: RowLayout, shape: str) -> Callable[[Sequence[Any]], list[Any]]:
    """Writes the loop turning rows into dicts, tuples or single values as one list
    comprehension over unpacked rows (20,000 four-column rows as dicts: 7.7 ms with
    ``dict(zip(names, row))``, 2.0 ms this way)."""
    if not row_layout.converted and shape == "tuples":
        return lambda rows: [tuple(row) for row in rows]
    if not row_layout.converted and shape == "flat":
        return lambda rows: [row[0] for row in rows]
    sources = _value_sources(row_layout)
    if shape == "dicts":
        item = "{" + ", ".join(f"{name!r}: {src}" for name, src in zip(row_layout.names, sources, strict=True)) + "}"
    elif shape == "tuples":
        item = f"({', '.join(sources)},)"
    else:
        item = f"({sources[0]})"
    unpack = "".join(f"v{i}, " for i in range(len(sources)))
    source = f"def convert(rows):\n    return [{item} for {unpack} in rows]\n"
    scope: dict[str, Any] = {f"d{i}": d for i, _, d in row_layout.converted}
    exec(compile(source, f"<ormada rows {shape}>", "exec"), scope)
    return scope["convert"]  # type: ignore[no-any-return]
