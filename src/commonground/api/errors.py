"""One error shape for every HTTP error: the OData JSON error format.

    {"error": {"code": "...", "message": "...", "details": [{"code", "target", "message"}]}}

Product errors are translated here, once, into a status that fits: a bad query or record is
400, a missing privilege 403, a missing thing 404, a stale version 412, a clash with stored
data 409, an unavailable database 503. Anything else is a bug and answers 500 without
leaking internals.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from commonground.errors import (
    AlreadyExistsError,
    CommonGroundError,
    ConflictError,
    DefinitionError,
    ForbiddenError,
    NotFoundError,
    RecordValidationError,
    ReferentialIntegrityError,
    SchemaChangeError,
    StoreUnavailableError,
)


class ApiError(Exception):
    """An HTTP error raised by the API layer itself (bad method, body, header...)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details or []


STATUS_BY_ERROR: tuple[tuple[type[CommonGroundError], int], ...] = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (RecordValidationError, 400),
    (DefinitionError, 400),
    (SchemaChangeError, 400),
    (AlreadyExistsError, 409),
    (ReferentialIntegrityError, 409),
    (ConflictError, 412),
    (StoreUnavailableError, 503),
)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> bytes:
    """The JSON bytes of an OData error."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    body: bytes = orjson.dumps({"error": error})
    return body


def error_response(error: ApiError) -> Response:
    """The response for an API error."""
    headers = {"OData-Version": "4.0", **error.headers}
    return Response(
        error_body(error.code, error.message, error.details),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )


def api_error(exc: CommonGroundError) -> ApiError:
    """The API error for a product error."""
    status = next((s for kind, s in STATUS_BY_ERROR if isinstance(exc, kind)), 400)
    details: list[dict[str, Any]] = []
    if isinstance(exc, RecordValidationError):
        details = [
            {
                "code": e.code,
                "target": e.field or "",
                "message": e.message,
                "index": e.index,
                **({"key": e.record_key} if e.record_key else {}),
            }
            for e in exc.errors
        ]
    headers = {"Retry-After": "5"} if status == 503 else {}
    return ApiError(status, exc.code, str(exc), headers, details)
