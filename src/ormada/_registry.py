"""The registry of models, in two phases.

A model class is *defined* when its ``class`` statement runs; it is *configured* once
everything it refers to exists: its table is built, its relations (and their reverse
sides on the targets) are in place. A model whose relations name models that are not
defined yet (``"Person"``, ``"self"``) waits; each definition configures whatever it
completes, and the first use of a model that still waits (a query, ``create_all``,
building an instance, or :func:`configure`) says which name is missing.
"""

from __future__ import annotations

import difflib
import sys
import typing
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from pydantic import BaseModel

from ormada import fields as m
from ormada._info import ModelInfo
from ormada._many import ManyDescriptor
from ormada._meta import ModelOptions, snake_case
from ormada._relations import ForwardDescriptor, ManyDecl, PendingKey, Relation, ReverseDescriptor, key_annotation
from ormada._schema_builder import build_table_schema
from ormada.errors import ConfigurationError, DoesNotExist, MultipleObjectsReturned
from ormada.schema import TableSchema

# Every concrete model configured so far, in definition order: what databases read their models from.
_configured: list[ModelInfo] = []
# Concrete models waiting for the targets of their relations, with the keys that wait.
_waiting: dict[type[BaseModel], list[PendingKey]] = {}
# Every concrete model class by its class name, for relations that name their target.
_by_name: dict[str, list[type[BaseModel]]] = {}
# Many-to-many fields whose junction or target is not configured yet: (owner, field, junction).
_many_waiting: list[tuple[type[BaseModel], ManyDecl, Any]] = []
# Told of each model as it is configured. Databases sit above the registry and keep their
# metadata current through these; held weakly, since a database may go while its models stay.
_listeners: list[weakref.WeakMethod[Callable[[ModelInfo], None]]] = []


def define(cls: type[BaseModel], options: ModelOptions, pending: list[PendingKey]) -> None:
    """Records a concrete model class that has just been defined, and configures it and any
    model that was waiting for it, as far as their targets exist.

    Raises:
        ConfigurationError: the model cannot be stored as declared (raised now, not at first use).
    """
    _by_name.setdefault(cls.__name__, []).append(cls)
    if pending:
        _check(cls, options, {p.field for p in pending})
        _waiting[cls] = pending
    else:
        _finish(cls, options)
    _configure_ready()


def configure(*models: type[BaseModel], database: str | None = None) -> None:
    """Configures every waiting model whose targets exist, then checks that ``models``
    (or, with ``database``, every model of that database; with neither, every model) are
    configured.

    Raises:
        ConfigurationError: a relation of one of those models names a model that does not
            exist; the message names the model, the field and the closest defined name.
    """
    _configure_ready()
    wanted = {cls for cls in _waiting if (cls in models if models else
                                          database is None or _options(cls).database == database)}
    if not wanted:
        return
    _configure_ready(final=wanted)
    for cls in wanted & _waiting.keys():
        for key in _waiting[cls]:
            if _target(cls, key.marker.target, final=True) is None:
                raise ConfigurationError(
                    f"{cls.__name__}.{key.field.removesuffix('_id')}: the related model "
                    f"{key.marker.target!r} is not defined{_closest(str(key.marker.target))}"
                )


def on_configured(callback: Callable[[ModelInfo], None]) -> None:
    """Calls ``callback`` with the info of every model configured from now on, for as long
    as the object it is a method of lives (the registry holds it weakly).

    Args:
        callback: A bound method; it runs inside the class statement of the model (or
            the use that configures it), so it must not raise.
    """
    _listeners.append(weakref.WeakMethod(callback))


def _tell(info: ModelInfo) -> None:
    """Passes a newly configured model to the listeners that are still alive."""
    for ref in list(_listeners):  # a listener may configure models itself, telling the others meanwhile
        callback = ref()
        if callback is not None:
            callback(info)
    _listeners[:] = [ref for ref in _listeners if ref() is not None]


def configured(database: str | None = None) -> list[ModelInfo]:
    """The infos of the configured models (of one database), in definition order."""
    return [info for info in _configured if database is None or info.database == database]


def info_of(model: type[BaseModel]) -> ModelInfo:
    """The info of a concrete model class, configuring it first if it was waiting.

    Raises:
        ConfigurationError: the class is abstract or not a model, or one of its
            relations names a model that does not exist.
    """
    info = model.__dict__.get("__ormada__")
    if info is None and model in _waiting:
        configure(model)
        info = model.__dict__.get("__ormada__")
    if not isinstance(info, ModelInfo):
        raise ConfigurationError(f"{model.__name__} is abstract (or not a model class); it has no table")
    return info


def configure_before_use(model: type[BaseModel]) -> None:
    """Called when an instance of ``model`` is built while its key types still wait."""
    if model in _waiting:
        configure(model)


def _options(cls: type[BaseModel]) -> ModelOptions:
    options = cls.__dict__.get("__ormada_options__")
    assert isinstance(options, ModelOptions)
    return options


def _configure_ready(final: set[type[BaseModel]] | frozenset[type[BaseModel]] = frozenset()) -> None:
    """Configures waiting models until none of them can be (a target may be waiting too);
    the ``final`` ones are in use, so their targets may come from modules of their own."""
    progress = True
    while progress and _waiting:
        progress = False
        for cls, keys in list(_waiting.items()):
            targets = [_target(cls, key.marker.target, cls in final) for key in keys]
            if any(t is None for t in targets):
                continue
            namespace = {key.alias: key_annotation(t, replace(key.marker, target=t), key.nullable, key.extra)
                         for key, t in zip(keys, targets, strict=True) if key.alias and t is not None}
            if namespace:
                cls.model_rebuild(force=True, _types_namespace=namespace)
            del _waiting[cls]
            for key, target in zip(keys, targets, strict=True):
                _point_at(cls, key, target)  # type: ignore[arg-type]
            _finish(cls, _options(cls))
            progress = True


def _point_at(cls: type[BaseModel], key: PendingKey, target: type[BaseModel]) -> None:
    """Makes the key field's marker (and the relation attribute) refer to the class found."""
    metadata = cls.model_fields[key.field].metadata
    for i, marker in enumerate(metadata):
        if isinstance(marker, m.ForeignKey) and not isinstance(marker.target, type):
            metadata[i] = replace(marker, target=target)
    descriptor = cls.__dict__.get(key.field.removesuffix("_id"))
    if isinstance(descriptor, ForwardDescriptor):
        descriptor.target = target


def _target(cls: type[BaseModel], ref: Any, final: bool = False) -> type[BaseModel] | None:
    """The class a relation's target names, or None while no such model is defined.

    A bare name means a model of the owner's module when there is one; a model of
    another module only once the owner's module has run to its end (or, ``final``, when
    the owner is used), so that a name defined further down is not taken for another.
    """
    if isinstance(ref, type):
        return ref
    name = str(ref)
    if name == "self":
        return cls
    candidates = _by_name.get(name.rpartition(".")[2], [])
    if "." in name:
        candidates = [c for c in candidates if f"{c.__module__}.{c.__qualname__}".endswith(name)]
    own = [c for c in candidates if c.__module__ == cls.__module__]
    if own:
        return own[-1]  # redefined in a notebook or test: the latest
    if not final and _importing(cls.__module__):
        return None
    if len(candidates) > 1:
        paths = ", ".join(f"{c.__module__}.{c.__qualname__}" for c in candidates)
        raise ConfigurationError(f"{cls.__name__}: the related model {name!r} is ambiguous ({paths}); "
                                 "name it with its module")
    return candidates[0] if candidates else None


def _importing(module: str) -> bool:
    """Whether ``module`` is still being imported (its body has not run to the end)."""
    spec = getattr(sys.modules.get(module), "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _closest(name: str) -> str:
    hint = difflib.get_close_matches(name.rpartition(".")[2], list(_by_name), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else " (is the module that defines it imported?)"


def _check(cls: type[BaseModel], options: ModelOptions, waiting: set[str]) -> None:
    """The definition-time checks of a model that waits for its targets, so that a
    mistake elsewhere in it is still reported where the class is defined."""
    fields = {name: f for name, f in cls.model_fields.items() if name not in waiting}
    options = replace(options, indexes=tuple(i for i in options.indexes if waiting.isdisjoint(i.fields)),
                      unique_together=tuple(g for g in options.unique_together if waiting.isdisjoint(g)))
    _checked_table(cls, fields, options)


def _checked_table(cls: type[BaseModel], fields: dict[str, Any], options: ModelOptions) -> TableSchema:
    table = build_table_schema(cls.__name__, fields, options)
    if not table.primary_key:
        raise ConfigurationError(
            f"{cls.__name__} has no primary key: mark a field with PrimaryKey(), "
            "e.g. id: Annotated[int | None, PrimaryKey()] = None"
        )
    return table


def _finish(cls: type[BaseModel], options: ModelOptions) -> None:
    """Builds the table and info of a model whose fields are complete, and its relations."""
    table = _checked_table(cls, dict(cls.model_fields), options)
    qualname = cls.__qualname__
    does_not_exist = type("DoesNotExist", (DoesNotExist,), {"__module__": cls.__module__,
                                                           "__qualname__": f"{qualname}.DoesNotExist"})
    multiple = type("MultipleObjectsReturned", (MultipleObjectsReturned,), {
        "__module__": cls.__module__, "__qualname__": f"{qualname}.MultipleObjectsReturned"})
    info = ModelInfo(cls, cls.__name__, options, table, does_not_exist=does_not_exist, multiple_objects=multiple)
    type.__setattr__(cls, "__table_schema__", table)
    type.__setattr__(cls, "DoesNotExist", does_not_exist)
    type.__setattr__(cls, "MultipleObjectsReturned", multiple)
    type.__setattr__(cls, "__ormada__", info)
    _add_relations(info)
    _configured.append(info)
    _tell(info)
    for decl in cls.__dict__.get("__ormada_many__", ()):
        _many_waiting.append((cls, decl, decl.marker.through or _define_junction(cls, options, decl)))
    _wire_many()


def _define_junction(owner: type[BaseModel], options: ModelOptions, decl: ManyDecl) -> type[BaseModel]:
    """The junction model of a many-to-many field: a key of its own, a foreign key to
    each side (deleting either side deletes the link), and one row per pair."""
    target = decl.marker.target
    target_name = target.__name__ if isinstance(target, type) else str(target).rpartition(".")[2]
    if target == "self" or target_name == owner.__name__:
        target, target_name = owner, owner.__name__
    source_field, target_field = snake_case(owner.__name__), snake_case(target_name)
    if source_field == target_field:
        source_field, target_field = f"from_{source_field}", f"to_{target_field}"
    link = m.ForeignKey(on_delete="CASCADE", related_name="+")
    root = [b for b in owner.__mro__ if isinstance(b, type(owner))][-1]  # ormada's Model
    name = owner.__name__ + "".join(part.title() for part in decl.name.split("_"))
    meta = type("Meta", (), {
        "table": decl.marker.db_table or f"{options.table}_{decl.name}",
        "database": options.database,
        "unique_together": [(f"{source_field}_id", f"{target_field}_id")],
        "__qualname__": f"{name}.Meta",  # nested in the model, which is how pydantic tells it is no field
        "__module__": owner.__module__,
    })
    namespace: dict[str, Any] = {
        "__module__": owner.__module__,
        "__qualname__": name,
        "__doc__": f"The links of {owner.__name__}.{decl.name} (made by ormada).",
        "__annotations__": {
            "id": Annotated[int | None, m.PrimaryKey()],
            source_field: Annotated[owner, link],
            target_field: Annotated[target if isinstance(target, type) else typing.ForwardRef(str(target)), link],
        },
        "id": None,
        "Meta": meta,
    }
    metaclass: Any = type(owner)
    return metaclass(name, (root,), namespace)  # type: ignore[no-any-return]


def _wire_many() -> None:
    """The relations of the many-to-many fields whose junction and target are configured."""
    for item in list(_many_waiting):
        owner, decl, through = item
        through = _target(owner, through)
        target = _target(owner, decl.marker.target)
        if through is None or target is None or "__ormada__" not in through.__dict__:
            continue
        _many_waiting.remove(item)
        links = [(name, x.target) for name, f in through.model_fields.items()
                 for x in f.metadata if isinstance(x, m.ForeignKey)]
        to_owner = [name for name, t in links if t is owner]
        to_target = to_owner[1:] if owner is target else [name for name, t in links if t is target]
        if not to_owner or not to_target:
            raise ConfigurationError(
                f"{owner.__name__}.{decl.name}: the junction {through.__name__} needs a ForeignKey to "
                f"{owner.__name__} and one to {target.__name__}"
            )
        source, far = to_owner[0], to_target[0]
        forward = Relation(decl.name, "m2m", owner, target, _single_key(owner), _single_key(target), many=True,
                           through=through, through_source=source, through_target=far)
        relations_of(owner)[decl.name] = forward
        type.__setattr__(owner, decl.name, ManyDescriptor(forward))
        if decl.marker.related_name == "+":
            continue
        reverse_name = decl.marker.related_name or f"{owner.__name__.lower()}_set"
        if reverse_name in target.model_fields or reverse_name in relations_of(target):
            raise ConfigurationError(
                f"{owner.__name__}.{decl.name}: the reverse relation {target.__name__}.{reverse_name} would hide "
                f"what {target.__name__} already has by that name; give ManyToMany(related_name=...) another"
            )
        reverse = Relation(reverse_name, "m2m", target, owner, forward.target_key, forward.key, many=True,
                           partner=forward, through=through, through_source=far, through_target=source)
        forward.partner = reverse
        relations_of(target)[reverse_name] = reverse
        type.__setattr__(target, reverse_name, ManyDescriptor(reverse))


class _Relations(dict[str, Relation]):
    """A model's relations by attribute name; keeps the class's set of their names current."""

    def __init__(self, model: type[BaseModel]) -> None:
        super().__init__()
        self.model = model

    def __setitem__(self, name: str, relation: Relation) -> None:
        super().__setitem__(name, relation)
        type.__setattr__(self.model, "__ormada_relation_names__", frozenset(self))


def relations_of(cls: type[BaseModel]) -> dict[str, Relation]:
    """The relations of a model class by attribute name (those of its reverse sides
    included); the dict grows as models that refer to it are configured."""
    own = cls.__dict__.get("__ormada_relations__")
    if own is None:
        own = _Relations(cls)
        type.__setattr__(cls, "__ormada_relations__", own)
    return own


def _add_relations(info: ModelInfo) -> None:
    """The forward relation of each foreign key to a model, and its reverse side on the target."""
    cls = info.model
    mine = relations_of(cls)
    info.relations = mine
    for name, field in cls.model_fields.items():
        marker = next((x for x in field.metadata if isinstance(x, m.ForeignKey)), None)
        if marker is None or not (isinstance(marker.target, type) and issubclass(marker.target, BaseModel)):
            continue
        target = marker.target
        relation_name = name.removesuffix("_id") if name.endswith("_id") else None
        descriptor = cls.__dict__.get(relation_name) if relation_name else None
        if relation_name is None or relation_name in cls.model_fields or (
                relation_name in vars(cls) and not isinstance(descriptor, ForwardDescriptor)):
            continue  # a key field whose name gives no free attribute for the relation
        target_key = marker.column or _single_key(target)
        nullable = type(None) in typing.get_args(field.annotation)
        forward = Relation(relation_name, "forward", cls, target, name, target_key, many=False,
                           nullable=nullable)
        if not isinstance(descriptor, ForwardDescriptor):
            descriptor = ForwardDescriptor(relation_name, name, target, nullable)
            type.__setattr__(cls, relation_name, descriptor)
        descriptor.relation = forward
        mine[relation_name] = forward
        inputs = cls.__dict__.get("__ormada_relation_inputs__", frozenset())
        type.__setattr__(cls, "__ormada_relation_inputs__", inputs | {relation_name})
        if marker.related_name == "+":
            continue
        reverse_name = marker.related_name or f"{cls.__name__.lower()}_set"
        one = isinstance(marker, m.OneToOne)
        inherited = relations_of(target).get(reverse_name)
        base = inherited.target.__dict__.get("__ormada__") if inherited is not None else None
        if inherited is not None and inherited.key == name and issubclass(cls, inherited.target) and \
                isinstance(base, ModelInfo) and base.table.name == info.table.name:
            # A subclass on its base's table inherits the key and the relation: the base's
            # reverse side already reads its rows (as the subclass, through a polymorphic base).
            forward.partner = inherited
            continue
        if reverse_name in target.model_fields or reverse_name in relations_of(target) or (
                reverse_name in vars(target)):
            raise ConfigurationError(
                f"{info.name}.{relation_name}: the reverse relation {target.__name__}.{reverse_name} would hide "
                f"what {target.__name__} already has by that name; give ForeignKey(related_name=...) another"
            )
        reverse = Relation(reverse_name, "reverse", target, cls, name, target_key, many=not one, partner=forward)
        forward.partner = reverse
        relations_of(target)[reverse_name] = reverse
        type.__setattr__(target, reverse_name, ReverseDescriptor(reverse))


def _single_key(target: type[BaseModel]) -> str:
    return m.key_field(target.model_fields) or "id"
