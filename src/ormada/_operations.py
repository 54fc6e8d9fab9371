"""Every ORM operation as a sans-I/O generator: it yields statements and receives results.

Nothing here touches a connection. ``Database.run`` and ``Database.arun`` drive these
generators, so each operation is written once and serves both modes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from ormada import _hooks as hooks
from ormada import _hydrate as hydrate
from ormada import _tracking as tracking
from ormada._annotated import annotated_rows, refuse_annotated, refuse_expressions
from ormada._caching import Cached, cached_read
from ormada._joins import attach
from ormada._read_checks import check_read
from ormada.backends.base import Backend, Callback, Compiled, Concurrent, KeyedSelect, Statement
from ormada.errors import ConditionFailed, IntegrityError, MultipleObjectsReturned, NotSupported, QueryError
from ormada.query.expressions import Junction, Lookup, Node
from ormada.query.state import QueryState

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ormada._info import ModelInfo
    from ormada.schema import ColumnSchema

Operation = Generator[Statement | Concurrent | Cached | Callback, Any, Any]
T = TypeVar("T")


def answered(result: Any) -> Operation:
    """An operation whose result is known without sending anything."""
    yield from ()
    return result


def describe(node: Node | None) -> str:
    """A filter tree as a short human-readable text for error messages."""
    if node is None:
        return "(no filter)"
    if isinstance(node, Lookup) and not node.field:  # a condition on an expression: as written
        return repr(node.value)
    if isinstance(node, Lookup):
        op = "" if node.op == "exact" else f"__{node.op}"
        return f"{node.field}{op}={node.value!r}"
    inner = f" {node.connector.upper()} ".join(describe(c) for c in node.children)
    text = inner if len(node.children) == 1 else f"({inner})"
    return f"NOT {text}" if node.negated else text


def quick(statement: Statement) -> Statement:
    """Marks a statement that touches one row by key (see ``Statement.quick``). Backends
    build a new statement on every call, so it is marked in place, keeping its own class
    (a Cassandra statement's consistency, batch routing and write flags)."""
    statement.quick = True
    return statement


def pk_filter(info: ModelInfo, values: dict[str, Any]) -> Node:
    """The filter that finds one row by its primary-key values."""
    lookups = tuple(Lookup(name, "exact", values[name]) for name in info.pk)
    return lookups[0] if len(lookups) == 1 else Junction("and", lookups)


def _require_pk(info: ModelInfo, instance: BaseModel, action: str) -> dict[str, Any]:
    if not info.pk:
        raise QueryError(f"{info.name} has no primary key, so an instance cannot {action}")
    original = tracking.original_values(instance)
    values = {name: original.get(name, instance.__dict__.get(name)) for name in info.pk}
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise QueryError(f"{info.name} instance has no value for primary key {', '.join(missing)}; cannot {action}")
    return values


# -- reads -----------------------------------------------------------------------

def _check_joins(backend: Backend, info: ModelInfo, state: QueryState) -> None:
    if state.combined is not None or state.lock is not None or state.distinct_on:
        check_read(backend, info, state)
    if (state.ctes or state.source is not None or state.cte_joins) and not backend.supports.ctes:
        raise NotSupported(refused_ctes(backend, info))
    if not backend.supports.expressions:
        refuse_expressions(backend, info, state)
    if state.annotations and not backend.supports.group_by:
        names = ", ".join(spec.name for spec in state.annotations)
        raise NotSupported(f"{info.name}.annotate({names}): {backend.name} has no GROUP BY or per-row aggregates "
                           "across rows; keep the aggregate in a table of its own, maintained on write (a table "
                           "per query, or a counter column), or read the rows and aggregate them in Python")
    if not state.joins:
        return
    if state.columns is not None and state.shape == "models":
        for join in state.joins:
            if join.select and join.parent < 0 and join.on_parent not in state.columns:
                # Without the key, every row's relation would read as None: refuse, as Django does.
                raise QueryError(f"{info.name}: only()/defer() leave out {join.on_parent!r}, which "
                                 f"select_related({join.path!r}) follows; load it too")
    if backend.supports.joins:
        return
    selected = [repr(join.path) for join in state.joins if join.select]
    if selected:
        paths = ", ".join(selected)
        raise NotSupported(f"{info.name}.select_related({paths}): {backend.name} has no JOINs; "
                           f"use prefetch_related({paths}), which reads the related rows by key")
    paths = ", ".join(repr(join.path) for join in state.joins)
    raise NotSupported(f"{info.name}: a filter or ordering across {paths} needs a JOIN, which {backend.name} "
                       "does not have; filter by the key (field_id=…), or keep the fields you filter by in "
                       "this model's table")


def refused_ctes(backend: Backend, info: ModelInfo) -> str:
    """Why a query with a CTE cannot run on ``backend``, and what to do instead."""
    return (f"{info.name}: {backend.name} has no common table expressions (WITH, WITH RECURSIVE): CQL reads one "
            "table by key and cannot name a query inside another. Keep what the CTE would compute in a table of "
            "its own, maintained on write (for a tree: a table of (ancestor, descendant, depth) rows, or each "
            "row's ancestor keys in a list column), or walk it one level at a time with "
            "filter(parent_id__in=[keys of the level before])")


check_joins = _check_joins  # for operations built in modules of their own (aggregates)


def read(backend: Backend, info: ModelInfo, state: QueryState) -> Compiled:
    """The compiled read of ``state``, refused where the backend cannot join."""
    _check_joins(backend, info, state)
    return backend.select(info, state)


def rows_as_asked(backend: Backend, info: ModelInfo, state: QueryState, columns: tuple[ColumnSchema, ...],
                  rows: Sequence[Any], annotations: tuple[Callable[[Any], Any], ...] = ()) -> list[Any]:
    """Rows of a read of ``state`` as the QuerySet asked for them: instances (with their
    ``select_related`` rows attached, and their annotations read by ``annotations``),
    dicts, tuples or single values."""
    if annotations:
        def plain(shape: str, plain_rows: Sequence[Any]) -> list[Any]:
            return rows_as_asked(backend, info, state.evolve(shape=shape, annotations=()), columns, plain_rows)

        return annotated_rows(state, columns, annotations, rows, plain)
    if state.shape == "models" and any(join.select for join in state.joins):
        return attach(backend, info, state.joins, columns, rows)
    return hydrate.shape_rows(backend, info, state.shape, columns, rows)


def fetch(backend: Backend, info: ModelInfo, state: QueryState) -> Operation:
    compiled = read(backend, info, state)
    # The read cache holds rows as the driver gave them: a hit is hydrated as a read is.
    rows = yield cached_read(info, compiled.statement, state.cache and state.lock is None)
    return rows_as_asked(backend, info, state, compiled.columns, rows, compiled.annotations)


def get(backend: Backend, info: ModelInfo, state: QueryState, missing_ok: bool = False) -> Operation:
    """The one row matching; ``missing_ok`` gives None instead of ``DoesNotExist``."""
    # Two rows are enough to tell "exactly one" from "more than one".
    window = state if state.limit is not None and state.limit <= 2 else state.evolve(limit=2)
    found = yield from fetch(backend, info, window)
    return one(info, found, state.where, missing_ok)


def keyed_get(backend: Backend, info: ModelInfo, plan: KeyedSelect, lookups: dict[str, Any],
              missing_ok: bool = False) -> Operation:
    """:func:`get` for ``field=value`` lookups through a backend's cached plan; the
    values are already checked (``lookups`` is kept for the error message)."""
    rows = yield cached_read(info, plan.statement(tuple(lookups.values())))
    found = hydrate.hydrator(backend, info, plan.columns)(rows)
    if len(found) == 1:
        return found[0]
    return one(info, found, Junction("and", tuple(Lookup(k, "exact", v) for k, v in lookups.items())), missing_ok)


def one(info: ModelInfo, found: Sequence[Any], where: Node | None, missing_ok: bool) -> Any:
    """The single row of ``found``, None (``missing_ok``) or the matching error."""
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise info.multiple_objects(
            f"{info.name}.{'get_or_none' if missing_ok else 'get'}() found more than one row matching "
            f"{describe(where)}; use filter() or narrow the lookup"
        )
    if missing_ok:
        return None
    raise info.does_not_exist(f"{info.name} matching {describe(where)} does not exist")


def count(backend: Backend, info: ModelInfo, state: QueryState) -> Operation:
    _check_joins(backend, info, state)
    rows = yield cached_read(info, backend.count(info, state), state.cache)
    return int(rows[0][0])


def exists(backend: Backend, info: ModelInfo, state: QueryState) -> Operation:
    _check_joins(backend, info, state)
    rows = yield backend.exists(info, state)
    return bool(rows)


def update(backend: Backend, info: ModelInfo, state: QueryState, values: dict[str, Any]) -> Operation:
    state = refuse_annotated(info, state, "update")
    if not backend.supports.expressions:
        refuse_expressions(backend, info, state, values)
    _check_joins(backend, info, state)
    return (yield backend.update(info, state, values))


def delete(backend: Backend, info: ModelInfo, state: QueryState) -> Operation:
    state = refuse_annotated(info, state, "delete")
    _check_joins(backend, info, state)
    return (yield backend.delete(info, state))


# -- single instances --------------------------------------------------------------

def _insert_plan(info: ModelInfo, instance: BaseModel) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns to insert and the ones to read back: a generated key left at None is
    read back rather than sent."""
    generated = info.generated_key
    if generated is not None and instance.__dict__.get(generated) is None:
        return info.insert_generated
    return info.field_names, ()


def insert(backend: Backend, info: ModelInfo, instance: BaseModel, options: dict[str, Any] | None = None) -> Operation:
    columns, returning = _insert_plan(info, instance)
    values = instance.__dict__
    statement = backend.insert(info, columns, [row_getter(columns)(values)], returning, options)
    result = yield quick(statement)
    if statement.conditional and not result:
        raise _condition_failed(info, pk_filter(info, {k: values[k] for k in info.pk}), options)
    if returning:
        _assign_generated(instance, returning[0], result[0][0])
    tracking.mark_saved(backend, info, instance, info.field_names)
    return instance


def insert_new(backend: Backend, info: ModelInfo, instance: BaseModel, if_not_exists: bool,
               options: dict[str, Any]) -> Operation:
    """An INSERT even for a loaded instance; ``if_not_exists`` skips an existing key."""
    if if_not_exists:
        options = {**options, "if_not_exists": True}
    columns, returning = _insert_plan(info, instance)
    values = instance.__dict__
    result = yield backend.insert(info, columns, [tuple(values[c] for c in columns)], returning, options)
    if not result:  # no row back, or a count of 0: the key was taken
        return False
    if returning:
        _assign_generated(instance, returning[0], result[0][0])
    tracking.mark_saved(backend, info, instance, info.field_names)
    return True


def _condition_failed(info: ModelInfo, where: Node | None, options: dict[str, Any] | None) -> ConditionFailed:
    conditions = ", ".join(f"{k}={v!r}" for k, v in (options or {}).items() if k.startswith("if_"))
    return ConditionFailed(f"{info.name} with {describe(where)}: the condition {conditions} did not hold, so "
                           "nothing was written and the instance keeps its unsaved changes")


def _assign_generated(instance: BaseModel, name: str, value: Any) -> None:
    instance.__dict__[name] = value
    instance.__pydantic_fields_set__.add(name)


def save(backend: Backend, info: ModelInfo, instance: BaseModel, options: dict[str, Any] | None = None) -> Operation:
    if not tracking.is_persisted(instance):
        return (yield from insert(backend, info, instance, options))
    changed = tuple(tracking.changed_fields(instance))
    if not changed:
        return instance
    yield from update_fields(backend, info, instance, changed, options)
    return instance


def update_fields(backend: Backend, info: ModelInfo, instance: BaseModel, names: tuple[str, ...],
                  options: dict[str, Any] | None = None) -> Operation:
    keys = _require_pk(info, instance, "be updated")
    state = QueryState(where=pk_filter(info, keys), options=dict(options or {}))
    statement = backend.update(info, state, {name: instance.__dict__[name] for name in names})
    count = yield quick(statement)
    if statement.conditional and count == 0:
        raise _condition_failed(info, state.where, options)
    if backend.supports.rowcount and count == 0:
        raise info.does_not_exist(f"{info.name} with {describe(state.where)} no longer exists; nothing was updated")
    loaded = tracking.loaded_names(instance) or info.field_names
    tracking.mark_saved(backend, info, instance, loaded)
    return instance


def delete_instance(backend: Backend, info: ModelInfo, instance: BaseModel,
                    options: dict[str, Any] | None = None) -> Operation:
    keys = _require_pk(info, instance, "be deleted")
    count = yield quick(backend.delete(info, QueryState(where=pk_filter(info, keys), options=dict(options or {}))))
    tracking.mark_new(instance)
    return count


def refresh(backend: Backend, info: ModelInfo, instance: BaseModel) -> Operation:
    keys = _require_pk(info, instance, "be refreshed")
    compiled = backend.select(info, QueryState(where=pk_filter(info, keys), limit=1))
    rows = yield compiled.statement
    if not rows:
        raise info.does_not_exist(f"{info.name} with {describe(pk_filter(info, keys))} no longer exists")
    row_layout = hydrate.layout(backend, info, compiled.columns)
    instance.__dict__.update(zip(row_layout.names, row_layout.decode(rows[0]), strict=True))
    instance.__pydantic_fields_set__.update(row_layout.names)
    tracking.record(instance, rows[0], row_layout)
    return instance


# -- many instances ------------------------------------------------------------------

def _batches(items: Sequence[Any], size: int) -> Generator[Sequence[Any], None, None]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def default_batch_size(backend: Backend, width: int) -> int:
    """As many rows as fit the backend's parameter limit, at most 1,000."""
    return max(1, min(1000, backend.supports.max_params // max(width, 1)))


def _insert_groups(info: ModelInfo, instances: Sequence[BaseModel]) -> list[tuple[tuple[str, ...], tuple[str, ...],
                                                                               list[BaseModel]]]:
    """The instances split by :func:`_insert_plan`. Those with their key set go first: a
    database that generates keys above the highest one in the table (SQLite) then steps
    around them (PostgreSQL's sequences do not look at the table in either order)."""
    generated = info.generated_key
    if generated is None:
        return [(info.field_names, (), list(instances))]
    fresh = [x for x in instances if x.__dict__.get(generated) is None]
    if len(fresh) == len(instances):
        return [(*info.insert_generated, fresh)]
    keyed = [x for x in instances if x.__dict__.get(generated) is not None]
    return [group for group in ((info.field_names, (), keyed), (*info.insert_generated, fresh)) if group[2]]


def bulk_create(backend: Backend, info: ModelInfo, instances: Sequence[BaseModel], batch_size: int | None) -> Operation:
    for i, instance in enumerate(instances):
        if not isinstance(instance, info.model):
            raise QueryError(f"{info.name}.bulk_create(): item {i} is a {type(instance).__name__}, not a {info.name}")
    groups = _insert_groups(info, instances)
    savepoint = backend.supports.savepoints
    if savepoint:
        yield Statement("SAVEPOINT ormada_bulk", (), "none", quick=True)
    attempted: list[tuple[tuple[str, ...], Sequence[BaseModel]]] = []
    try:
        for columns, returning, batch, statement in _checked_first(backend, _insert_steps(backend, info, groups,
                                                                                           batch_size)):
            attempted.append((columns, batch))
            try:
                result = yield statement
            except IntegrityError as exc:
                if savepoint:
                    yield from _find_failing_row(backend, info, instances, attempted, exc)
                if backend.supports.transactions:
                    raise _failing_batch(backend, info, instances, batch, exc) from exc.__cause__
                raise
            if returning:
                name = returning[0]
                for obj, row in zip(batch, result, strict=True):  # as _assign_generated, without a call per row
                    obj.__dict__[name] = row[0]
                    obj.__pydantic_fields_set__.add(name)
        if savepoint:
            yield Statement("RELEASE SAVEPOINT ormada_bulk", (), "none", quick=True)
    except BaseException:
        # Nothing was written, so no instance may keep a key the database handed out.
        generated = info.table.generated_column
        for _, returning, members in groups:
            if returning and generated is not None:
                for obj in members:
                    obj.__dict__[generated.name] = None
        raise
    tracking.mark_all_saved(backend, info, instances, info.field_names)
    return list(instances)


def _checked_first(backend: Backend, steps: Iterator[T]) -> Iterable[T]:
    """The steps of a write that takes several statements.

    Inside a transaction a bad value in a late statement rolls the earlier ones back;
    without transactions (Cassandra) there is nothing to roll back, so every statement
    is compiled, which checks and encodes every value, before the first one is sent.
    """
    return steps if backend.supports.transactions else list(steps)


def _insert_steps(backend: Backend, info: ModelInfo,
                  groups: list[tuple[tuple[str, ...], tuple[str, ...], list[BaseModel]]], batch_size: int | None,
                  ) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], Sequence[BaseModel], Statement]]:
    """``(columns, returning, batch, INSERT statement)`` for each batch of each group."""
    for columns, returning, members in groups:
        size = (batch_size or default_batch_size(backend, len(columns))) if columns else 1
        pick = row_getter(columns)
        for batch in _batches(members, size):
            yield columns, returning, batch, backend.insert(info, columns, [pick(obj.__dict__) for obj in batch],
                                                            returning)


def row_getter(columns: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A fast function picking ``columns`` out of an instance's ``__dict__`` as a tuple."""
    if len(columns) == 1:
        name = columns[0]
        return lambda values: (values[name],)
    if not columns:  # a model holding only a generated key inserts no column of its own
        return lambda values: ()
    return itemgetter(*columns)


def _failing_batch(backend: Backend, info: ModelInfo, instances: Sequence[BaseModel], batch: Sequence[BaseModel],
                   error: IntegrityError) -> IntegrityError:
    """The error naming the rows of the refused batch, where no savepoint lets the rows be
    replayed one by one to find the row itself."""
    positions = {id(x): i for i, x in enumerate(instances)}
    first, last = positions[id(batch[0])], positions[id(batch[-1])]
    which = f"row {first}" if first == last else f"a row among rows {first} to {last}"
    return IntegrityError(
        f"{info.name}.bulk_create(): {which} was refused, so nothing was written ({backend.name} has no "
        f"savepoints to replay the rows one by one and name it): {str(error.__cause__ or error).splitlines()[0]}")


def _find_failing_row(backend: Backend, info: ModelInfo, instances: Sequence[BaseModel],
                      attempted: Sequence[tuple[tuple[str, ...], Sequence[BaseModel]]],
                      error: IntegrityError) -> Operation:
    """Replays the rows sent so far one at a time to name the first one refused,
    then undoes them all; clashes between two rows of the same batch are found too."""
    rollback = Statement("ROLLBACK TO SAVEPOINT ormada_bulk", (), "none", quick=True)
    yield rollback
    for columns, batch in attempted:
        for obj in batch:
            try:
                yield backend.insert(info, columns, [tuple(obj.__dict__[c] for c in columns)])
            except IntegrityError as exc:
                yield rollback
                index = next(i for i, x in enumerate(instances) if x is obj)
                raise IntegrityError(
                    f"{info.name}.bulk_create(): row {index} ({obj!r}) was refused, so nothing was written: "
                    f"{str(exc.__cause__ or exc).splitlines()[0]}"
                ) from exc.__cause__
    yield rollback
    raise error


def bulk_update(backend: Backend, info: ModelInfo, instances: Sequence[BaseModel], fields: Sequence[str],
                batch_size: int | None) -> Operation:
    names = tuple(fields)
    if not names:
        raise QueryError(f"{info.name}.bulk_update() needs the fields to write, e.g. fields=['title']")
    for name in names:
        if name not in info.table.by_name:
            from ormada.query.resolve import column_of

            column_of(info.name, info.table, name)
        if name in info.pk:
            raise QueryError(f"{info.name}.bulk_update() cannot change primary-key field {name!r}")
    rows = []
    for instance in instances:
        keys = _require_pk(info, instance, "be bulk-updated")
        rows.append((*(instance.__dict__[n] for n in names), *(keys[k] for k in info.pk)))
    total = 0
    size = batch_size or default_batch_size(backend, len(names) + len(info.pk))
    for statement in _checked_first(backend, (backend.update_rows(info, names, b) for b in _batches(rows, size))):
        total += yield statement
    for instance in instances:
        tracking.mark_saved(backend, info, instance, tracking.loaded_names(instance) or info.field_names)
    return total


def upsert(backend: Backend, info: ModelInfo, instances: Sequence[BaseModel], conflict: Sequence[str],
           update_fields_: Sequence[str] | None, batch_size: int | None) -> Operation:
    conflict_names = tuple(conflict) or info.pk
    from ormada.query.resolve import column_of

    for name in (*conflict_names, *(update_fields_ or ())):
        column_of(info.name, info.table, name)
    if not backend.supports.upsert:
        raise NotSupported(f"{info.name}.upsert() is not available on {backend.name}; use get_or_create() "
                           "or update_or_create() inside a transaction")
    def steps() -> Iterator[tuple[tuple[str, ...], Sequence[BaseModel], Statement]]:
        for columns, generated, members in _insert_groups(info, instances):
            targets = tuple(update_fields_) if update_fields_ is not None else tuple(
                c for c in columns if c not in conflict_names and c not in info.pk)
            size = batch_size or default_batch_size(backend, len(columns))
            pick = row_getter(columns)
            for batch in _batches(members, size):
                rows = [pick(obj.__dict__) for obj in batch]
                statement = backend.upsert(info, columns, rows, conflict_names, targets, generated or info.pk)
                yield generated, batch, statement

    for generated, batch, statement in _checked_first(backend, steps()):
        result = yield statement
        if generated:
            for obj, row in zip(batch, result, strict=True):
                _assign_generated(obj, generated[0], row[0])
    tracking.mark_all_saved(backend, info, instances, info.field_names)
    return list(instances)


def _creation_values(info: ModelInfo, lookups: dict[str, Any], defaults: dict[str, Any] | None) -> dict[str, Any]:
    values = {k: v for k, v in lookups.items() if "__" not in k}
    values.update(defaults or {})
    return values


def get_or_create(backend: Backend, info: ModelInfo, state: QueryState, lookups: dict[str, Any],
                  defaults: dict[str, Any] | None) -> Operation:
    found = yield from get(backend, info, state, missing_ok=True)
    if found is not None:
        return found, False
    instance = info.model(**_creation_values(info, lookups, defaults))
    created = yield from _insert_or_find(backend, info, state, instance)
    return created


def _insert_or_find(backend: Backend, info: ModelInfo, state: QueryState, instance: BaseModel) -> Operation:
    """Inserts; when a concurrent writer got there first (a unique violation), returns theirs."""
    savepoint = backend.supports.savepoints
    if savepoint:
        yield Statement("SAVEPOINT ormada_create", (), "none", quick=True)
    try:
        yield from hooks.saving(instance, insert(backend, info, instance), created=True)[0]
    except IntegrityError:
        if not savepoint:
            raise
        yield Statement("ROLLBACK TO SAVEPOINT ormada_create", (), "none", quick=True)
        found = yield from get(backend, info, state, missing_ok=True)
        if found is None:
            raise
        return found, False
    if savepoint:
        yield Statement("RELEASE SAVEPOINT ormada_create", (), "none", quick=True)
    return instance, True


def update_or_create(backend: Backend, info: ModelInfo, state: QueryState, lookups: dict[str, Any],
                     defaults: dict[str, Any] | None) -> Operation:
    found = yield from get(backend, info, state, missing_ok=True)
    if found is None:
        instance = info.model(**_creation_values(info, lookups, defaults))
        result = yield from _insert_or_find(backend, info, state, instance)
        if result[1]:
            return result
        found = result[0]
    for name, value in (defaults or {}).items():
        setattr(found, name, value)
    # save() finds the changed fields when it runs: after a before_save hook changed some more.
    yield from hooks.saving(found, save(backend, info, found), created=False)[0]
    return found, False


def _unused(_: MultipleObjectsReturned) -> None:  # pragma: no cover - keeps the import for type checkers
    pass
