"""A model's hooks (``before_save``, ``after_save``, ``before_delete``, ``after_delete``) and
the signals of :mod:`ormada.signals`, around the writes that handle instances.

A write is a sans-I/O operation; the hooks join it as :class:`Callback` steps, which the
runner calls in its own mode: the sync runner calls them, the async one awaits the async
ones. So one operation serves both modes here too. Where a write has no hook and no
receiver, it is returned unchanged and costs nothing more. Where it has some, it is run
atomically: the runner opens a transaction (a savepoint inside one) that the hooks' own
queries join, and a hook that raises rolls the write back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Sequence
from typing import Any

from ormada import _tracking as tracking
from ormada.backends.base import Callback
from ormada.signals import (
    Signal,
    m2m_changed,
    post_bulk,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
    refuse_async,
)

Operation = Generator[Any, Any, Any]

_INSTEAD = "the async twin of the write (asave, acreate, adelete, ...)"


class _Event:
    """The hooks and signals of one write of one instance: a hook before and one after,
    each followed by its signal."""

    __slots__ = ("arguments", "hook_arguments", "hooks", "instance", "signals")

    def __init__(self, instance: Any, hooks: tuple[str, str], signals: tuple[Signal, Signal],
                 arguments: dict[str, Any], hook_arguments: tuple[Any, ...]) -> None:
        self.instance = instance
        self.hooks = hooks
        self.signals = signals
        self.arguments = arguments
        self.hook_arguments = hook_arguments

    def _hook(self, name: str) -> Callable[..., Any] | None:
        if name not in _defined.get(type(self.instance), ()):  # filled by _wanted() before any event
            return None
        hook = getattr(self.instance, name, None)
        return hook if callable(hook) else None

    def check_sync(self) -> None:
        """Refuses, before anything is written, a sync write that would meet an async hook or receiver."""
        model = type(self.instance)
        hooks = [h for h in map(self._hook, self.hooks) if h is not None]
        refuse_async(hooks, "the hook", _INSTEAD)
        for signal in self.signals:
            refuse_async(signal.receivers(model), f"the {signal.name} receiver", _INSTEAD)

    def run(self, step: int) -> None:
        if step == 0:
            self.check_sync()
        hook = self._hook(self.hooks[step])
        if hook is not None:
            hook(*self.hook_arguments)
        self.signals[step].send(type(self.instance), instance=self.instance, **self.arguments)

    async def arun(self, step: int) -> None:
        hook = self._hook(self.hooks[step])
        if hook is not None:
            result = hook(*self.hook_arguments)
            if inspect.isawaitable(result):
                await result
        await self.signals[step].asend(type(self.instance), instance=self.instance, **self.arguments)

    def step(self, step: int) -> Callback:
        return Callback(lambda: self.run(step), lambda: self.arun(step))


_HOOKS = ("before_save", "after_save", "before_delete", "after_delete")
# The hooks each model class defines (its bases' included), found once per class: getattr()
# of a missing name on a pydantic model class raises inside its metaclass, which would cost
# microseconds on every write. A hook assigned to a class after its first write is not seen;
# define hooks in the class body.
_defined: dict[type, frozenset[str]] = {}


def _wanted(model: type, hooks: tuple[str, str], signals: tuple[Signal, Signal]) -> bool:
    defined = _defined.get(model)
    if defined is None:
        defined = _defined[model] = frozenset(name for name in _HOOKS
                                              if any(name in klass.__dict__ for klass in model.__mro__))
    if defined and (hooks[0] in defined or hooks[1] in defined):
        return True
    return signals[0].has_receivers(model) or signals[1].has_receivers(model)


def _around(event: _Event, operation: Operation, written: Callable[[Any], bool] | None) -> Operation:
    yield event.step(0)
    result = yield from operation
    if written is None or written(result):
        yield event.step(1)
    return result


_SAVE = ("before_save", "after_save")
_SAVE_SIGNALS = (pre_save, post_save)
_DELETE = ("before_delete", "after_delete")
_DELETE_SIGNALS = (pre_delete, post_delete)


def saving(instance: Any, operation: Operation, created: bool | None = None,
           update_fields: Sequence[str] | None = None,
           written: Callable[[Any], bool] | None = None) -> tuple[Operation, bool]:
    """``operation``, a write of ``instance``, with the save hooks and signals around it, and
    whether it must run atomically (it has hooks to run).

    Args:
        created: Whether the write inserts; by default, whether the instance was never stored.
        update_fields: The fields written, where only some are (``instance.update(...)``).
        written: Tells from the operation's result whether it wrote (``insert(if_not_exists=True)``);
            the after-hooks run only then.
    """
    if not _wanted(type(instance), _SAVE, _SAVE_SIGNALS):
        return operation, False
    if created is None:
        created = not tracking.is_persisted(instance)
    fields = None if update_fields is None else tuple(update_fields)
    event = _Event(instance, _SAVE, _SAVE_SIGNALS, {"created": created, "update_fields": fields}, (created,))
    return _around(event, operation, written), True


def deleting(instance: Any, operation: Operation) -> tuple[Operation, bool]:
    """``operation``, the delete of ``instance``, with the delete hooks and signals around it,
    and whether it must run atomically."""
    if not _wanted(type(instance), _DELETE, _DELETE_SIGNALS):
        return operation, False
    return _around(_Event(instance, _DELETE, _DELETE_SIGNALS, {}, ()), operation, None), True


def bulk(model: type, operation: Operation, action: str, instances: Sequence[Any] | None = None,
         fields: Sequence[str] | None = None, queryset: Any = None) -> tuple[Operation, bool]:
    """``operation``, a write of many rows at once, followed by the ``post_bulk`` signal, and
    whether it must run atomically (it has receivers). Bulk writes call no per-instance hook."""
    if not post_bulk.has_receivers(model):
        return operation, False

    def arguments(result: Any) -> dict[str, Any]:
        return {"action": action, "instances": None if instances is None else list(instances),
                "fields": None if fields is None else tuple(fields),
                "count": result if isinstance(result, int) else len(result), "queryset": queryset}

    return _followed(model, post_bulk, operation, arguments), True


def linking(instance: Any, relation: str, action: str, keys: Sequence[Any] | None,
            operation: Operation) -> tuple[Operation, bool]:
    """``operation``, a write of ``instance``'s many-to-many ``relation``, followed by the
    ``m2m_changed`` signal, and whether it must run atomically (it has receivers)."""
    model = type(instance)
    if not m2m_changed.has_receivers(model):
        return operation, False

    def arguments(result: Any) -> dict[str, Any]:
        return {"instance": instance, "relation": relation, "action": action,
                "keys": None if keys is None else list(keys)}

    return _followed(model, m2m_changed, operation, arguments), True


def _followed(model: type, signal: Signal, operation: Operation,
              arguments: Callable[[Any], dict[str, Any]]) -> Operation:
    yield Callback(lambda: refuse_async(signal.receivers(model), f"the {signal.name} receiver", _INSTEAD), _nothing)
    result = yield from operation
    sent = arguments(result)
    yield Callback(lambda: signal.send(model, **sent), lambda: signal.asend(model, **sent))
    return result


async def _nothing() -> None:
    return None
