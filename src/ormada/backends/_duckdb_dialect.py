"""A SQLAlchemy dialect for DuckDB, compile-only: PostgreSQL's SQL with DuckDB's differences.

DuckDB reads PostgreSQL's dialect of SQL (``ON CONFLICT``, ``RETURNING``, ``ILIKE``,
``::`` casts), so this dialect is PostgreSQL's compiler with ``?`` placeholders (what
the ``duckdb`` module binds) and a name of its own, so that no PostgreSQL-only type
variant (JSONB, INET, INTERVAL) applies. Where DuckDB's DDL differs:

- no identity columns and no ``SERIAL``: a generated key takes ``nextval()`` of a
  sequence of its own (:func:`sequence_name`), which the backend creates with the table;
- no ``ON DELETE``/``ON UPDATE`` actions on foreign keys (DuckDB refuses CASCADE, SET
  NULL and SET DEFAULT): the keys are created without them, so deleting a referenced
  row is refused rather than cascaded;
- a ``DECIMAL`` without precision would be DuckDB's ``DECIMAL(18, 3)``, which rounds
  to three places: it is ``DECIMAL(38, 18)`` (:data:`DEFAULT_DECIMAL`), and values that
  do not fit are refused by the backend's encoder.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import duckdb
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.base import (
    RESERVED_WORDS,
    PGDDLCompiler,
    PGDialect,
    PGIdentifierPreparer,
    PGTypeCompiler,
)

# DuckDB's DECIMAL holds at most 38 digits; ormada's unbounded Decimal gets 20 before the
# point and 18 after it.
MAX_DECIMAL_DIGITS = 38
DEFAULT_DECIMAL = (38, 18)


def sequence_name(table: str, column: str) -> str:
    """The sequence a generated key column draws from."""
    return f"{table}_{column}_seq"


@cache
def keywords() -> frozenset[str]:
    """The words DuckDB's parser does not take as a bare name (``at``, ``qualify``,
    ``pivot``…), as the installed version lists them, and PostgreSQL's reserved words."""
    with duckdb.connect() as probe:
        rows = probe.execute("SELECT keyword_name FROM duckdb_keywords() "
                             "WHERE keyword_category <> 'unreserved'").fetchall()
    return frozenset(RESERVED_WORDS | {name for (name,) in rows})


class DuckdbIdentifierPreparer(PGIdentifierPreparer):
    """Quotes DuckDB's keywords as well as PostgreSQL's."""

    def __init__(self, dialect: sa.Dialect, **kwargs: Any) -> None:
        super().__init__(dialect, **kwargs)
        self.reserved_words = set(keywords())


class DuckdbTypeCompiler(PGTypeCompiler):
    """PostgreSQL's type names, with a bounded default DECIMAL."""

    def visit_NUMERIC(self, type_: Any, **kw: Any) -> str:
        if type_.precision is None:
            return "DECIMAL({}, {})".format(*DEFAULT_DECIMAL)
        return super().visit_NUMERIC(type_, **kw)


class DuckdbDDLCompiler(PGDDLCompiler):
    """PostgreSQL's DDL, with sequences for generated keys and no foreign-key actions."""

    def get_column_specification(self, column: sa.Column[Any], **kwargs: Any) -> str:
        if column.identity is None:
            return super().get_column_specification(column, **kwargs)  # type: ignore[no-untyped-call, no-any-return]
        kind = self.dialect.type_compiler_instance.process(column.type, type_expression=column,
                                                           identifier_preparer=self.preparer)
        sequence = sequence_name(column.table.name, column.name).replace("'", "''")
        return f"{self.preparer.format_column(column)} {kind} DEFAULT nextval('{sequence}') NOT NULL"

    def define_constraint_cascades(self, constraint: Any) -> str:
        return ""


class DuckdbDialect(PGDialect):
    """Compiles for DuckDB; never connects (the backend runs the text on the duckdb module)."""

    name = "duckdb"
    driver = "duckdb"
    default_paramstyle = "qmark"
    supports_statement_cache = True
    supports_identity_columns = False
    supports_native_enum = False
    ddl_compiler = DuckdbDDLCompiler
    preparer = DuckdbIdentifierPreparer  # type: ignore[assignment]
    type_compiler_cls = DuckdbTypeCompiler
