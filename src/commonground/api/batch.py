"""`$batch` (placeholder)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from commonground.api.errors import ApiError
from commonground.service.environment import Environment


def run(request: Request, env: Environment, content_type: str, raw: bytes) -> Response:
    """Not served yet."""
    raise ApiError(501, "NotImplemented", "$batch is not served yet")
