"""Parsing database URLs, and showing them without their passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from ormada.errors import ConfigurationError

if TYPE_CHECKING:
    from ormada._credentials import PasswordSource

# Query options whose values are secrets: shown as *** like the password.
SECRET_OPTION = re.compile(r"^(?!.*_file$).*(pass|secret|token)", re.IGNORECASE)

SCHEMES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "duckdb": "duckdb",
    "cassandra": "cassandra",
    "scylla": "cassandra",
    "scylladb": "cassandra",
}


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed URL. ``hosts`` holds ``(host, port)`` pairs; ``database`` is the
    database name, the file path (SQLite, DuckDB) or the keyspace (Cassandra)."""

    backend: str
    driver: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    hosts: tuple[tuple[str, int | None], ...] = ()
    database: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    # A password given apart from the URL (text, a callable, a file), asked for on every new connection.
    password_source: PasswordSource | None = field(default=None, repr=False, compare=False)

    def current_password(self) -> str | None:
        """The password for a new connection: from the source given to ``connect()``, else the URL's.

        Raises:
            ConfigurationError: the source failed (an unreadable file, a failing callable).
        """
        if self.password_source is not None:
            return self.password_source()
        return self.password

    def with_credentials(self, source: PasswordSource | None) -> DatabaseURL:
        """This URL with its password taken from ``source`` (the URL's own is dropped)."""
        return self if source is None else replace(self, password=None, password_source=source)

    def with_options(self, options: dict[str, str]) -> DatabaseURL:
        """This URL with more query options (keyword arguments win over the URL's)."""
        return self if not options else replace(self, query={**self.query, **options})

    def without_options(self, *names: str) -> DatabaseURL:
        """This URL without the named query options."""
        if not any(name in self.query for name in names):
            return self
        return replace(self, query={k: v for k, v in self.query.items() if k not in names})

    @property
    def host(self) -> str | None:
        """The first host, if any."""
        return self.hosts[0][0] if self.hosts else None

    @property
    def port(self) -> int | None:
        """The first host's port, if any."""
        return self.hosts[0][1] if self.hosts else None

    @property
    def is_memory(self) -> bool:
        """An in-memory embedded database."""
        return self.database in (None, "", ":memory:")

    def render(self, *, hide_password: bool = True) -> str:
        """The URL as text; the password shows as ``***`` unless asked otherwise."""
        scheme = self.backend if self.driver is None else f"{self.backend}+{self.driver}"
        auth = ""
        if self.username is not None:
            auth = quote(self.username, safe="")
            if self.password is not None and not hide_password:
                auth += ":" + quote(self.password, safe="")
            elif self.password is not None or self.password_source is not None:
                auth += ":***"
            auth += "@"
        hosts = ",".join(_host_text(h) if p is None else f"{_host_text(h)}:{p}" for h, p in self.hosts)
        if self.backend in ("sqlite", "duckdb"):
            path = self.database or ":memory:"
            text = f"{scheme}:///{path}" if path != ":memory:" else f"{scheme}://:memory:"
        else:
            text = f"{scheme}://{auth}{hosts}/{self.database or ''}"
        if self.query:
            text += "?" + "&".join(
                f"{k}={'***' if hide_password and SECRET_OPTION.search(k) else quote(v, safe='')}"
                for k, v in self.query.items())
        return text

    def __str__(self) -> str:
        return self.render()


def parse_url(url: str) -> DatabaseURL:
    """Parses ``sqlite:///path``, ``sqlite://:memory:``, ``postgresql://user@host:port/db``,
    ``cassandra://h1,h2:9042/keyspace`` and the like.

    Raises:
        ConfigurationError: the URL is malformed; the message never shows its password.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"malformed database URL {_mask(str(url))!r}: expected scheme://…, e.g. "
            "'sqlite:///app.db', 'postgresql://user@localhost:5432/app'"
        )
    scheme, rest = url.split("://", 1)
    base, _, driver = scheme.partition("+")
    backend = SCHEMES.get(base.lower())
    if backend is None:
        raise ConfigurationError(
            f"unknown database scheme {base!r} in {_mask(url)!r}; known: {', '.join(sorted(SCHEMES))}"
        )
    rest, _, query_text = rest.partition("?")
    query = dict(parse_qsl(query_text, keep_blank_values=True))
    if backend in ("sqlite", "duckdb"):
        if rest in ("", ":memory:", "/:memory:"):
            return DatabaseURL(backend, driver or None, database=":memory:", query=query)
        if not rest.startswith("/"):
            raise ConfigurationError(
                f"malformed {backend} URL {url!r}: use {backend}:///relative/path.db, "
                f"{backend}:////absolute/path.db or {backend}://:memory:"
            )
        return DatabaseURL(backend, driver or None, database=unquote(rest[1:]), query=query)
    parts = urlsplit(f"//{rest}")
    netloc = parts.netloc
    userinfo, _, hostlist = netloc.rpartition("@")
    username = password = None
    if userinfo:
        user, sep, pw = userinfo.partition(":")
        username = unquote(user)
        password = unquote(pw) if sep else None
    hosts: list[tuple[str, int | None]] = []
    for item in filter(None, hostlist.split(",")):
        host, port = _split_port(item, url)
        hosts.append((host, port))
    database = unquote(parts.path.lstrip("/")) or None
    return DatabaseURL(backend, driver or None, username, password, tuple(hosts), database, query)


def _split_port(item: str, url: str) -> tuple[str, int | None]:
    if item.startswith("["):  # IPv6 literal
        host, _, tail = item[1:].partition("]")
        port_text = tail.lstrip(":")
    else:
        host, _, port_text = item.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigurationError(
            f"malformed database URL {_mask(url)!r}: port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)


def _host_text(host: str) -> str:
    return f"[{host}]" if ":" in host else host


_PASSWORD = re.compile(r"(?P<user>[^:/@\s]*):(?P<password>[^@\s/]*)@")
_SECRET_PARAM = re.compile(r"(?P<name>[?&][^=&\s]*(?:pass|secret|token)[^=&\s]*)=[^&\s]*", re.IGNORECASE)


def _mask(url: str) -> str:
    """Hides anything that looks like a password (``user:secret@``, ``?password=…``) in
    text that failed to parse as a URL."""
    url = _SECRET_PARAM.sub(lambda m: f"{m.group('name')}=***", url)
    return _PASSWORD.sub(lambda m: f"{m.group('user')}:***@", url)
