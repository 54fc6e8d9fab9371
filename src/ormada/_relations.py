"""Relations between models: how they are declared, what they resolve to, and the
attributes (``book.author``, ``author.books``) that give access to loaded rows.

A relation field such as ``author: Annotated[Author, ForeignKey(related_name="books")]``
is rewritten before pydantic sees the class: the model gets the key field ``author_id``
(typed like the target's primary key, and carrying the ``ForeignKey`` marker, so the
table is built exactly as for a key declared by hand) and an ``author`` attribute that
holds the related instance once it is loaded. When the target is not defined yet (a
name, ``"self"``, a forward reference), the key field's type is a placeholder that the
registry fills in once the target exists.
"""

from __future__ import annotations

import builtins
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ormada import fields as m
from ormada.errors import ConfigurationError, DataError, RelationNotLoaded

RelationKind = Literal["forward", "reverse", "m2m"]
# Markers that say how a key is stored: copied from the target's key onto the referencing one.
_STORAGE_MARKERS = (m.SmallInt, m.BigInt, m.Text, m.TimeUUID, m.DbType, m.Json)
_RELATION_WORDS = ("ForeignKey", "OneToOne", "ManyToMany")


@dataclass(frozen=True)
class PendingKey:
    """A key field whose type waits for its target: ``alias`` is the placeholder name
    its annotation refers to until the registry knows the target's key type."""

    field: str
    alias: str
    marker: m.ForeignKey
    nullable: bool
    extra: tuple[Any, ...]  # the relation field's other metadata (Column(), Indexed()…)


@dataclass(frozen=True)
class ManyDecl:
    """A many-to-many field as declared: the attribute, its marker (target filled in from
    the field's item type) and the model that declares it."""

    name: str
    marker: m.ManyToMany


@dataclass(eq=False)
class Relation:
    """A resolved relation, seen from ``model``.

    Attributes:
        name: The attribute on ``model`` (``"author"`` on Book, ``"books"`` on Author).
        kind: ``forward`` (this model holds the key) or ``reverse`` (the target does).
        model: The class the attribute belongs to.
        target: The related class.
        key: The field holding the key: on ``model`` for forward relations, on
            ``target`` for reverse ones.
        target_key: The field the key refers to (on ``target`` for forward relations,
            on ``model`` for reverse ones): usually the primary key.
        many: A reverse foreign key or a many-to-many relation gives a list; forward and
            one-to-one give one object.
        nullable: A forward key that may be None.
        partner: The relation seen from the other side, when there is one.
        through: A many-to-many relation's junction model, whose ``through_source`` field
            holds this model's key (``key``) and ``through_target`` the target's
            (``target_key``).
    """

    name: str
    kind: RelationKind
    model: type[BaseModel]
    target: type[BaseModel]
    key: str
    target_key: str
    many: bool
    nullable: bool = False
    partner: Relation | None = None
    through: type[BaseModel] | None = None
    through_source: str = ""
    through_target: str = ""

    def __repr__(self) -> str:
        return f"<relation {self.model.__name__}.{self.name} -> {self.target.__name__}>"


def related_store(instance: BaseModel) -> dict[str, Any] | None:
    """The instance's loaded relations, by name (None when nothing was loaded)."""
    try:
        return instance._ormada_related  # type: ignore[attr-defined, no-any-return]
    except AttributeError:
        return None


def set_related(instance: BaseModel, name: str, value: Any) -> None:
    """Records ``value`` as the loaded relation ``name`` of ``instance``."""
    store = related_store(instance)
    if store is None:
        store = {}
        object.__setattr__(instance, "_ormada_related", store)
    store[name] = value


def saved_key(instance: BaseModel, field: str) -> Any:
    """The value of ``field`` on an instance that is stored, or None while it is not saved
    (no value yet, or never written or read): what a relation may store for it."""
    key = instance.__dict__.get(field)
    return None if key is None or getattr(instance, "_ormada_row", None) is None else key


def forget_related(instance: BaseModel, name: str) -> None:
    store = related_store(instance)
    if store is not None:
        store.pop(name, None)


def _not_loaded(instance: BaseModel, name: str) -> RelationNotLoaded:
    return RelationNotLoaded(
        f"{type(instance).__name__}.{name} is not loaded, and ormada never queries behind an attribute: "
        f"load it with select_related({name!r}) or prefetch_related({name!r}) on the query, "
        f"or with fetch_related({name!r}) / await afetch_related({name!r}) on the instance"
    )


class ForwardDescriptor(property):
    """``book.author``: the loaded row the key points at; assigning an instance or a key
    sets ``author_id``.

    A ``property`` subclass because pydantic routes assignments to properties (and to
    nothing else that is not a field) through their setter.
    """

    def __init__(self, name: str, key: str, target: Any, nullable: bool) -> None:
        super().__init__()
        self.name, self.key, self.target, self.nullable = name, key, target, nullable
        self.relation: Relation | None = None

    def __get__(self, instance: BaseModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        key = instance.__dict__.get(self.key)
        # One try instead of related_store() and a membership test: this runs for every
        # related row an application reads (10,000 book.author.name: 6.5 ms to 5.0).
        try:
            row = instance._ormada_related[self.name]  # type: ignore[attr-defined]
        except (AttributeError, KeyError, TypeError):  # slot unset or None, or not this relation
            pass
        else:
            relation = self.relation
            # A key assigned since (book.author_id = 2) makes the row loaded before stale.
            if row is None or relation is None or row.__dict__.get(relation.target_key) == key:
                return row if key is not None else None
        if key is None:
            return None  # no key, so nothing to load: known without a query
        raise _not_loaded(instance, self.name)

    def __set__(self, instance: BaseModel, value: Any) -> None:
        key = self.key_of(type(instance), value)
        setattr(instance, self.key, key)  # validated like any assignment
        if isinstance(value, BaseModel) or value is None:
            set_related(instance, self.name, value)

    def key_of(self, model: type, value: Any) -> Any:
        """The key to store for ``value``: an instance of the target, a key, or None.

        Raises:
            DataError: ``value`` is another model's instance, or an instance not saved yet.
        """
        if value is None:
            if not self.nullable:
                raise DataError(f"{model.__name__}.{self.name} cannot be None (its key {self.key} is required)")
            return None
        if not isinstance(value, BaseModel):
            return value  # a key: the key field's own validation checks it
        target = self.relation.target if self.relation is not None else self.target
        if not isinstance(target, type) or not isinstance(value, target):
            expected = target.__name__ if isinstance(target, type) else str(target)
            raise DataError(f"{model.__name__}.{self.name} takes a {expected} (or its key), "
                            f"not a {type(value).__name__}: {value!r}")
        target_key = self.relation.target_key if self.relation is not None else _pk_field(target)
        key = saved_key(value, target_key)
        if key is None:
            raise DataError(f"{model.__name__}.{self.name}: the {type(value).__name__} assigned is not saved yet; "
                            "save it first (a key it does not have cannot be stored)")
        return key


class RelationAttribute(property):
    """The attribute of a relation whose rows another query loads: what was loaded, or
    else :meth:`missing` (a ``property`` subclass, so pydantic leaves it alone)."""

    def __init__(self, relation: Relation) -> None:
        super().__init__()
        self.relation = relation

    def __get__(self, instance: BaseModel | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        store = related_store(instance)
        if store is not None and self.relation.name in store:
            return store[self.relation.name]
        return self.missing(instance)

    def missing(self, instance: BaseModel) -> Any:
        raise _not_loaded(instance, self.relation.name)


class ReverseDescriptor(RelationAttribute):
    """``author.books``: the rows whose key points at this one, once loaded."""

    def __set__(self, instance: BaseModel, value: Any) -> None:
        raise AttributeError(
            f"{type(instance).__name__}.{self.relation.name} is the reverse side of "
            f"{self.relation.target.__name__}.{self.relation.key}; set the key on the "
            f"{self.relation.target.__name__} rows instead"
        )


# -- declaration -------------------------------------------------------------------


class _Unresolved:
    """A name in a string annotation that is not defined yet (a forward reference)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __call__(self) -> None:  # typing.Annotated accepts callables as types
        return None

    def __or__(self, other: Any) -> _Unresolved:
        return _Unresolved(f"{self.text} | {_text(other)}")

    def __ror__(self, other: Any) -> _Unresolved:
        return _Unresolved(f"{_text(other)} | {self.text}")

    def __getitem__(self, item: Any) -> _Unresolved:
        return _Unresolved(f"{self.text}[{_text(item)}]")

    def __getattr__(self, name: str) -> _Unresolved:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Unresolved(f"{self.text}.{name}")


def _text(value: Any) -> str:
    if isinstance(value, _Unresolved):
        return value.text
    if value is None or value is type(None):
        return "None"
    return getattr(value, "__name__", str(value))


class _Lenient(dict[str, Any]):
    """Names for evaluating a string annotation: unknown ones become :class:`_Unresolved`."""

    def __init__(self, *scopes: dict[str, Any]) -> None:
        super().__init__()
        self.scopes = scopes

    def __missing__(self, name: str) -> Any:
        for scope in self.scopes:
            if name in scope:
                return scope[name]
        return _Unresolved(name)


def _evaluate(annotation: Any, namespace: dict[str, Any], local: Mapping[str, Any]) -> Any:
    if not isinstance(annotation, str):
        return annotation
    if not any(word in annotation for word in _RELATION_WORDS):
        return None  # not a relation: left to pydantic as it is
    module = sys.modules.get(namespace.get("__module__", ""))
    scope = _Lenient(namespace, dict(local), vars(module) if module else {}, vars(builtins))
    try:
        return eval(annotation, {}, scope)
    except Exception:  # an annotation pydantic will report better than we can
        return None


def _target_of(base: Any) -> tuple[Any, bool] | None:
    """``(target, nullable)`` when ``base`` names a model (a class, a name or ``X | None``);
    None when it is a plain type such as ``int`` (a key field declared by hand)."""
    if isinstance(base, typing.ForwardRef):
        base = base.__forward_arg__
    if isinstance(base, _Unresolved):
        base = base.text
    if isinstance(base, str):
        parts = [p.strip() for p in base.replace("Optional[", "").rstrip("]").split("|")]
        nullable = "None" in parts
        names = [p for p in parts if p != "None"]
        if len(names) != 1:
            return None
        return names[0].strip("'\""), nullable
    if isinstance(base, type):
        return (base, False) if issubclass(base, BaseModel) else None
    args = typing.get_args(base)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            inner = _target_of(rest[0])
            return (inner[0], True) if inner is not None else None
    return None


def declare(model: str, namespace: dict[str, Any], local: Mapping[str, Any]) -> list[PendingKey]:
    """Rewrites the relation fields in the namespace of a model class being defined (see
    the module's docstring) and returns the key fields whose type must wait for their
    target. Runs before pydantic reads the namespace.

    Raises:
        ConfigurationError: a relation is declared in a way that cannot be stored.
    """
    annotations: dict[str, Any] = namespace.get("__annotations__", {})
    pending: list[PendingKey] = []
    declared: list[ManyDecl] = []
    for name, annotation in list(annotations.items()):
        value = _evaluate(annotation, namespace, local)
        if typing.get_origin(value) is not Annotated:
            continue
        base, *metadata = typing.get_args(value)
        many = next((x for x in metadata if isinstance(x, m.ManyToMany)), None)
        if many is not None:
            declared.append(_many_decl(model, name, base, many, annotations, namespace))
            continue
        marker = next((x for x in metadata if isinstance(x, m.ForeignKey)), None)
        if marker is None:
            continue
        target = _target_of(base)
        if target is None:  # a key field declared by hand: the registry adds its relation
            if isinstance(marker.target, str) and is_model_reference(marker.target):
                pending.append(PendingKey(name, "", marker, False, ()))
            continue
        ref, nullable = target
        where = f"{model}.{name}"
        if marker.target is not None and _text(marker.target).replace("self", model) != _text(ref):
            raise ConfigurationError(
                f"{where}: the field's type names {_text(ref)} but ForeignKey() targets "
                f"{_text(marker.target)}; give the model once, as the type"
            )
        key = f"{name}_id"
        if key in annotations:
            raise ConfigurationError(
                f"{where}: the relation stores its key in {key}, which is declared too; "
                f"remove {key} (it is made from the relation) or declare only {key} with ForeignKey()"
            )
        has_default = name in namespace
        default = namespace.pop(name, None)
        if has_default and default is not None:
            raise ConfigurationError(f"{where}: a relation's default can only be None, not {default!r}")
        if has_default and not nullable:
            raise ConfigurationError(f"{where} defaults to None but its type is not optional; "
                                     f"write {_text(ref)} | None")
        extra = tuple(x for x in metadata if x is not marker)
        del annotations[name]
        resolved = ref if isinstance(ref, type) and issubclass(ref, BaseModel) else None
        if resolved is not None:
            annotations[key] = key_annotation(resolved, replace(marker, target=resolved), nullable, extra)
        else:
            alias = f"__ormada_key_{model}_{name}__"
            annotations[key] = alias
            pending.append(PendingKey(key, alias, replace(marker, target=ref), nullable, extra))
        if has_default:
            namespace[key] = None
        namespace[name] = ForwardDescriptor(name, key, ref, nullable)
    namespace["__ormada_many__"] = tuple(declared)
    return pending


def _many_decl(model: str, name: str, base: Any, marker: m.ManyToMany, annotations: dict[str, Any],
               namespace: dict[str, Any]) -> ManyDecl:
    """A many-to-many field taken out of the class body: it is no column, and its
    attribute is installed once the junction exists."""
    item = typing.get_args(base)[0] if typing.get_origin(base) in (list, set, tuple) else None
    if isinstance(base, _Unresolved) and base.text.startswith("list["):  # list["Tag"] naming a later model
        item = base.text[5:-1]
    found = _target_of(item) if item is not None else None
    ref = marker.target if marker.target is not None else (found[0] if found else None)
    if ref is None:
        raise ConfigurationError(f"{model}.{name}: a ManyToMany field is typed as a list of the related model "
                                 f"(list[Tag]), or names it with ManyToMany(target)")
    default = namespace.pop(name, [])
    if default not in ([], (), None):
        raise ConfigurationError(f"{model}.{name}: a many-to-many relation's default can only be [], "
                                 f"not {default!r}")
    del annotations[name]
    return ManyDecl(name, replace(marker, target=ref))


def is_model_reference(target: str) -> bool:
    """Whether a string target names a model (``"Person"``, ``"self"``, ``"app.Person"``)
    rather than a table ormada does not manage (``"person.id"``: the last part is lower case)."""
    last = target.rpartition(".")[2]
    return target == "self" or last[:1].isupper()


def key_annotation(target: type[BaseModel], marker: m.ForeignKey, nullable: bool, extra: tuple[Any, ...]) -> Any:
    """The annotation of a key field that refers to ``target``'s key: the same type and
    storage, the foreign-key marker, and the relation field's own markers."""
    field = _key_field_info(target, marker)
    base = _non_optional(field.annotation)
    storage = tuple(x for x in field.metadata if isinstance(x, _STORAGE_MARKERS) or not isinstance(x, m.Marker))
    # Annotated outermost, so that pydantic keeps the markers as the field's metadata.
    return Annotated[(base | None if nullable else base, *storage, marker, *extra)]


def _key_field_info(target: type[BaseModel], marker: m.ForeignKey) -> FieldInfo:
    name = marker.column or _pk_field(target)
    field = target.model_fields.get(name)
    if field is None:
        raise ConfigurationError(f"ForeignKey to {target.__name__}: it has no field {name!r} to refer to")
    return field


def _pk_field(target: type[BaseModel]) -> str:
    name = m.key_field(target.model_fields)
    if name is None:
        raise ConfigurationError(
            f"ForeignKey to {target.__name__}: its primary key is not one field; "
            "a foreign key refers to a one-field key (give ForeignKey(column=...) a unique field)"
        )
    return name


def _non_optional(annotation: Any) -> Any:
    args = typing.get_args(annotation)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation
