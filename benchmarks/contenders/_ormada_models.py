"""ormada models built from a `ModelSpec` (shared by the sync and async contenders)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from benchmarks.workload import Kind, ModelSpec
from ormada import BigInt, Indexed, Model, PrimaryKey, SmallInt, Text

_TYPES: dict[Kind, Any] = {
    Kind.INT: int,
    Kind.SMALLINT: Annotated[int, SmallInt()],
    Kind.BIGINT: Annotated[int, BigInt()],
    Kind.FLOAT: float,
    Kind.VARCHAR: Annotated[str, Text(max_length=255)],
    Kind.TEXT: str,
    Kind.DECIMAL: Annotated[Decimal, Field(max_digits=10, decimal_places=2)],
    Kind.DATETIME: datetime,
    Kind.JSON: dict[str, Any],
}


def build_model(spec: ModelSpec, **options: Any) -> Any:
    """An ``ormada.Model`` subclass for ``spec``, e.g. for the small model::

    class BenchSmall(Model):
        id: Annotated[int | None, PrimaryKey()] = None
        level: Annotated[int, Indexed()]
        text: Annotated[str, Indexed(), Text(max_length=255)]
        timestamp: datetime

    ``options`` go into its ``Meta`` (``cache=Cache(ttl=300)``).
    """
    annotations: dict[str, Any] = {"id": Annotated[int | None, PrimaryKey()]}
    for col in spec.columns:
        annotation = _TYPES[col.kind]
        annotations[col.name] = Annotated[annotation, Indexed()] if col.indexed else annotation
    # The qualnames mark Meta as nested in the model, which is how pydantic tells it is no field.
    meta = type("Meta", (), {"table": spec.table, "__qualname__": f"{spec.class_name}.Meta", "__module__": __name__,
                             **options})
    namespace = {
        "__module__": __name__,
        "__qualname__": spec.class_name,
        "__annotations__": annotations,
        "Meta": meta,
        "id": None,
    }
    return type(spec.class_name, (Model,), namespace)
