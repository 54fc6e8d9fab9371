"""Signals: functions that other code (a library, an audit log, a cache) subscribes to the
writes of a model, without the model knowing of them.

>>> from ormada import signals
>>> def audit(sender, instance, created, **kwargs):
...     print("saved", instance, "new" if created else "changed")
>>> signals.post_save.connect(audit, sender=Book)

Each write path that handles instances sends them, in the mode of the call: ``save()`` calls the
receivers, ``await asave()`` calls them too and awaits the async ones. A sync write meeting an
async receiver raises :class:`ormada.NotSupported` before it writes anything. Receivers run in
the write's transaction, so one that raises rolls the write back. Receivers of one signal run
one after another, in the order they were connected.

=============== ==================================================================== =========================
signal          sent by                                                              arguments
=============== ==================================================================== =========================
``pre_save``    ``save``, ``create``, ``update`` (of an instance), ``insert``,       ``instance``, ``created``,
                ``get_or_create`` / ``update_or_create`` when they write             ``update_fields``
``post_save``   the same, after the write                                            the same
``pre_delete``  ``delete()`` of an instance                                          ``instance``
``post_delete`` the same, after the row is gone                                      ``instance``
``post_bulk``   ``bulk_create``, ``bulk_update``, ``upsert``, and ``QuerySet.update`` ``action``, ``instances``,
                / ``QuerySet.delete`` (which never load instances)                   ``fields``, ``count``,
                                                                                     ``queryset``
``m2m_changed`` ``add``, ``remove``, ``clear``, ``set`` of a many-to-many relation,  ``instance`` (the owner),
                after the write (sender: the owner's model)                          ``relation``, ``action``,
                                                                                     ``keys`` (None for clear)
=============== ==================================================================== =========================

Every receiver is called as ``receiver(sender, **arguments)`` where ``sender`` is the model
class; it should take ``**kwargs``, so that arguments added later do not break it.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from ormada.errors import NotSupported

__all__ = ["Signal", "m2m_changed", "post_bulk", "post_delete", "post_save", "pre_delete", "pre_save", "receiver"]

R = TypeVar("R", bound=Callable[..., Any])


class _Entry:
    """One connected receiver: held strongly, or weakly (a bound method through ``WeakMethod``)."""

    __slots__ = ("key", "ref", "sender", "strong")

    def __init__(self, key: Hashable, receiver: Callable[..., Any], sender: object | None, weak: bool) -> None:
        self.key = key
        self.sender = sender
        self.strong: Callable[..., Any] | None = None if weak else receiver
        self.ref: Callable[[], Callable[..., Any] | None] | None = None
        if weak:
            self.ref = weakref.WeakMethod(receiver) if inspect.ismethod(receiver) else weakref.ref(receiver)

    def target(self) -> Callable[..., Any] | None:
        """The receiver, or None once a weakly held one was garbage-collected."""
        return self.strong if self.ref is None else self.ref()


class Signal:
    """Something that happens to the rows of a model, which receivers subscribe to.

    Args:
        name: The signal's name, for ``repr()`` and errors.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: tuple[_Entry, ...] = ()  # replaced, never changed in place: senders read it unlocked
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Signal {self.name} ({len(self._entries)} receivers)>"

    def connect(self, receiver: R, sender: object | None = None, *, weak: bool = True,
                dispatch_uid: Hashable | None = None) -> R:
        """Subscribes ``receiver`` (a function or method, sync or async) to this signal.

        Connecting the same receiver (or ``dispatch_uid``) for the same sender again changes
        nothing, so a module imported twice does not subscribe twice.

        Args:
            receiver: Called as ``receiver(sender, **arguments)``.
            sender: Only the writes of this model class (exactly this class, as in Django);
                None for every model's.
            weak: Hold the receiver by a weak reference, so that connecting does not keep it
                (or the object of a bound method) alive: it is dropped once garbage-collected.
                A lambda or a function defined inside another one then goes away as soon as
                nothing else holds it; connect those with ``weak=False``.
            dispatch_uid: A key that names this subscription instead of the receiver itself.

        Returns:
            ``receiver``, so that ``connect`` also serves as a decorator's body.
        """
        if not callable(receiver):
            raise TypeError(f"{self.name}.connect() takes a callable receiver, not {receiver!r}")
        key = (dispatch_uid if dispatch_uid is not None else _identity(receiver), id(sender))
        entry = _Entry(key, receiver, sender, weak)
        with self._lock:
            if not any(e.key == key for e in self._entries):
                self._entries = (*self._entries, entry)
        return receiver

    def disconnect(self, receiver: Callable[..., Any] | None = None, sender: object | None = None, *,
                   dispatch_uid: Hashable | None = None) -> bool:
        """Unsubscribes a receiver connected with this ``sender`` (or ``dispatch_uid``);
        returns whether it was connected."""
        if receiver is None and dispatch_uid is None:
            raise TypeError(f"{self.name}.disconnect() takes the receiver or its dispatch_uid")
        key = (dispatch_uid if dispatch_uid is not None else _identity(receiver), id(sender))
        with self._lock:
            kept = tuple(e for e in self._entries if e.key != key)
            found = len(kept) != len(self._entries)
            self._entries = kept
        return found

    def has_receivers(self, sender: object) -> bool:
        """Whether any receiver listens to ``sender``'s writes (cheap: checked on every write)."""
        entries = self._entries
        return bool(entries) and any(entry.sender is None or entry.sender is sender for entry in entries)

    def receivers(self, sender: object) -> list[Callable[..., Any]]:
        """The live receivers of ``sender``'s writes, in the order they were connected."""
        found, dead = [], False
        for entry in self._entries:
            if entry.sender is None or entry.sender is sender:
                target = entry.target()
                if target is None:
                    dead = True
                else:
                    found.append(target)
        if dead:
            with self._lock:
                self._entries = tuple(e for e in self._entries if e.target() is not None)
        return found

    def send(self, sender: object, **arguments: Any) -> list[tuple[Callable[..., Any], Any]]:
        """Calls every receiver of ``sender`` with ``arguments``; returns ``(receiver, result)`` pairs.

        Raises:
            NotSupported: a receiver is async (use :meth:`asend`, which the async write paths do).
        """
        receivers = self.receivers(sender)
        refuse_async(receivers, f"{self.name} receiver", "the async twin of the write (asave, adelete, ...)")
        return [(r, r(sender, **arguments)) for r in receivers]

    async def asend(self, sender: object, **arguments: Any) -> list[tuple[Callable[..., Any], Any]]:
        """Calls every receiver of ``sender``, awaiting the async ones, one after another."""
        results = []
        for r in self.receivers(sender):
            result = r(sender, **arguments)
            if inspect.isawaitable(result):
                result = await result
            results.append((r, result))
        return results


def _identity(receiver: Any) -> Hashable:
    """A bound method is a new object at each attribute access: it is its function and object."""
    if inspect.ismethod(receiver):
        return (id(receiver.__self__), id(receiver.__func__))
    return id(receiver)


def is_async(function: Any) -> bool:
    """Whether calling ``function`` gives something to await: an ``async def`` (also behind a
    partial) or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(type(function).__call__)


def refuse_async(functions: list[Callable[..., Any]], what: str, instead: str) -> None:
    """Raises ``NotSupported`` naming the first async function among ``functions``: sync code
    cannot await it, and ormada never runs an event loop to make sync code out of async."""
    for function in functions:
        if is_async(function):
            name = getattr(function, "__qualname__", repr(function))
            raise NotSupported(f"{what} {name} is async, and a sync call cannot await it; call {instead} "
                               "from async code, or make it a plain def")


def receiver(signal: Signal | tuple[Signal, ...], sender: object | None = None, *, weak: bool = True,
             dispatch_uid: Hashable | None = None) -> Callable[[R], R]:
    """Decorator connecting a function to one signal or several:
    ``@receiver(post_save, sender=Book)``."""
    signals = signal if isinstance(signal, tuple) else (signal,)

    def connect(function: R) -> R:
        for s in signals:
            s.connect(function, sender, weak=weak, dispatch_uid=dispatch_uid)
        return function

    return connect


pre_save = Signal("pre_save")
post_save = Signal("post_save")
pre_delete = Signal("pre_delete")
post_delete = Signal("post_delete")
post_bulk = Signal("post_bulk")
m2m_changed = Signal("m2m_changed")
