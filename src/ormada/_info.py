"""What ormada knows about one model class, built once when the class is defined."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ormada._meta import ModelOptions
from ormada._relations import Relation
from ormada.errors import DoesNotExist, MultipleObjectsReturned
from ormada.schema import Kind, TableSchema

if TYPE_CHECKING:
    from pydantic import BaseModel

# Kinds whose Python values can be changed in place, so change tracking must
# compare against a copy rather than the object the instance still holds.
MUTABLE_KINDS = frozenset({Kind.JSON, Kind.LIST, Kind.SET, Kind.MAP, Kind.USER_TYPE, Kind.VECTOR})


@dataclass(eq=False)
class ModelInfo:
    """A model's options, table and key.

    What depends on a backend as well (row layouts, hydrators, CQL tables) is cached
    on the backend, keyed by this object, which hashes by identity.
    """

    model: type[BaseModel]
    name: str
    options: ModelOptions
    table: TableSchema
    field_names: tuple[str, ...] = ()
    pk: tuple[str, ...] = ()
    mutable_fields: frozenset[str] = frozenset()
    generated_key: str | None = None
    insert_generated: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    # The model's own subclasses of the errors, which the operations raise.
    does_not_exist: type[DoesNotExist] = DoesNotExist
    multiple_objects: type[MultipleObjectsReturned] = MultipleObjectsReturned
    # By attribute name, reverse sides included; grows as models referring to this one are configured.
    relations: dict[str, Relation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.field_names = tuple(c.name for c in self.table.columns)
        self.pk = tuple(c.name for c in self.table.primary_key)
        self.mutable_fields = frozenset(c.name for c in self.table.columns if c.type.kind in MUTABLE_KINDS)
        generated = self.table.generated_column
        if generated is not None:
            self.generated_key = generated.name
            # Inserting with the key left to the database: every other column, key read back.
            self.insert_generated = (tuple(n for n in self.field_names if n != generated.name), (generated.name,))

    @property
    def database(self) -> str:
        """The name of the database the model is bound to (``Meta.database``)."""
        return self.options.database
