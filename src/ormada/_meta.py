"""Reading a model's inner ``class Meta`` into checked options."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ormada.errors import ConfigurationError


@dataclass(frozen=True)
class Index:
    """A composite index for ``Meta.indexes``: ``Index("author_id", "year", unique=True)``."""

    fields: tuple[str, ...]
    unique: bool = False
    name: str | None = None
    using: str | None = None

    def __init__(self, *fields: str, unique: bool = False, name: str | None = None, using: str | None = None) -> None:
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "unique", unique)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "using", using)


@dataclass(frozen=True)
class ModelOptions:
    """The options a model's ``Meta`` sets, with their defaults filled in."""

    table: str
    database: str = "default"
    abstract: bool = False
    indexes: tuple[Index, ...] = ()
    unique_together: tuple[tuple[str, ...], ...] = ()
    keyspace: str | None = None
    default_ttl: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


KNOWN_OPTIONS = (
    "table",
    "database",
    "abstract",
    "indexes",
    "unique_together",
    "keyspace",
    "default_ttl",
    "options",
)


def snake_case(name: str) -> str:
    """``BookReview`` → ``book_review``; the default table name of a model."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def read_meta(model_name: str, meta: type | None, inherited: ModelOptions | None) -> ModelOptions:
    """Checks ``Meta`` and returns the options, inheriting from an abstract parent.

    Raises:
        ConfigurationError: an option is unknown or has the wrong shape.
    """
    values: dict[str, Any] = {}
    if inherited is not None:
        # Only an abstract parent's options are inherited; its table name never is.
        values.update(database=inherited.database, keyspace=inherited.keyspace,
                      default_ttl=inherited.default_ttl, options=dict(inherited.options))
    if meta is not None:
        for key, value in vars(meta).items():
            if key.startswith("_"):
                continue
            if key not in KNOWN_OPTIONS:
                hint = difflib.get_close_matches(key, KNOWN_OPTIONS, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ConfigurationError(
                    f"{model_name}.Meta has an unknown option {key!r}{suggestion} "
                    f"(known: {', '.join(KNOWN_OPTIONS)})"
                )
            values[key] = value
    values.setdefault("table", snake_case(model_name))
    values.setdefault("abstract", False)
    indexes = []
    for item in values.get("indexes", ()):
        if isinstance(item, Index):
            indexes.append(item)
        elif isinstance(item, (tuple, list)) and all(isinstance(f, str) for f in item):
            indexes.append(Index(*item))
        elif isinstance(item, str):
            indexes.append(Index(item))
        else:
            raise ConfigurationError(
                f"{model_name}.Meta.indexes holds {item!r}; use a tuple of field names or ormada.Index(...)"
            )
    values["indexes"] = tuple(indexes)
    together = values.get("unique_together", ())
    if together and all(isinstance(f, str) for f in together):
        together = (together,)
    values["unique_together"] = tuple(tuple(group) for group in together)
    if not isinstance(values["table"], str) or not values["table"]:
        raise ConfigurationError(f"{model_name}.Meta.table must be a non-empty string, not {values['table']!r}")
    return ModelOptions(**values)
