"""The caller of a request: the identity authentication put into the request's scope.

A `$batch` hands the scope's caller on to each request it contains, so every request of a
batch runs with the rights of whoever sent the batch.
"""

from __future__ import annotations

from starlette.requests import Request

from commonground.security.caller import SYSTEM, Caller

CALLER_KEY = "commonground.caller"


def request_caller(request: Request) -> Caller:
    """Who sent the request (the local operator until sign-in is wired into the app)."""
    found = request.scope.get(CALLER_KEY)
    return found if isinstance(found, Caller) else SYSTEM
