"""The error classes: one family, each with a code that its message links to."""

from __future__ import annotations

import inspect

import pytest

import ormada
from ormada import errors
from ormada.model import DeferredFieldError

ERRORS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if cls.__module__ == errors.__name__]


def test_every_error_is_listed() -> None:
    assert {cls.__name__ for cls in ERRORS} == {
        "OrmadaError", "ConfigurationError", "ConnectionFailed", "QueryError", "DataError", "IntegrityError",
        "DoesNotExist", "MultipleObjectsReturned", "NotSupported", "TransactionError", "DatabaseError",
        "QueryTimeout", "ConditionFailed", "RelationNotLoaded", "InvalidPage", "PageNotAnInteger", "EmptyPage",
        "CursorError", "LockNotAvailable", "PermissionDenied",
    }


@pytest.mark.parametrize("cls", [*ERRORS, DeferredFieldError], ids=lambda cls: cls.__name__)
def test_each_error_derives_from_ormada_error_and_links_to_its_code(cls: type[errors.OrmadaError]) -> None:
    assert issubclass(cls, ormada.OrmadaError)
    assert cls.code
    assert str(cls("boom")) == f"boom\n  (see {errors.DOCS_URL}#{cls.code})"


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in [*ERRORS, DeferredFieldError]]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("name", [cls.__name__ for cls in ERRORS])
def test_errors_are_public(name: str) -> None:
    assert getattr(ormada, name) is getattr(errors, name)
    assert name in ormada.__all__


def test_no_error_shadows_a_builtin() -> None:
    import builtins

    assert not {cls.__name__ for cls in ERRORS} & set(dir(builtins))


def test_deferred_field_error_is_also_an_attribute_error() -> None:
    assert issubclass(DeferredFieldError, AttributeError)
