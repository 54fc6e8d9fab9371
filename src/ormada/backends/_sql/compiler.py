"""Compiling ``QueryState`` into SQL text through SQLAlchemy Core, once per query shape.

A query is first flattened into its *shape* (fields, lookups, arity; hashable, no
values) and its values (encoded for the driver). The shape is the cache key: on a
miss it is built into a SQLAlchemy construct whose bind parameters are named
``p0, p1, …`` in flattening order and compiled by the dialect; the compiled text is
kept with the permutation from flattening order to the driver's positional order.
A repeated query therefore costs one flattening walk and a dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ormada.backends._sql.aggregates import AnnotationCompiler
from ormada.backends._sql.combining import CombiningCompiler, first_part
from ormada.backends._sql.ctes import CteCompiler
from ormada.backends._sql.tables import build_table
from ormada.backends._sql.where import Binds, DialectHooks, Scope, column_key
from ormada.backends.base import Compiled, KeyedSelect, Statement
from ormada.errors import NotSupported, QueryError
from ormada.query.expressions import Combined, F, Junction, Lookup
from ormada.query.shape import QueryShape
from ormada.query.state import Join, QueryState
from ormada.query.typed import Resolved

if TYPE_CHECKING:
    from ormada._info import ModelInfo
    from ormada.schema import ColumnSchema

CACHE_SIZE = 2048




Position = int | tuple[Any]  # an index into the flattened values, or (constant,)


def _position(compiled: Any, name: str) -> Position:
    """Where a placeholder's value comes from: our ``pN`` parameters index the
    flattened values; parameters the dialect adds itself (SQLite's ``OFFSET 0``)
    carry their constant."""
    if name.startswith("p") and name[1:].isdigit():
        return int(name[1:])
    return (compiled.binds[name].value,)


def _ordered(values: Sequence[Any], order: tuple[Position, ...]) -> Sequence[Any]:
    if not order:  # the placeholders follow the flattening order already (see _compiled)
        return values
    return [values[i] if isinstance(i, int) else i[0] for i in order]


def _column_encoder(encode: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    """A column's encoder applied to all its values in a bulk write; a codec may bring a
    faster whole-column version of its own (``encode_column``)."""
    own: Callable[[list[Any]], list[Any]] | None = getattr(encode, "encode_column", None)
    if own is not None:
        return own
    return lambda values: [v if v is None else encode(v) for v in values]


def _repeated_row(one: tuple[str, tuple[Position, ...]], width: int,
                  n_rows: int) -> tuple[str, tuple[Position, ...]] | None:
    """The ``n_rows``-row form of a one-row ``INSERT … VALUES (?, …)`` compiled with its
    parameters in order, or None when the text is not that simple (SQLAlchemy compiles it)."""
    text, order = one
    group = "(" + ", ".join("?" * width) + ")"
    if order or text.count("?") != width or text.count(f"VALUES {group}") != 1:
        return None
    return text.replace(f"VALUES {group}", "VALUES " + ", ".join([group] * n_rows)), ()


def _joined_column(joins: tuple[Join, ...], field: str) -> ColumnSchema:
    """The column a path (``author__name``) reads, named by the path (as the rows' keys are)."""
    key = column_key(joins, field)
    assert isinstance(key, tuple), field  # the QuerySet made a join for every path it reads
    target: ModelInfo = joins[key[0]].target
    return replace(target.table.by_name[key[1]], name=field)


def _inner(shape: QueryShape, columns: tuple[str, ...], *, ordered: bool = False,
           distinct: bool = False) -> QueryShape:
    """The shape of the inner SELECT that counts, existence probes and narrowed writes
    read: ``columns`` (keys, mostly) under the same filters, joins and window."""
    nearest = shape.nearest if shape.nearest is None or not shape.nearest[2] else (*shape.nearest[:2], False)
    return shape._replace(columns=columns, order=shape.order if ordered else (), distinct=distinct,
                          nearest=nearest)


class Windowed:
    """The rows of a query computing window annotations, as the filter around it reads them:
    an annotation by its name (``named``); no other column."""

    def __init__(self, rows: sa.Subquery, labels: dict[str, Any]) -> None:
        self.rows, self.labels = rows, labels

    def named(self, name: str) -> Any:
        return self.rows.c[self.labels[name].name]

    @property
    def c(self) -> Any:
        raise QueryError("a filter on a window's result compares it with values only; "
                         "annotate what it is compared with and compare in another filter()")


def _with(shape: QueryShape) -> bool:
    """Whether a statement has CTEs, reads from one or joins one: it then reads through
    the full SELECT, never straight from the model's table."""
    return bool(shape.ctes or shape.source is not None or shape.cte_joins)


class SqlCompiler(CteCompiler, AnnotationCompiler, CombiningCompiler):
    """Compiles and caches statements for one SQL backend and dialect."""

    def __init__(self, backend: DialectHooks, dialect: sa.Dialect) -> None:
        self.backend = backend
        self.dialect = dialect
        self._cache: dict[QueryShape, tuple[str, tuple[Position, ...]]] = {}
        self._raw: dict[str, tuple[str, tuple[int, ...], tuple[str, ...]]] = {}
        self._tables: dict[ModelInfo, sa.Table] = {}
        self._row_encoders: dict[tuple[ModelInfo, tuple[str, ...]], tuple[tuple[int, Any], ...]] = {}
        self._keyed: dict[tuple[ModelInfo, tuple[str, ...]], KeyedSelect | None] = {}

    # -- tables ----------------------------------------------------------
    def table(self, info: ModelInfo) -> sa.Table:
        """The SQLAlchemy table of a model (built on first use).

        Each model has its own, in a metadata of its own: two models may map one table
        with different columns (a narrow projection and the full model), and a query on
        one must not depend on which tables other queries touched first.
        """
        table = self._tables.get(info)
        if table is None:
            table = self._tables[info] = build_table(info.table, sa.MetaData())
        return table

    # -- the cache -------------------------------------------------------
    def _compiled(self, key: QueryShape, build: Callable[[Binds], Any]) -> tuple[str, tuple[Position, ...]]:
        entry = self._cache.get(key)
        if entry is None:
            construct = build(Binds())
            # As for executemany, so the dialect never pre-executes a key default
            # or adds RETURNING of its own: ormada asks for what it needs.
            compiled = construct.compile(dialect=self.dialect, for_executemany=True)
            names = compiled.positiontup or ()
            order = tuple(_position(compiled, name) for name in names)
            # An identity order is stored empty, so long parameter lists are not copied.
            entry = (str(compiled), () if order == tuple(range(len(order))) else order)
            if len(self._cache) >= CACHE_SIZE:
                del self._cache[next(iter(self._cache))]
            self._cache[key] = entry
        return entry

    def _statement(self, key: QueryShape, build: Callable[[Binds], Any], values: Sequence[Any],
                   fetch: Any = "rows") -> Statement:
        text, order = self._compiled(key, build)
        return Statement(text, _ordered(values, order), fetch)

    def _select_construct(self, info: ModelInfo, shape: QueryShape, binds: Binds) -> sa.Select[Any]:
        """The SELECT a shape describes; counts, existence probes and key sub-selects pass
        a shape of their own (``shape._replace(...)``)."""
        ctes = self.build_ctes(shape, binds) if shape.ctes else ()  # first: their values come first
        table: Any = (binds.own_table(self.table(info)) if shape.source is None
                      else self.cte_source(info, shape, binds))
        joins = shape.joins
        scope: Any = self._scope(table, joins, binds.join_prefix) if joins else table
        # Annotations are built first (their filters' values come first) and read last.
        labels = self.annotation_columns(scope, shape, binds) if shape.annotations else {}
        by_name = info.table.by_name
        # Neither annotations nor the distance of nearest() (a name with no "__" and no field)
        # are columns; a CTE's extra columns (depth) are.
        query = sa.select(*(scope.c[column_key(joins, name)] for name in shape.columns or info.field_names
                            if name not in labels and (shape.nearest is None or name in by_name or "__" in name)))
        # Named, so that a SELECT of annotations alone (values_list("total")) reads the table too.
        query = self._joined(query, scope, joins) if joins else query.select_from(table)
        if shape.where is not None:
            query = query.where(self.build_where(scope, shape.where, binds))
        if shape.cte_joins:
            query = query.where(self.cte_join_condition(scope, shape, binds))
        if labels:  # after WHERE: HAVING's values come after the filters'
            query = self.grouped(info, query, scope, shape, labels, binds)
        if shape.distinct:
            query = query.distinct()
        if shape.distinct_on:
            query = self.distinct_on(query, scope, shape)
        if shape.nearest is not None:  # after HAVING: the vector's value comes after the filters'
            query = self._nearest_first(info, query, scope, shape, binds)
        if shape.qualify is not None:
            qualified = self._qualified(query, scope, shape, labels, binds)
            return qualified.add_cte(*ctes) if ctes else qualified
        for item in shape.order:
            column = (self.order_key(scope, shape, labels, item.field, binds) if item.field in labels
                      else scope.c[column_key(joins, item.field)])
            query = query.order_by(column.desc() if item.descending else column.asc())
        if shape.limited:
            query = query.limit(binds(sa.Integer()))
        if shape.offset:
            query = query.offset(binds(sa.Integer()))
        if shape.lock is not None and shape.kind == "select":
            query = self.locked(query, scope, shape, info.name)
        return query.add_cte(*ctes) if ctes else query

    def _nearest_first(self, info: ModelInfo, query: sa.Select[Any], scope: Any, shape: QueryShape,
                       binds: Binds) -> sa.Select[Any]:
        """``query`` over the rows that have a vector, ordered by their distance to the bound
        vector first; where the distance is read, it is the last column and the ORDER BY
        names its label."""
        assert shape.nearest is not None
        field, metric, read = shape.nearest
        if shape.annotations:
            raise QueryError(f"{info.name}: nearest() cannot be combined with annotate()")
        column = scope.c[column_key(shape.joins, field)]
        distance = self.backend.vector_distance(info, field, column, metric, binds)
        # Rows without a vector are not searched (nor on Cassandra); a zero vector has no cosine
        # distance (NULL on SQLite, NaN on PostgreSQL): last on both.
        query = query.where(column.is_not(None))
        if not read:
            return query.order_by(distance.asc().nulls_last())
        label = distance.label("ormada_distance")
        return query.add_columns(label).order_by(label.asc().nulls_last())

    def _qualified(self, query: sa.Select[Any], scope: Any, shape: QueryShape, labels: dict[str, Any],
                   binds: Binds) -> sa.Select[Any]:
        """The SELECT around ``query`` that filters its window annotations (SQL computes windows
        after WHERE), then orders and slices; the ordering fields are read inside as extra columns."""
        width = len(query.selected_columns)
        keys = {}
        for i, item in enumerate(shape.order):
            if item.field not in labels:
                keys[item.field] = f"ormada_o{i}"
                query = query.add_columns(scope.c[column_key(shape.joins, item.field)].label(keys[item.field]))
        rows = query.subquery("ormada_w")
        windowed: Any = Windowed(rows, labels)
        outer = sa.select(*list(rows.c)[:width]).where(self.build_where(windowed, shape.qualify, binds))
        for item in shape.order:
            column = rows.c[labels[item.field].name if item.field in labels else keys[item.field]]
            outer = outer.order_by(column.desc() if item.descending else column.asc())
        if shape.limited:
            outer = outer.limit(binds(sa.Integer()))
        if shape.offset:
            outer = outer.offset(binds(sa.Integer()))
        return outer

    def _scope(self, table: sa.FromClause, joins: tuple[Join, ...], prefix: str = "j") -> Scope:
        """The queried table and each join's table under an alias of its own (a model
        joined twice, or to itself, stays apart)."""
        return Scope(table, [self.table(join.target).alias(f"{prefix}{i}") for i, join in enumerate(joins)], joins)

    @staticmethod
    def _joined(query: sa.Select[Any], scope: Scope, joins: tuple[Join, ...]) -> sa.Select[Any]:
        """``query`` reading from the joins, with the columns of ``select_related`` ones
        after the queried model's."""
        source: sa.FromClause = scope.table
        for i, join in enumerate(joins):
            joined = scope.aliases[i]
            parent = scope.table if join.parent < 0 else scope.aliases[join.parent]
            on = parent.c[join.on_parent] == joined.c[join.on_target]
            source = source.outerjoin(joined, on) if join.outer else source.join(joined, on)
            if join.select:
                query = query.add_columns(*(joined.c[name] for name in join.target.field_names))
        return query.select_from(source)

    # -- reads -------------------------------------------------------------
    def _select_compiled(self, info: ModelInfo, state: QueryState,
                         values: list[Any]) -> tuple[str, tuple[Position, ...], tuple[str, ...]]:
        """The compiled text and parameter order of a read, and the columns it reads;
        its values are appended to ``values``."""
        shape = self._read_shape("select", info, state, values)
        text, order = self._compiled(shape, lambda binds: self._select_construct(info, shape, binds))
        columns = state.columns or info.field_names
        if state.annotations or state.nearest:
            names = {spec.name for spec in state.annotations}
            if state.nearest is not None:
                names.add(state.nearest.distance or "")
            columns = tuple(name for name in columns if name not in names)
        return text, order, columns

    def select(self, info: ModelInfo, state: QueryState) -> Compiled:
        if state.combined is not None:
            statement, names = self.combined_select(info, state)
            leaf_info, leaf = first_part(info, state)
            table = leaf_info.table.by_name
            return Compiled(statement, tuple(table[n] if n in table else _joined_column(leaf.joins, n) for n in names))
        if state.source is not None:
            return self.cte_select(info, state)
        values: list[Any] = []
        text, order, columns = self._select_compiled(info, state, values)
        table = info.table.by_name
        extra = self.backend.supports.extra
        decoders = tuple(self.annotation_decoder(spec, extra) for spec in state.annotations)
        if state.nearest is not None and state.nearest.distance is not None:
            decoders += (self.backend.distance_decoder(),)
        return Compiled(Statement(text, _ordered(values, order)),
                        tuple(table[name] if name in table else _joined_column(state.joins, name) for name in columns),
                        decoders)

    def keyed_select(self, info: ModelInfo, fields: tuple[str, ...]) -> KeyedSelect | None:
        """The plan of ``select`` for ``filter(f1=…, f2=…)`` with limit 2 on whole rows,
        with each field's encoder looked up once."""
        key = (info, fields)
        try:
            return self._keyed[key]
        except KeyError:
            pass
        plan = None
        if fields and all(name in info.table.by_name for name in fields):
            lookups = tuple(Lookup(name, "exact", None) for name in fields)  # values come per call
            # Two rows are enough to tell "one" from "more than one".
            state = QueryState(where=lookups[0] if len(lookups) == 1 else Junction("and", lookups), limit=2)
            values: list[Any] = []
            text, order, columns = self._select_compiled(info, state, values)
            # The parameters as a template holding the constants (the limit, any the dialect
            # adds), and where each field's value goes: the fields come first in flattening order.
            template = list(_ordered(values, order))
            slots = tuple((target, source, self.backend.column_encoder(info, fields[source]))
                          for target, source in enumerate(order or range(len(values)))
                          if isinstance(source, int) and source < len(fields))

            def params(values: Sequence[Any]) -> Sequence[Any]:
                out = template.copy()
                for target, source, encode in slots:
                    value = values[source]
                    out[target] = value if encode is None else encode(value)
                return out

            if len(slots) == 1:  # get(pk=…): the common case, without the loop
                at, source, encode = slots[0]
                head, tail = tuple(template[:at]), tuple(template[at + 1:])

                def params(values: Sequence[Any]) -> Sequence[Any]:
                    value = values[source]
                    return [*head, value if encode is None else encode(value), *tail]

            table = info.table.by_name
            plan = KeyedSelect(text, params, tuple(table[name] for name in columns), set(fields) == set(info.pk))
        if len(self._keyed) >= CACHE_SIZE:
            del self._keyed[next(iter(self._keyed))]
        self._keyed[key] = plan
        return plan

    def count(self, info: ModelInfo, state: QueryState) -> Statement:
        if state.combined is not None:
            return self.combined_count(info, state)
        values: list[Any] = []
        shape = self._read_shape("count", info, state, values)

        def build(binds: Binds) -> Any:
            if shape.distinct or shape.limited or shape.offset or shape.joins or shape.annotations or \
                    shape.distinct_on or _with(shape):
                columns = shape.columns or info.field_names
                # One row per group: a key column of each (grouped fields, or the primary key).
                keys = _inner(shape, columns if shape.distinct else shape.group_by or info.pk or columns,
                              distinct=shape.distinct)
                return sa.select(sa.func.count()).select_from(self._select_construct(info, keys, binds).subquery())
            table = self.table(info)
            query = sa.select(sa.func.count()).select_from(table)
            return query.where(self.build_where(table, shape.where, binds)) if shape.where is not None else query

        return self._statement(shape, build, values)

    def exists(self, info: ModelInfo, state: QueryState) -> Statement:
        if state.combined is not None:
            return self.combined_exists(info, state)
        values: list[Any] = []
        shape = self._read_shape("exists", info, state, values)

        def build(binds: Binds) -> Any:
            one: Any = sa.literal_column("1")
            inner = self._select_construct(info, _inner(shape, shape.group_by or info.pk or info.field_names[:1]),
                                           binds)
            # Annotations' values stay bound in the sub-select (with_only_columns would drop them).
            if not (shape.limited or shape.offset or shape.joins or shape.annotations or _with(shape)):
                return inner.with_only_columns(one).select_from(self.table(info)).limit(one)
            return sa.select(one).select_from(inner.subquery()).limit(one)

        return self._statement(shape, build, values)

    # -- writes ------------------------------------------------------------
    def _narrowed(self, info: ModelInfo, shape: QueryShape, binds: Binds) -> Any:
        """The WHERE of an UPDATE/DELETE; a window (limit/offset) becomes a key sub-select."""
        table = self.table(info)
        if not (shape.limited or shape.offset or shape.order or shape.joins):
            return None if shape.where is None else self.build_where(table, shape.where, binds)
        if not info.pk:
            raise NotSupported(f"{info.name} has no primary key, so update()/delete() cannot take a slice "
                               "or filter across relations")
        # A slice, or a filter across relations, picks the keys in a sub-select.
        inner = self._select_construct(info, _inner(shape, info.pk, ordered=True), binds)
        keys = sa.tuple_(*(table.c[name] for name in info.pk)) if len(info.pk) > 1 else table.c[info.pk[0]]
        return keys.in_(inner.subquery().select())

    def update(self, info: ModelInfo, state: QueryState, assignments: dict[str, Any]) -> Statement:
        values: list[Any] = []
        sets: list[tuple[str, Any]] = []
        for name, value in assignments.items():
            if isinstance(value, (F, Combined)):
                sets.append((name, self.flatten_expression(info, name, value, values)))
            elif isinstance(value, Resolved):
                sets.append((name, ("X", self.flatten_expression_tree(info, value, values, ()))))
            else:
                values.append(self._encode(info, name, value))
                sets.append((name, ("V",)))
        shape = self._read_shape("update", info, state, values, write=tuple(sets))

        def build(binds: Binds) -> Any:
            table = self.table(info)
            query = sa.update(table).values({
                table.c[name]: (binds(table.c[name].type) if expression == ("V",)
                                else self.build_expression_tree(table, expression[1], binds) if expression[0] == "X"
                                else self.build_expression(table, expression, binds)) for name, expression in sets})
            clause = self._narrowed(info, shape, binds)
            return query.where(clause) if clause is not None else query

        return self._statement(shape, build, values, "rowcount")

    def delete(self, info: ModelInfo, state: QueryState) -> Statement:
        values: list[Any] = []
        shape = self._read_shape("delete", info, state, values)

        def build(binds: Binds) -> Any:
            query = sa.delete(self.table(info))
            clause = self._narrowed(info, shape, binds)
            return query.where(clause) if clause is not None else query

        return self._statement(shape, build, values, "rowcount")

    def _encoded_rows(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[Any]:
        key = (info, columns)
        encoders = self._row_encoders.get(key)
        if encoders is None:
            if len(self._row_encoders) >= CACHE_SIZE:
                self._row_encoders.clear()
            encoders = self._row_encoders[key] = tuple(
                (j, _column_encoder(encode)) for j, name in enumerate(columns)
                if (encode := self.backend.column_encoder(info, name)) is not None)
        width = len(columns)
        values: list[Any] = [v for row in rows for v in row]
        # One column at a time, touching only the columns that need it, as a slice: an
        # encoder may then check a whole column in one pass (IntRangeCheck.encode_column).
        for j, encode_column in encoders:
            values[j::width] = encode_column(values[j::width])
        return values

    def _insert_values(self, info: ModelInfo, columns: tuple[str, ...], n_rows: int, binds: Binds) -> Any:
        table = self.table(info)
        rows = [{name: binds(table.c[name].type) for name in columns} for _ in range(n_rows)]
        return rows[0] if n_rows == 1 else rows

    def _insert_compiled(self, info: ModelInfo, columns: tuple[str, ...], n_rows: int, returning: tuple[str, ...],
                         skip_existing: bool) -> tuple[str, tuple[Position, ...]]:
        key = QueryShape("insert", info, columns=columns, write=(n_rows, returning, skip_existing))
        if n_rows > 1 and columns and self.dialect.paramstyle == "qmark" and key not in self._cache:
            # SQLAlchemy compiles an n-row VALUES list in time growing with n (1,000 rows of
            # 31 columns: 0.56 s on first use); with ``?`` markers the one-row text says it all.
            one = self._insert_compiled(info, columns, 1, returning, skip_existing)
            many = _repeated_row(one, len(columns), n_rows)
            if many is not None:
                if len(self._cache) >= CACHE_SIZE:
                    del self._cache[next(iter(self._cache))]
                self._cache[key] = many

        def build(binds: Binds) -> Any:
            table = self.table(info)
            query = self.backend.insert_skipping(table) if skip_existing else sa.insert(table)
            if columns:
                query = query.values(self._insert_values(info, columns, n_rows, binds))
            elif n_rows != 1:
                raise QueryError(f"{info.name}: rows with no values are inserted one at a time")
            else:
                query = query.values({})  # INSERT … DEFAULT VALUES
            return query.returning(*(table.c[n] for n in returning)) if returning else query

        return self._compiled(key, build)

    def insert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               returning: tuple[str, ...] = (), skip_existing: bool = False) -> Statement:
        values = self._encoded_rows(info, columns, rows)
        text, order = self._insert_compiled(info, columns, len(rows), returning, skip_existing)
        return Statement(text, _ordered(values, order), "rows" if returning else "rowcount")

    def insert_each(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                    returning: tuple[str, ...]) -> Statement:
        """Many rows as one single-row INSERT executed once per row (``many``), for drivers
        that pipeline it; with ``returning``, the rows come back in the order sent."""
        width = len(columns)
        flat = self._encoded_rows(info, columns, rows)
        text, order = self._insert_compiled(info, columns, 1, returning, False)
        params = [_ordered(flat[k:k + width], order) for k in range(0, len(flat), width)]
        return Statement(text, params, "rows" if returning else "rowcount", many=True)

    def insert_columns(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                       returning: tuple[str, ...], array_type: Callable[[Any], Any]) -> Statement:
        """Many rows as one array parameter per column (``INSERT … SELECT … FROM unnest(…)``):
        one short statement whatever the row count, prepared once, cheap for the server to
        parse. Rows come back from RETURNING in the order of the arrays."""
        width = len(columns)
        flat = self._encoded_rows(info, columns, rows)
        values = [flat[j::width] for j in range(width)]
        key = QueryShape("insert_columns", info, columns=columns, write=returning)

        def build(binds: Binds) -> Any:
            table = self.table(info)
            arrays = sa.func.unnest(*(binds(array_type(table.c[c].type)) for c in columns)).table_valued(
                *columns).render_derived(name="v")
            query = sa.insert(table).from_select(list(columns), sa.select(*(arrays.c[c] for c in columns)))
            return query.returning(*(table.c[n] for n in returning)) if returning else query

        return self._statement(key, build, values, "rows" if returning else "rowcount")

    def insert_lists(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                     returning: tuple[str, ...], array_type: Callable[[Any], Any]) -> Statement:
        """Many rows as one list parameter per column, each unnested in the SELECT list
        (``INSERT … SELECT unnest(CAST(? AS T[])), …``), for databases whose unnest takes one
        list (DuckDB); rows come back from RETURNING in the order of the lists."""
        width = len(columns)
        flat = self._encoded_rows(info, columns, rows)
        values = [flat[j::width] for j in range(width)]
        key = QueryShape("insert_lists", info, columns=columns, write=returning)

        def build(binds: Binds) -> Any:
            table = self.table(info)
            items = [sa.func.unnest(sa.cast(binds(), array_type(table.c[c].type))) for c in columns]
            query = sa.insert(table).from_select(list(columns), sa.select(*items))
            return query.returning(*(table.c[n] for n in returning)) if returning else query

        return self._statement(key, build, values, "rows" if returning else "rowcount")

    def upsert(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               conflict: tuple[str, ...], update: tuple[str, ...], returning: tuple[str, ...] = ()) -> Statement:
        values = self._encoded_rows(info, columns, rows)
        key = QueryShape("upsert", info, columns=columns, write=(len(rows), conflict, update, returning))

        def build(binds: Binds) -> Any:
            table = self.table(info)
            # A no-op update where none is asked for, so RETURNING yields every row.
            query = self.backend.insert_updating(table, self._insert_values(info, columns, len(rows), binds),
                                                 conflict, update or conflict[:1])
            return query.returning(*(table.c[n] for n in returning)) if returning else query

        return self._statement(key, build, values, "rows" if returning else "rowcount")

    def update_rows(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> Statement:
        names = (*columns, *info.pk)
        key = QueryShape("update_rows", info, columns=columns)

        def build(binds: Binds) -> Any:
            table = self.table(info)
            sets = {table.c[name]: binds(table.c[name].type) for name in columns}
            where = sa.and_(*(table.c[name] == binds(table.c[name].type) for name in info.pk))
            return sa.update(table).values(sets).where(where)

        text, order = self._compiled(key, build)
        params = []
        for row in rows:
            flat = self._encoded_rows(info, names, (row,))
            params.append(_ordered(flat, order))
        return Statement(text, params, "rowcount", many=True)

    def update_lists(self, info: ModelInfo, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
                     array_type: Callable[[Any], Any]) -> Statement:
        """:meth:`update_rows` as one statement: the new values and the keys as one list
        per column, unnested into a derived table the UPDATE joins on the primary key."""
        names = (*columns, *info.pk)
        width = len(names)
        flat = self._encoded_rows(info, names, rows)
        values = [flat[j::width] for j in range(width)]
        key = QueryShape("update_lists", info, columns=columns)

        def build(binds: Binds) -> Any:
            table = self.table(info)
            source = sa.select(*(sa.func.unnest(sa.cast(binds(), array_type(table.c[name].type))).label(f"v{i}")
                                 for i, name in enumerate(names))).subquery("v")
            sets = {table.c[name]: source.c[f"v{i}"] for i, name in enumerate(columns)}
            where = sa.and_(*(table.c[name] == source.c[f"v{len(columns) + i}"] for i, name in enumerate(info.pk)))
            return sa.update(table).values(sets).where(where)

        return self._statement(key, build, values, "rowcount")

    # -- raw SQL ---------------------------------------------------------------
    def raw(self, text: str, params: Sequence[Any] | dict[str, Any] | None) -> Statement:
        """Raw SQL with named parameters (``:name``), its text compiled once by the dialect
        (raw text has no query shape, so it is cached by the text itself)."""
        if params is not None and not isinstance(params, dict):
            raise QueryError("raw SQL takes named parameters: execute('... WHERE id = :id', {'id': 1})")
        entry = self._raw.get(text)
        if entry is None:
            compiled = sa.text(text).compile(dialect=self.dialect)
            positions = tuple(compiled.positiontup or ())
            names: dict[str, int] = {}
            for name in positions:
                names.setdefault(name, len(names))
            if len(self._raw) >= CACHE_SIZE:
                del self._raw[next(iter(self._raw))]
            self._raw[text] = entry = (str(compiled), tuple(names[n] for n in positions), tuple(names))
        compiled_text, order, ordered_names = entry
        given = params or {}
        missing = [n for n in ordered_names if n not in given]
        if missing:
            raise QueryError(f"raw SQL names parameters {missing} that were not given")
        return Statement(compiled_text, _ordered([given[n] for n in ordered_names], order), "auto")
