"""Reading a model's inner ``class Meta`` into checked options."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ormada._cache_policy import Cache, check_policy
from ormada._vectors import check_metric
from ormada.errors import ConfigurationError


@dataclass(frozen=True)
class Index:
    """A composite index for ``Meta.indexes``: ``Index("author_id", "year", unique=True)``."""

    fields: tuple[str, ...]
    unique: bool = False
    name: str | None = None
    using: str | None = None
    metric: str | None = None
    options: tuple[tuple[str, int], ...] = ()

    def __init__(self, *fields: str, unique: bool = False, name: str | None = None, using: str | None = None) -> None:
        object.__setattr__(self, "fields", tuple(fields))
        object.__setattr__(self, "unique", unique)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "using", using)
        object.__setattr__(self, "metric", None)
        object.__setattr__(self, "options", ())


# The build options each vector index method takes (pgvector's names and meaning).
VECTOR_INDEX_OPTIONS = {"hnsw": ("m", "ef_construction"), "ivfflat": ("lists",)}


@dataclass(frozen=True)
class VectorIndex(Index):
    """A nearest-neighbour index on a ``Vector(n)`` field for ``Meta.indexes``:
    ``VectorIndex("embedding", metric="cosine", method="hnsw", m=16, ef_construction=64)``.

    It serves ``nearest()`` with the same metric. PostgreSQL (pgvector) builds it with
    ``USING hnsw``/``ivfflat`` and the metric's operator class (``vector_cosine_ops``,
    ``vector_l2_ops``, ``vector_ip_ops``); Cassandra as an SAI index whose similarity
    function is the metric's. SQLite has no vector index: its search is an exact scan, and
    the index is not created there.

    Args:
        field: The vector field.
        metric: ``"cosine"``, ``"l2"`` or ``"inner"`` (inner product).
        method: ``"hnsw"`` (options ``m``, ``ef_construction``) or ``"ivfflat"``
            (option ``lists``).
        name: The index name (default ``ix_<table>_<column>``).
    """

    def __init__(self, field: str, *, metric: str = "cosine", method: str = "hnsw", name: str | None = None,
                 **options: int) -> None:
        super().__init__(field, name=name, using=method)
        where = f"VectorIndex({field!r})"
        try:
            object.__setattr__(self, "metric", check_metric(where, metric))
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        known = VECTOR_INDEX_OPTIONS.get(method)
        if known is None:
            raise ConfigurationError(f"{where}: unknown method {method!r}; use 'hnsw' or 'ivfflat'")
        for key, value in options.items():
            if key not in known:
                raise ConfigurationError(f"{where}: {method} takes the options {', '.join(known)}, not {key!r}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{where}: {key} takes a positive int, not {value!r}")
        object.__setattr__(self, "options", tuple(sorted(options.items())))


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
    # The read cache's policy: a Cache, a policy name, True/False, or None for the process-wide default.
    cache: Cache | str | bool | None = None


KNOWN_OPTIONS = (
    "table",
    "database",
    "abstract",
    "indexes",
    "unique_together",
    "keyspace",
    "default_ttl",
    "options",
    "cache",
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
                      default_ttl=inherited.default_ttl, options=dict(inherited.options), cache=inherited.cache)
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
    values["cache"] = check_policy(model_name, values.get("cache"))
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
