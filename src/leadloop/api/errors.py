"""Map :mod:`leadloop.errors` to HTTP answers with a ``{code, message, detail}`` body."""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from leadloop.errors import (
    AuthError,
    CatalogValidationError,
    ConflictError,
    ForbiddenError,
    IllegalTransitionError,
    LeadloopError,
    NotFoundError,
    OverloadedError,
    PayloadTooLargeError,
    StoreError,
    UnprocessableError,
    ValidationError,
)

STATUS: list[tuple[type[LeadloopError], int]] = [
    (PayloadTooLargeError, 413),
    (CatalogValidationError, 422),
    (UnprocessableError, 422),
    (ValidationError, 400),
    (ForbiddenError, 403),
    (AuthError, 401),
    (NotFoundError, 404),
    (ConflictError, 409),
    (IllegalTransitionError, 409),
    (OverloadedError, 429),
    (StoreError, 503),
]


def status_for(exc: LeadloopError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def json_response(
    body: object, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status_code, headers=headers, media_type="application/json"
    )


def error_response(exc: LeadloopError) -> Response:
    headers = {}
    if isinstance(exc, OverloadedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, StoreError):
        headers["Retry-After"] = "1"
    return json_response(
        {"code": exc.code, "message": exc.message, "detail": exc.detail},
        status_code=status_for(exc),
        headers=headers,
    )


def _field(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if len(parts) > 1 and parts[0] in ("body", "query") else parts)


def validation_response(exc: RequestValidationError) -> Response:
    """FastAPI's own validation errors (bodies, queries) in the house shape, naming each field."""
    errors = [{"field": _field(e["loc"]), "message": str(e["msg"])} for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    message = f"invalid request: {first['field']}: {first['message']}{more}"
    detail = {"field": first["field"], "problems": errors}
    return json_response({"code": "invalid_request", "message": message, "detail": detail}, 422)


def install(app: FastAPI) -> None:
    @app.exception_handler(LeadloopError)
    async def _leadloop_error(_request: Request, exc: LeadloopError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        return validation_response(exc)
