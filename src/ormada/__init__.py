"""ormada: one Pydantic-native object mapper for SQLite, PostgreSQL and Cassandra, sync and async."""

from ormada._meta import Index
from ormada._registry import configure
from ormada._transactions import Transaction
from ormada.backends.base import Statement
from ormada.database import Database, connect, get_database
from ormada.errors import (
    ConditionFailed,
    ConfigurationError,
    ConnectionFailed,
    DatabaseError,
    DataError,
    DoesNotExist,
    IntegrityError,
    MultipleObjectsReturned,
    NotSupported,
    OrmadaError,
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
from ormada.query.aggregates import Avg, Count, Max, Min, StdDev, Sum, Variance
from ormada.query.expressions import F, Q
from ormada.query.functions import (
    Case,
    Cast,
    Coalesce,
    Concat,
    DenseRank,
    Exists,
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
    Upper,
    Value,
    ValueRange,
    When,
    Window,
)
from ormada.query.queryset import QuerySet
from ormada.query.state import Prefetch
from ormada.views import ModelView

__version__ = "0.1.0"

# Cassandra's batches and pages need cassandra-driver, an optional extra: load on first use.
_CASSANDRA_EXPORTS = ("Page", "abatch", "batch")


def __getattr__(name: str) -> object:
    if name in _CASSANDRA_EXPORTS:
        from ormada.backends import cassandra

        return getattr(cassandra, name)
    raise AttributeError(f"module 'ormada' has no attribute {name!r}")


__all__ = [
    "Case",
    "Cast",
    "Coalesce",
    "Concat",
    "Exists",
    "Func",
    "Greatest",
    "Least",
    "Length",
    "Lower",
    "OuterRef",
    "Subquery",
    "Upper",
    "Value",
    "When",
    "DenseRank",
    "FirstValue",
    "Lag",
    "Lead",
    "Rank",
    "RowNumber",
    "RowRange",
    "ValueRange",
    "Window",
    "Variance",
    "Sum",
    "StdDev",
    "Min",
    "Max",
    "Count",
    "Avg",
    "BigInt",
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
    "get_database",
    "__version__",
    "abatch",
    "batch",
]
