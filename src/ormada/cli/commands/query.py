"""``ormada query`` (a model's rows through the QuerySet API) and ``ormada sql`` (a raw statement, bound parameters)."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ormada.cli._state import UserError, handled, state

if TYPE_CHECKING:
    from ormada.model import Model
    from ormada.query.queryset import QuerySet


class Action(enum.StrEnum):
    """What ``ormada query`` does with the matching rows."""

    GET = "get"
    FILTER = "filter"
    COUNT = "count"
    EXISTS = "exists"
    DELETE = "delete"


FILTER_HELP = ("field=value, field__lookup=value, relation__field=value (repeatable); values are typed by the "
               "model's fields; __in takes a,b,c and __range low,high; __isnull true or false.")
JSON_KINDS = frozenset({"json", "list", "set", "map", "tuple", "user_type", "vector"})


def parse_filters(model: type[Model], filters: list[str]) -> dict[str, Any]:
    """``["year__gte=1970", "tags=[\\"sf\\"]"]`` as lookups whose values the model's field types check.

    Raises:
        typer.BadParameter: an item is not ``key=value`` (a usage error, exit code 2).
    """
    lookups: dict[str, Any] = {}
    table = model.__ormada__.table
    for item in filters:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise typer.BadParameter(f"{item!r} is not field=value (e.g. year__gte=1970)", param_hint="--filter")
        op = key.rpartition("__")[2] if "__" in key else "exact"
        value: Any = text
        if op == "isnull":
            value = _flag(key, text)
        elif op == "in":
            value = [part.strip() for part in text.split(",")] if text else []
        elif op == "range":
            parts = [part.strip() for part in text.split(",")]
            if len(parts) != 2:
                raise UserError(f"{model.__name__}.{key}: __range takes low,high, not {text!r}")
            value = tuple(parts)
        else:
            column = table.by_name.get(key.removesuffix("__exact"))
            if column is not None and column.type.kind.value in JSON_KINDS:
                try:
                    value = json.loads(text)
                except ValueError:
                    raise UserError(f"{model.__name__}.{column.name}: {text!r} is not JSON (the field holds "
                                    f"{column.type.kind.value})") from None
        lookups[key] = value
    return lookups


def _flag(key: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise UserError(f"{key} takes true or false, not {text!r}")


def _fields(model: type[Model], fields: str | None) -> tuple[str, ...]:
    if not fields:
        return model.__ormada__.field_names
    return tuple(f.strip() for f in fields.split(",") if f.strip())


def _orders(order: list[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for item in order or () for part in item.split(",") if part.strip())


def _format(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    return "json" if as_json else "csv" if as_csv else "table"


@handled
def query(
    ctx: typer.Context,
    model_name: Annotated[str, typer.Argument(metavar="MODEL", help="The model (class name, or module.Class).")],
    action: Annotated[Action, typer.Argument(help="What to do with the matching rows.")] = Action.FILTER,
    filters: Annotated[list[str] | None, typer.Option("--filter", "-f", help=FILTER_HELP)] = None,
    order: Annotated[list[str] | None, typer.Option(
        "--order", "-o", help="Fields to sort by, '-' first for descending: --order -year,title.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=0, help="At most this many rows.")] = None,
    fields: Annotated[str | None, typer.Option(
        "--fields", help="Fields to show, comma-separated (relation paths too: author__name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Read, count or delete a model's rows: ormada query Book filter --filter year__gte=1970 --order -year."""
    from ormada.cli._render import emit, emit_value, output

    current = state(ctx)
    fmt = _format(as_json, as_csv)
    model = current.model(model_name)
    current.database_of(model)
    qs: QuerySet[Any] = model.filter(**parse_filters(model, filters or []))
    orders = _orders(order)
    if orders:
        qs = qs.order_by(*orders)
    if limit is not None:
        qs = qs.limit(limit)
    names = _fields(model, fields)
    if action is Action.COUNT:
        emit_value(qs.count(), fmt)
    elif action is Action.EXISTS:
        emit_value(qs.exists(), fmt)
    elif action is Action.GET:
        row = qs.values(*names).get()
        if fmt == "table":
            emit(("field", "value"), list(row.items()), fmt, title=model.__name__)
        elif fmt == "csv":
            emit(names, [tuple(row.values())], fmt)
        else:
            emit_value(row, fmt)
    elif action is Action.FILTER:
        rows = qs.values_list(*names).iterator()
        count = emit(names, rows, fmt, title=model.__name__)
        if fmt == "table":
            output.print(f"[dim]{count} row{'s' if count != 1 else ''}[/]")
    else:
        matching = qs.count()
        if matching and not yes:
            typer.confirm(f"Delete {matching} row{'s' if matching != 1 else ''} of {model.__name__}?", abort=True,
                          err=True)
        deleted = qs.delete() if matching else 0
        emit_value({"deleted": deleted} if fmt == "json" else f"deleted {deleted}", fmt)


def parse_params(params: list[str]) -> dict[str, Any]:
    """``name=value`` pairs; a value that reads as JSON (a number, true, false, null, a quoted
    string) is bound as that value, anything else as text."""
    bound: dict[str, Any] = {}
    for item in params:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{item!r} is not name=value", param_hint="--param")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        bound[name.strip()] = value if isinstance(value, (int, float, str, bool, type(None))) else text
    return bound


@handled
def sql(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="One SQL (or CQL) statement, with :name parameters.")],
    params: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="name=value, bound (never spliced in); 1970, true, null are typed, "
                              "'\"1970\"' is text. Repeatable.")] = None,
    database: Annotated[str, typer.Option("--database", "-d", help="The configured database to run it on.")]
    = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Run one statement with bound parameters; print its rows, or how many rows it changed."""
    from ormada.cli._render import emit, emit_value

    fmt = _format(as_json, as_csv)
    db = state(ctx).database(database)
    result = db.execute(statement, parse_params(params or []))
    if isinstance(result, list):
        width = len(result[0]) if result else 0
        columns = getattr(result, "columns", None) or tuple(f"column{i + 1}" for i in range(width))
        emit(columns, result, fmt)
    else:
        emit_value({"changed": result} if fmt == "json" else f"{result} row(s) changed", fmt)


def register(app: typer.Typer) -> None:
    """Adds the commands of this module to ``app``."""
    app.command()(query)
    app.command()(sql)
