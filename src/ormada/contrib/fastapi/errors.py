"""``install_exception_handlers``: ormada's errors as JSON responses with fitting statuses.

Every body is ``{"error": <code>, "detail": <message>}``. The message is ormada's own,
without the statement it came from and without a traceback: a client learns which
constraint refused a write, never the SQL that was sent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from ormada.errors import (
    CursorError,
    DataError,
    DoesNotExist,
    IntegrityError,
    InvalidPage,
    NotSupported,
    OrmadaError,
    QueryError,
)

logger = logging.getLogger("ormada.contrib.fastapi")

#: The status of each error family, most specific first (the first match wins).
STATUSES: tuple[tuple[type[OrmadaError], int], ...] = (
    (DoesNotExist, 404),
    (IntegrityError, 409),
    (CursorError, 400),
    (InvalidPage, 400),
    (QueryError, 400),
    (DataError, 400),
    (NotSupported, 501),
    (OrmadaError, 500),
)

# Database errors end with the statement that raised them: "(in: SELECT …)".
_STATEMENT = re.compile(r"\s*\(in: .*", re.DOTALL)


class ErrorBody(BaseModel):
    """The body of an error answer (OpenAPI's schema of it)."""

    error: str
    detail: Any


def status_of(exc: OrmadaError) -> int:
    """The HTTP status an ormada error answers with."""
    return next(status for family, status in STATUSES if isinstance(exc, family))


def public_message(exc: OrmadaError) -> str:
    """ormada's message for ``exc`` without the statement text it may end with and
    without the pointer to the error reference (the ``error`` code names that)."""
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    return _STATEMENT.sub("", message).strip() or type(exc).__name__


def error_body(code: str, detail: Any) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": code, "detail": detail}


def error_response(request: Request,
                   exc: OrmadaError | ValidationError | RequestValidationError | HTTPException) -> JSONResponse:
    """The JSON answer to an ormada error, a validation error or an ``HTTPException``."""
    if isinstance(exc, HTTPException):
        return JSONResponse(error_body("http", exc.detail), status_code=exc.status_code, headers=exc.headers)
    if not isinstance(exc, OrmadaError):
        errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc.errors()
        return JSONResponse(error_body("validation", jsonable_encoder(errors)), status_code=422)
    status = status_of(exc)
    if status >= 500:  # the traceback goes to the log, never to the client
        logger.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
    return JSONResponse(error_body(exc.code, public_message(exc)), status_code=status)


async def _ormada_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OrmadaError)
    return error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304) or exc.status_code < 400:  # no body for these
        return Response(status_code=exc.status_code, headers=exc.headers)
    return error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, (RequestValidationError, ValidationError))
    return error_response(request, exc)


def install_exception_handlers(app: FastAPI) -> None:
    """Answers ormada's errors and validation errors with JSON bodies.

    ``DoesNotExist`` → 404, ``IntegrityError`` → 409, ``QueryError`` (an unknown field or
    lookup, a bad value, ``CursorError``, ``InvalidPage``) and ``DataError`` (a value that
    does not fit its column, such as a key beyond the column's range) → 400, a request or model that
    fails validation → 422, ``NotSupported`` → 501, any other ``OrmadaError`` → 500 (and
    logged with its traceback on the ``ormada.contrib.fastapi`` logger). An
    ``HTTPException`` (the application's own, or FastAPI's for a body that is not JSON) keeps
    its status, headers and detail, with ``"error": "http"``, so every error body has one shape.
    """
    app.add_exception_handler(OrmadaError, _ormada_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
