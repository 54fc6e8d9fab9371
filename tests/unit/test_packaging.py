"""What the package metadata promises is what the source tree holds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import ormada
from ormada import errors
from ormada.model import DeferredFieldError

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The extras that are not a backend: what the test suite itself installs, and an event loop.
TOOL_EXTRAS = {"dev", "uvloop"}


def _imported_modules() -> set[str]:
    """Top-level module names imported anywhere in src/ or examples/."""
    found: set[str] = set()
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]:
        found.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", path.read_text(), flags=re.M))
    return found


def test_every_extra_has_its_backend_or_integration() -> None:
    backends = {p.stem for p in (ROOT / "src/ormada/backends").iterdir() if not p.name.startswith("_")}
    integrations = {p.name for p in (ROOT / "src/ormada/contrib").iterdir() if (p / "__init__.py").exists()}
    packages = {p.name for p in (ROOT / "src/ormada").iterdir() if (p / "__init__.py").exists()}  # ormada.cache
    extras = set(PROJECT["optional-dependencies"]) - TOOL_EXTRAS
    known = backends | integrations | packages
    assert extras <= known, \
        f"extras without a backend, an ormada.contrib integration or an ormada package: {sorted(extras - known)}"


def test_every_hard_dependency_is_imported() -> None:
    imported = _imported_modules()
    for requirement in PROJECT["dependencies"]:
        name = re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower().replace("-", "_")
        assert name in imported, f"{requirement} is a dependency that neither src/ nor examples/ imports"


def test_description_names_only_backends_that_exist() -> None:
    for name in ("SQLite", "DuckDB", "PostgreSQL", "MySQL/MariaDB", "Cassandra"):
        assert name in PROJECT["description"]
        assert name.split("/")[0].lower() in {p.stem for p in (ROOT / "src/ormada/backends").iterdir()}


def test_declared_license_ships_as_a_file() -> None:
    assert PROJECT["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_error_links_lead_to_a_section_of_the_shipped_reference() -> None:
    reference = (ROOT / errors.DOCS_URL).read_text()
    sections = set(re.findall(r"^## (\S+)$", reference, flags=re.M))
    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, ormada.OrmadaError)}
    codes.add(DeferredFieldError.code)
    assert codes <= sections, f"error codes without a section in {errors.DOCS_URL}: {sorted(codes - sections)}"
