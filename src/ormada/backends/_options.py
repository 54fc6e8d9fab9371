"""The query options of a database URL, checked against what the backend reads.

Each backend declares its options with a parser per option, so a misspelt or
malformed option is a ``ConfigurationError`` when connecting, not a driver's
``TypeError`` on first use or a value silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ormada._url import DatabaseURL
from ormada.errors import ConfigurationError
from ormada.query.resolve import closest

Parser = Callable[[str], Any]
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def whole_number(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def positive_number(text: str) -> float:
    """A number of seconds (or other units) above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError("must be a number above 0")
    return value


def flag(text: str) -> bool:
    """``true``/``false`` (also 1/0, yes/no, on/off)."""
    lowered = text.lower()
    if lowered not in TRUE + FALSE:
        raise ValueError("must be true or false")
    return lowered in TRUE


def text(value: str) -> str:
    """Any non-empty text."""
    if not value:
        raise ValueError("must not be empty")
    return value


def read_options(url: DatabaseURL, known: Mapping[str, Parser]) -> dict[str, Any]:
    """The URL's query options, each parsed by its parser.

    Raises:
        ConfigurationError: an option the backend does not know (naming the closest and
            listing the known ones), or a value its parser refuses.
    """
    options: dict[str, Any] = {}
    for name, raw in url.query.items():
        parse = known.get(name)
        if parse is None:
            raise ConfigurationError(
                f"{url}: unknown option {name!r}{closest(name, known)}; "
                f"{url.backend} URLs take {', '.join(sorted(known))}"
            )
        try:
            options[name] = parse(raw)
        except ValueError as exc:
            raise ConfigurationError(f"{url}: option {name}={raw!r} {exc}") from None
    return options
