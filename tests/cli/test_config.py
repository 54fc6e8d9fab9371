"""ormada.config: [tool.ormada], the environment and arguments, model modules that fail to import."""

from __future__ import annotations

from pathlib import Path

import pytest

from ormada import config
from ormada.errors import ConfigurationError

PYPROJECT = """
[project]
name = "app"

[tool.ormada]
url = "sqlite:///app.db"
models = ["shop.models", "extra.py"]
migrations = "db/migrations"

[tool.ormada.databases]
analytics = "postgresql://app:s3cret@db.internal:5432/analytics"
"""


def test_reads_tool_ormada_from_the_nearest_pyproject_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    nested = tmp_path / "src" / "deep"
    nested.mkdir(parents=True)
    settings = config.load(nested, environ={})
    assert settings.source == tmp_path / "pyproject.toml"
    assert settings.root == tmp_path
    assert settings.databases == {"default": "sqlite:///app.db",
                                  "analytics": "postgresql://app:s3cret@db.internal:5432/analytics"}
    assert list(settings.databases) == ["default", "analytics"]
    assert settings.url == "sqlite:///app.db"
    assert settings.models == ("shop.models", "extra.py")
    assert settings.migrations == "db/migrations"


def test_environment_overrides_the_file_and_arguments_override_both(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    env = {"ORMADA_URL": "sqlite:///env.db", "ORMADA_MODELS": "a.models, b.models"}
    from_env = config.load(tmp_path, environ=env)
    assert from_env.url == "sqlite:///env.db"
    assert from_env.models == ("a.models", "b.models")
    assert from_env.origins["default"] == "ORMADA_URL"
    assert from_env.origins["models"] == "ORMADA_MODELS"
    given = config.load(tmp_path, url="sqlite:///cli.db", models=["c.models,d.models"], environ=env)
    assert given.url == "sqlite:///cli.db"
    assert given.models == ("c.models", "d.models")
    assert given.origins["default"] == "--url"
    assert given.databases["analytics"].startswith("postgresql://")  # named databases stay


def test_without_a_pyproject_only_environment_and_arguments_count(tmp_path: Path) -> None:
    assert config.find_pyproject(tmp_path) is None
    settings = config.load(tmp_path, environ={})
    assert (settings.source, settings.databases, settings.models) == (None, {}, ())
    assert config.load(tmp_path, url="sqlite://:memory:", environ={}).url == "sqlite://:memory:"


@pytest.mark.parametrize(("body", "message"), [
    ('[tool.ormada]\nurl = "sqlite:///a.db"\nmodel = ["x"]\n', "unknown key(s) model"),
    ("[tool.ormada]\nurl = 3\n", "url must be a non-empty string, not 3"),
    ('[tool.ormada]\nmodels = [1]\n', "models must be a list of module names, not [1]"),
    ('[tool.ormada]\ndatabases = "x"\n', "databases must be a table"),
    ("[tool.ormada\n", "cannot read"),
])
def test_a_malformed_table_names_the_file_and_the_key(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(body)
    with pytest.raises(ConfigurationError) as caught:
        config.load(tmp_path, environ={})
    assert message in str(caught.value)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


def test_a_models_string_is_a_comma_separated_list(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ormada]\nmodels = "a.m, b.m"\n')
    assert config.load(tmp_path, environ={}).models == ("a.m", "b.m")


def test_a_module_that_fails_to_import_is_reported_with_its_traceback_and_path(tmp_path: Path) -> None:
    package = tmp_path / "brokenpkg_cfg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("import ormada\n\nx = 1\nraise RuntimeError('boom in models')\n")
    settings = config.load(tmp_path, models=["brokenpkg_cfg.models"], environ={})
    with pytest.raises(config.ModelImportError) as caught:
        config.import_models(settings)
    error = caught.value
    assert "RuntimeError: boom in models" in str(error)
    assert str(package / "models.py") in error.tried
    assert "raise RuntimeError('boom in models')" in error.details  # the module's own line
    assert 'line 4' in error.details


def test_a_missing_module_says_where_it_was_looked_for(tmp_path: Path) -> None:
    settings = config.load(tmp_path, models=["no_such_models_module_xyz"], environ={})
    with pytest.raises(config.ModelImportError) as caught:
        config.import_models(settings)
    assert "no_such_models_module_xyz" in str(caught.value)
    assert str(tmp_path) in caught.value.tried
    assert "ModuleNotFoundError" in str(caught.value)


def test_a_models_file_path_is_imported_and_its_models_found(tmp_path: Path) -> None:
    (tmp_path / "cfg_file_models.py").write_text(
        "from typing import Annotated\nfrom ormada import Model, PrimaryKey\n\n"
        "class CfgFileThing(Model):\n    id: Annotated[int | None, PrimaryKey()] = None\n    name: str\n")
    settings = config.load(tmp_path, models=["cfg_file_models.py"], environ={})
    modules = config.import_models(settings)
    assert [m.__name__ for m in config.models_of(modules)] == ["CfgFileThing"]
    missing = config.load(tmp_path, models=["nowhere.py"], environ={})
    with pytest.raises(config.ModelImportError) as caught:
        config.import_models(missing)
    assert str(tmp_path / "nowhere.py") in str(caught.value)


def test_connect_registers_every_configured_database_by_name(tmp_path: Path) -> None:
    settings = config.load(tmp_path, url=f"sqlite:///{tmp_path / 'a.db'}", environ={})
    databases = config.connect(settings)
    assert list(databases) == ["default"]
    assert databases["default"].execute("SELECT 41 + 1") == [(42,)]
    databases["default"].close()
    with pytest.raises(ConfigurationError, match="no database configured"):
        config.connect(config.Settings())


def test_masked_hides_passwords_even_in_urls_that_do_not_parse() -> None:
    assert config.masked("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert "s3cret" not in config.masked("nonsense://app:s3cret@db")
