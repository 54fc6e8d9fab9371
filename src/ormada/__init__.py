"""ormada: one Pydantic-native object mapper for SQLite, PostgreSQL and Cassandra, sync and async.

The public names load on first use (PEP 562), so that ``import ormada.cli`` and
``ormada --help`` do not pay for pydantic, SQLAlchemy and the backends; ``from ormada
import Model`` loads what it needs at that moment.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ormada import repository, signals
    from ormada._cache_policy import Cache
    from ormada._meta import Index, VectorIndex
    from ormada._registry import configure
    from ormada._transactions import Transaction
    from ormada.backends.base import Statement
    from ormada.backends.cassandra.batch import abatch, batch
    from ormada.backends.cassandra.paging import Page
    from ormada.database import Database, connect, get_database
    from ormada.diagrams import diagram
    from ormada.errors import (
        ConditionFailed,
        ConfigurationError,
        ConnectionFailed,
        CursorError,
        DatabaseError,
        DataError,
        DoesNotExist,
        EmptyPage,
        IntegrityError,
        InvalidPage,
        LockNotAvailable,
        MultipleObjectsReturned,
        NotSupported,
        OrmadaError,
        PageNotAnInteger,
        PermissionDenied,
        QueryError,
        QueryTimeout,
        RelationNotLoaded,
        TransactionError,
    )
    from ormada.fields import (
        BigInt,
        ClusteringKey,
        Column,
        Counter,
        DbType,
        ForeignKey,
        Frozen,
        Indexed,
        Json,
        ManyToMany,
        OneToOne,
        PartitionKey,
        PrimaryKey,
        SmallInt,
        Static,
        Text,
        TimeUUID,
        Unique,
        Vector,
    )
    from ormada.model import DeferredFieldError, Model
    from ormada.pagination import CursorPage, NumberedPage, Paginator, UnorderedPaginationWarning
    from ormada.query.aggregates import Avg, Count, Max, Min, StdDev, Sum, Variance
    from ormada.query.ctes import CTE
    from ormada.query.expressions import F, Q
    from ormada.query.functions import (
        Case,
        Cast,
        Coalesce,
        Concat,
        DenseRank,
        Exists,
        Extract,
        FirstValue,
        Func,
        Greatest,
        Lag,
        Lead,
        Least,
        Length,
        Lower,
        OuterRef,
        Rank,
        RowNumber,
        RowRange,
        Subquery,
        TruncDay,
        TruncHour,
        TruncMonth,
        TruncYear,
        Upper,
        Value,
        ValueRange,
        When,
        Window,
    )
    from ormada.query.queryset import QuerySet
    from ormada.query.state import Prefetch
    from ormada.repository import Repository
    from ormada.views import ModelView

__version__ = "0.1.0"

# Each public name and the module that defines it.
_EXPORTS: dict[str, str] = {
    "Cache": "ormada._cache_policy",
    "Index": "ormada._meta",
    "configure": "ormada._registry",
    "Transaction": "ormada._transactions",
    "Statement": "ormada.backends.base",
    "Database": "ormada.database",
    "connect": "ormada.database",
    "get_database": "ormada.database",
    "diagram": "ormada.diagrams",
    "ConditionFailed": "ormada.errors",
    "ConfigurationError": "ormada.errors",
    "ConnectionFailed": "ormada.errors",
    "DatabaseError": "ormada.errors",
    "DataError": "ormada.errors",
    "DoesNotExist": "ormada.errors",
    "IntegrityError": "ormada.errors",
    "MultipleObjectsReturned": "ormada.errors",
    "NotSupported": "ormada.errors",
    "OrmadaError": "ormada.errors",
    "QueryError": "ormada.errors",
    "QueryTimeout": "ormada.errors",
    "RelationNotLoaded": "ormada.errors",
    "TransactionError": "ormada.errors",
    "BigInt": "ormada.fields",
    "ClusteringKey": "ormada.fields",
    "Column": "ormada.fields",
    "Counter": "ormada.fields",
    "DbType": "ormada.fields",
    "ForeignKey": "ormada.fields",
    "Frozen": "ormada.fields",
    "Indexed": "ormada.fields",
    "Json": "ormada.fields",
    "ManyToMany": "ormada.fields",
    "OneToOne": "ormada.fields",
    "PartitionKey": "ormada.fields",
    "PrimaryKey": "ormada.fields",
    "SmallInt": "ormada.fields",
    "Static": "ormada.fields",
    "Text": "ormada.fields",
    "TimeUUID": "ormada.fields",
    "Unique": "ormada.fields",
    "Vector": "ormada.fields",
    "DeferredFieldError": "ormada.model",
    "Model": "ormada.model",
    "Avg": "ormada.query.aggregates",
    "Count": "ormada.query.aggregates",
    "Max": "ormada.query.aggregates",
    "Min": "ormada.query.aggregates",
    "StdDev": "ormada.query.aggregates",
    "Sum": "ormada.query.aggregates",
    "Variance": "ormada.query.aggregates",
    "F": "ormada.query.expressions",
    "Q": "ormada.query.expressions",
    "QuerySet": "ormada.query.queryset",
    "Prefetch": "ormada.query.state",
    "ModelView": "ormada.views",
    # Cassandra's batches and pages need cassandra-driver, an optional extra: load on first use.
    "Page": "ormada.backends.cassandra",
    "abatch": "ormada.backends.cassandra",
    "batch": "ormada.backends.cassandra",
    "CursorError": "ormada.errors",
    "EmptyPage": "ormada.errors",
    "InvalidPage": "ormada.errors",
    "PageNotAnInteger": "ormada.errors",
    "CursorPage": "ormada.pagination",
    "NumberedPage": "ormada.pagination",
    "Paginator": "ormada.pagination",
    "UnorderedPaginationWarning": "ormada.pagination",
    "LockNotAvailable": "ormada.errors",
    "PermissionDenied": "ormada.errors",
    "CTE": "ormada.query.ctes",
    "VectorIndex": "ormada._meta",
    "Case": "ormada.query.functions",
    "Cast": "ormada.query.functions",
    "Coalesce": "ormada.query.functions",
    "Concat": "ormada.query.functions",
    "DenseRank": "ormada.query.functions",
    "Exists": "ormada.query.functions",
    "FirstValue": "ormada.query.functions",
    "Func": "ormada.query.functions",
    "Greatest": "ormada.query.functions",
    "Lag": "ormada.query.functions",
    "Lead": "ormada.query.functions",
    "Least": "ormada.query.functions",
    "Length": "ormada.query.functions",
    "Lower": "ormada.query.functions",
    "OuterRef": "ormada.query.functions",
    "Rank": "ormada.query.functions",
    "RowNumber": "ormada.query.functions",
    "RowRange": "ormada.query.functions",
    "Subquery": "ormada.query.functions",
    "Upper": "ormada.query.functions",
    "Value": "ormada.query.functions",
    "ValueRange": "ormada.query.functions",
    "When": "ormada.query.functions",
    "Window": "ormada.query.functions",
    "Extract": "ormada.query.functions",
    "TruncYear": "ormada.query.functions",
    "TruncMonth": "ormada.query.functions",
    "TruncDay": "ormada.query.functions",
    "TruncHour": "ormada.query.functions",
    "Repository": "ormada.repository",
}


# Public submodules reached as attributes (``ormada.signals.post_save``) without importing them.
_SUBMODULES = frozenset({"signals", "repository"})


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"ormada.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ormada' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})


__all__ = [
    "Repository",
    "repository",
    "signals",
    "TruncDay",
    "TruncHour",
    "TruncMonth",
    "TruncYear",
    "Extract",
    "Window",
    "When",
    "ValueRange",
    "Value",
    "Upper",
    "Subquery",
    "RowRange",
    "RowNumber",
    "Rank",
    "OuterRef",
    "Lower",
    "Length",
    "Least",
    "Lead",
    "Lag",
    "Greatest",
    "Func",
    "FirstValue",
    "Exists",
    "DenseRank",
    "Concat",
    "Coalesce",
    "Cast",
    "Case",
    "VectorIndex",
    "CTE",
    "LockNotAvailable",
    "PermissionDenied",
    "UnorderedPaginationWarning",
    "Paginator",
    "NumberedPage",
    "CursorPage",
    "PageNotAnInteger",
    "InvalidPage",
    "EmptyPage",
    "CursorError",
    "Variance",
    "Sum",
    "StdDev",
    "Min",
    "Max",
    "Count",
    "Avg",
    "BigInt",
    "Cache",
    "ClusteringKey",
    "Column",
    "ConditionFailed",
    "ConfigurationError",
    "ConnectionFailed",
    "Counter",
    "DataError",
    "Database",
    "DatabaseError",
    "DbType",
    "DeferredFieldError",
    "DoesNotExist",
    "F",
    "ForeignKey",
    "Frozen",
    "Index",
    "IntegrityError",
    "Indexed",
    "Json",
    "ManyToMany",
    "Model",
    "ModelView",
    "MultipleObjectsReturned",
    "NotSupported",
    "OrmadaError",
    "Page",
    "OneToOne",
    "PartitionKey",
    "Prefetch",
    "PrimaryKey",
    "Q",
    "QueryError",
    "QueryTimeout",
    "RelationNotLoaded",
    "QuerySet",
    "SmallInt",
    "Statement",
    "Static",
    "Text",
    "TimeUUID",
    "Transaction",
    "TransactionError",
    "Unique",
    "Vector",
    "configure",
    "connect",
    "diagram",
    "get_database",
    "__version__",
    "abatch",
    "batch",
]
