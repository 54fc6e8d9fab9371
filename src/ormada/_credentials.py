"""Where a database password comes from: the URL, a string, a callable or a file.

A callable is called, and a file read, for every new connection, so a short-lived
token (AWS RDS IAM, Azure Entra, Cloud SQL IAM) or a secret a platform rotates on
disk is always current. The source never shows its password: not in ``repr``, not in
an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ormada.errors import ConfigurationError

PasswordFactory = Callable[[], str]


class PasswordSource:
    """A password, given as text, a callable returning a fresh one, or a file holding one."""

    __slots__ = ("_factory", "_file", "_value")

    def __init__(self, *, value: str | None = None, factory: PasswordFactory | None = None,
                 file: str | os.PathLike[str] | None = None) -> None:
        if sum(x is not None for x in (value, factory, file)) != 1:
            raise ConfigurationError("give one password source: password= (text or a callable) or password_file=")
        self._value = value
        self._factory = factory
        self._file = None if file is None else Path(file)

    def __call__(self) -> str:
        """The password to use for the next connection.

        Raises:
            ConfigurationError: the file cannot be read, or the callable failed or
                returned something other than text (its error is chained, never its result).
        """
        if self._value is not None:
            return self._value
        if self._file is not None:
            try:
                # One trailing newline, as secret files written by `echo` or a platform carry.
                return self._file.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
            except OSError as exc:
                raise ConfigurationError(f"cannot read the password file {str(self._file)!r}: "
                                         f"{exc.strerror or type(exc).__name__}") from None
        assert self._factory is not None
        name = getattr(self._factory, "__qualname__", type(self._factory).__name__)
        try:
            password = self._factory()
        except Exception as exc:
            # Not chained: a provider's error may quote what it fetched.
            raise ConfigurationError(f"the password callable {name} failed: {type(exc).__name__}") from None
        if not isinstance(password, str):
            raise ConfigurationError(f"the password callable {name} must return text, not "
                                     f"{type(password).__name__}")
        return password

    @property
    def describe(self) -> str:
        """Where the password comes from, without the password."""
        if self._file is not None:
            return f"from file {str(self._file)!r}"
        if self._factory is not None:
            return f"from {getattr(self._factory, '__qualname__', 'a callable')}()"
        return "given"

    def __repr__(self) -> str:
        return f"<password {self.describe}>"


def password_source(password: str | PasswordFactory | None = None,
                    password_file: str | os.PathLike[str] | None = None) -> PasswordSource | None:
    """The source for ``connect()``'s ``password=`` and ``password_file=``, or None when neither is given.

    Raises:
        ConfigurationError: both are given, or ``password`` is neither text nor a callable.
    """
    if password is not None and password_file is not None:
        raise ConfigurationError("give password= or password_file=, not both")
    if password_file is not None:
        return PasswordSource(file=password_file)
    if password is None:
        return None
    if isinstance(password, str):
        return PasswordSource(value=password)
    if callable(password):
        return PasswordSource(factory=password)
    raise ConfigurationError(f"password= takes text or a callable returning text, not {type(password).__name__}")
