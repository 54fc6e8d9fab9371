"""Project configuration: ``[tool.ormada]`` in ``pyproject.toml``, the environment, the command line.

One place every command and the library read::

    [tool.ormada]
    url = "sqlite:///app.db"                      # the "default" database
    models = ["app.models"]                       # modules (or .py files) that define the models
    migrations = "migrations"                     # where migration files live
    [tool.ormada.databases]
    analytics = "postgresql://app@db:5432/analytics"

``pyproject.toml`` is looked for from the current directory upwards. ``ORMADA_URL`` and
``ORMADA_MODELS`` (comma-separated) override the file, and arguments given to :func:`load`
(the command line's ``--url`` / ``--models``) override both.

>>> settings = ormada.config.load()
>>> modules = ormada.config.import_models(settings)
>>> databases = ormada.config.connect(settings)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tomllib
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ormada.errors import ConfigurationError

if TYPE_CHECKING:
    from ormada.database import Database
    from ormada.model import Model

DEFAULT = "default"
KEYS = ("url", "databases", "models", "migrations")


@dataclass(frozen=True)
class Settings:
    """What the project configures.

    Attributes:
        databases: Database name to URL; ``url`` is the one named ``"default"``.
        models: The modules (dotted names, or paths of ``.py`` files) that define the models.
        migrations: The directory of migration files, if configured.
        source: The ``pyproject.toml`` read, if one was found.
        root: The directory model modules are imported from (the file's directory, or the
            current one).
        origins: Where each setting came from (``"pyproject.toml"``, ``"ORMADA_URL"``, ``"--url"``).
    """

    databases: dict[str, str] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    migrations: str | None = None
    source: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    origins: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str | None:
        """The URL of the default database, if configured."""
        return self.databases.get(DEFAULT)


class ModelImportError(ConfigurationError):
    """A configured model module could not be imported.

    Attributes:
        module: The module name or file path that was configured.
        tried: Where it was looked for.
        details: The formatted traceback of the import.
    """

    def __init__(self, module: str, tried: str, exc: BaseException) -> None:
        self.module = module
        self.tried = tried
        self.details = "".join(traceback.format_exception(exc))
        super().__init__(f"cannot import model module {module!r} (tried {tried}): {type(exc).__name__}: {exc}")


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` from ``start`` (default: the current directory) upwards."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(start: Path | None = None, *, url: str | None = None, models: Sequence[str] | str | None = None,
         environ: Mapping[str, str] | None = None) -> Settings:
    """Reads the configuration: ``[tool.ormada]``, then the environment, then the arguments.

    Args:
        start: Where to look for ``pyproject.toml`` from (default: the current directory).
        url: Overrides the default database's URL (the command line's ``--url``).
        models: Overrides the model modules (``--models``; a comma-separated string or a list).
        environ: The environment to read ``ORMADA_URL`` / ``ORMADA_MODELS`` from (default: ``os.environ``).

    Raises:
        ConfigurationError: ``pyproject.toml`` cannot be parsed, or ``[tool.ormada]`` holds an
            unknown key or a value of the wrong type (the message names the file and the key).
    """
    env = os.environ if environ is None else environ
    source = find_pyproject(start)
    table = _read_table(source) if source is not None else {}
    where = str(source) if source is not None else "pyproject.toml"
    databases: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name, value in _table_of_text(table.get("databases", {}), where, "databases").items():
        databases[name], origins[name] = value, where
    if "url" in table:
        databases[DEFAULT], origins[DEFAULT] = _text(table["url"], where, "url"), where
    model_list = _text_list(table.get("models", []), where, "models")
    origins["models"] = where
    migrations = _text(table["migrations"], where, "migrations") if "migrations" in table else None
    for given, origin in ((env.get("ORMADA_URL"), "ORMADA_URL"), (url, "--url")):
        if given:
            databases[DEFAULT] = given
            origins[DEFAULT] = origin
    for listed, origin in ((env.get("ORMADA_MODELS"), "ORMADA_MODELS"), (models, "--models")):
        if listed:
            model_list, origins["models"] = _split(listed), origin
    root = source.parent if source is not None else (start or Path.cwd()).resolve()
    ordered = dict(sorted(databases.items(), key=lambda item: item[0] != DEFAULT))  # the default first
    return Settings(ordered, tuple(model_list), migrations, source, root, origins)


def _read_table(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    table = document.get("tool", {}).get("ormada", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [tool.ormada] must be a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigurationError(f"{path}: [tool.ormada] has unknown key(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(KEYS)})")
    return table


def _text(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{where}: [tool.ormada] {key} must be a non-empty string, not {value!r}")
    return value


def _text_list(value: Any, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        return _split(value)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"{where}: [tool.ormada] {key} must be a list of module names, not {value!r}")
    return list(value)


def _table_of_text(value: Any, where: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}: [tool.ormada] {key} must be a table of name = \"url\", not {value!r}")
    return {name: _text(url, where, f"{key}.{name}") for name, url in value.items()}


def _split(value: Sequence[str] | str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else [part for v in value for part in v.split(",")]
    return [item.strip() for item in items if item.strip()]


def import_models(settings: Settings) -> list[ModuleType]:
    """Imports the configured model modules (dotted names from ``settings.root``, or ``.py`` paths).

    Raises:
        ModelImportError: a module failed to import; it carries the traceback and where
            the module was looked for, so a broken module is never taken for "no models".
    """
    root = str(settings.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    return [_import(name, settings.root) for name in settings.models]


def _import(name: str, root: Path) -> ModuleType:
    if name.endswith(".py") or "/" in name or os.sep in name:
        path = (root / name).resolve()
        module_name = f"ormada_models_{path.stem}"
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ModelImportError(name, str(path), FileNotFoundError(f"no such file: {path}"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:
            del sys.modules[module_name]
            raise ModelImportError(name, str(path), exc) from exc
        return module
    try:
        return importlib.import_module(name)
    except BaseException as exc:  # a SyntaxError or SystemExit in the module too
        tried = f"{root} and sys.path" if isinstance(exc, ModuleNotFoundError) else _file_of(name)
        raise ModelImportError(name, tried, exc) from exc


def _file_of(name: str) -> str:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return name
    return str(spec.origin) if spec is not None and spec.origin else name


def models_of(modules: Sequence[ModuleType]) -> list[type[Model]]:
    """The concrete models defined in ``modules`` (and the many-to-many junctions ormada
    made for them), in definition order."""
    from ormada import _registry

    names = {module.__name__ for module in modules}
    return [info.model for info in _registry.configured()  # type: ignore[misc]
            if info.model.__module__ in names]


def connect(settings: Settings) -> dict[str, Database]:
    """Connects (lazily: nothing is opened before the first query) every configured
    database under its name, and returns them by name.

    Raises:
        ConfigurationError: no database is configured, or a URL is malformed.
    """
    from ormada.database import connect as connect_one

    if not settings.databases:
        raise ConfigurationError("no database configured: set url = \"sqlite:///app.db\" under [tool.ormada] "
                                 "in pyproject.toml, or ORMADA_URL, or --url")
    return {name: connect_one(url, name=name) for name, url in settings.databases.items()}


def masked(url: str) -> str:
    """``url`` with its password shown as ``***`` (also when it does not parse)."""
    from ormada._url import _mask, parse_url

    try:
        return parse_url(url).render()
    except ConfigurationError:
        return _mask(url)
