"""TLS settings shared by the server backends, under the same names on every one.

The words are libpq's, which most users know, with the MySQL client's spellings as
aliases; each backend reads them from its URL (or ``connect()``'s keywords):

- ``sslmode``: ``disable``, ``allow``, ``prefer``, ``require`` (encrypted, not
  verified), ``verify-ca`` (the chain is checked against the CA) or ``verify-full``
  (the chain and the host name);
- ``sslrootcert`` / ``ssl_ca``: the CA file (default: the system's CAs);
- ``sslcert`` / ``ssl_cert`` and ``sslkey`` / ``ssl_key``: a client certificate;
- ``ssl_verify_identity=true`` (MySQL's word) is ``sslmode=verify-full``, and so is
  ``ssl=true``; ``ssl_verify_identity=false`` with a CA is ``verify-ca``; ``ssl=false`` is
  ``disable``.

Given a CA file but no mode, the mode is ``verify-full``: a CA is given to be checked
against. A mode that verifies never falls back to a plain connection.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ormada.backends._options import Parser, flag, text
from ormada.errors import ConfigurationError

MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
VERIFYING = ("verify-ca", "verify-full")
ALIASES = {"ssl_ca": "sslrootcert", "ssl_cert": "sslcert", "ssl_key": "sslkey"}


def ssl_mode(value: str) -> str:
    """One of :data:`MODES`."""
    lowered = value.lower()
    if lowered not in MODES:
        raise ValueError(f"must be one of {', '.join(MODES)}")
    return lowered


# The URL options every server backend takes for TLS, with their parsers.
TLS_OPTIONS: dict[str, Parser] = {
    "sslmode": ssl_mode, "sslrootcert": text, "ssl_ca": text, "sslcert": text, "ssl_cert": text,
    "sslkey": text, "ssl_key": text, "ssl_verify_identity": flag, "ssl": flag,
}


@dataclass(frozen=True)
class TlsSettings:
    """What a URL asks of TLS: a mode (None: the driver's default) and the files."""

    mode: str | None = None
    ca: str | None = None
    cert: str | None = None
    key: str | None = None

    @property
    def encrypted(self) -> bool:
        """TLS is required (a failed handshake is an error, never a plain connection)."""
        return self.mode in ("require", *VERIFYING)

    @property
    def verifies(self) -> bool:
        """The server's certificate is checked against the CA."""
        return self.mode in VERIFYING

    def context(self, describe: str) -> ssl.SSLContext:
        """An ``ssl.SSLContext`` doing what the mode says, for drivers that take one.

        Raises:
            ConfigurationError: a CA, certificate or key file cannot be read.
        """
        try:
            context = ssl.create_default_context(cafile=self.ca)
            if self.mode != "verify-full":
                context.check_hostname = False
            if not self.verifies:
                context.verify_mode = ssl.CERT_NONE
            if self.cert is not None:
                context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(f"{describe}: cannot load the TLS files ({self._files()}): "
                                     f"{exc.strerror or exc}") from None
        return context

    def _files(self) -> str:
        named = (("sslrootcert", self.ca), ("sslcert", self.cert), ("sslkey", self.key))
        return ", ".join(f"{name}={path}" for name, path in named if path is not None) or "the system's CAs"

    def check_files(self, describe: str) -> None:
        """Refuses a named file that does not exist, before any connection is tried.

        Raises:
            ConfigurationError: naming the option and the path.
        """
        for name, path in (("sslrootcert", self.ca), ("sslcert", self.cert), ("sslkey", self.key)):
            if path is not None and not Path(path).is_file():
                raise ConfigurationError(f"{describe}: {name}={path!r} is not a file")


def tls_settings(options: dict[str, Any], describe: str) -> TlsSettings:
    """The TLS settings among a URL's parsed options.

    Raises:
        ConfigurationError: two spellings of one setting disagree, a mode contradicts
            ``ssl_verify_identity``/``ssl``, a key is given without a certificate, or a
            file does not exist.
    """
    values: dict[str, str] = {}
    for name in ("sslrootcert", "sslcert", "sslkey"):
        alias = next(a for a, n in ALIASES.items() if n == name)
        if name in options and alias in options and options[name] != options[alias]:
            raise ConfigurationError(f"{describe}: {name} and {alias} name different files; give one")
        value = options.get(name, options.get(alias))
        if value is not None:
            values[name] = value
    mode: str | None = options.get("sslmode")
    for word in ("ssl_verify_identity", "ssl"):
        if word not in options:
            continue
        implied: str | None = "verify-full" if options[word] else "disable"
        if word == "ssl_verify_identity" and not options[word]:
            # MySQL's words: a CA without the identity check is verify-ca.
            implied = "verify-ca" if "sslrootcert" in values else None
            if implied is None or (mode is not None and mode != "verify-full"):
                continue
        if mode is not None and mode != implied:
            raise ConfigurationError(f"{describe}: sslmode={mode} contradicts {word}={str(options[word]).lower()}")
        mode = implied
    if mode is None and "sslrootcert" in values:
        mode = "verify-full"
    if "sslkey" in values and "sslcert" not in values:
        raise ConfigurationError(f"{describe}: sslkey needs sslcert (the client certificate)")
    settings = TlsSettings(mode, values.get("sslrootcert"), values.get("sslcert"), values.get("sslkey"))
    settings.check_files(describe)
    return settings


def tls_failure(exc: BaseException) -> str | None:
    """Says which TLS check failed, in words, for an error raised while connecting; None when none did."""
    text = str(exc)
    lowered = text.lower()
    if "hostname mismatch" in lowered or "does not match host name" in lowered or "address mismatch" in lowered \
            or "not valid for" in lowered:
        return "TLS: the server's certificate does not name this host (hostname mismatch)"
    if "certificate verify failed" in lowered or "unable to get local issuer" in lowered \
            or "self-signed certificate" in lowered or "certificate signature failure" in lowered \
            or "root certificate file" in lowered:
        return "TLS: the server's certificate is not signed by the given CA (certificate verify failed)"
    if "does not support ssl" in lowered or "ssl is not enabled" in lowered or "doesn't support ssl" in lowered \
            or "wrong version number" in lowered or "record layer failure" in lowered \
            or "rejected ssl upgrade" in lowered:
        return "TLS: the server does not speak TLS on this port"
    if "no encryption" in lowered or "requires ssl" in lowered or "require ssl" in lowered:
        return "TLS: the server takes this user over TLS only, and the connection was plain"
    return None


def connect_error(describe: str, exc: BaseException, detail: str, hint: str | None = None) -> str:
    """The message of a failed connection: the URL (no password), the TLS check that failed if one
    did (else ``hint``, when given), and the driver's detail."""
    reason = tls_failure(exc) or hint
    return f"could not connect to {describe}: {reason}; {detail}" if reason else \
        f"could not connect to {describe}: {detail}"
