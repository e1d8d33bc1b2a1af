"""A per-client request budget: past it, 429 Too Many Requests with Retry-After.

A fixed window per client address, like the Dataverse service protection limit (6,000
requests per 5 minutes by default). Pure ASGI, so it adds almost nothing per request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from commonground.api.errors import error_body

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestBudget:
    """Allow `limit` requests per client per `window` seconds (limit 0: no budget)."""

    def __init__(self, app: App, limit: int, window: float, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.window = window
        self.exempt = exempt
        self.counts: dict[str, tuple[float, int]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        now = time.monotonic()
        started, used = self.counts.get(client, (now, 0))
        if now - started >= self.window:
            started, used = now, 0
        if used >= self.limit:
            retry = max(1, int(self.window - (now - started)) + 1)
            await _too_many(send, retry)
            return
        self.counts[client] = (started, used + 1)
        await self.app(scope, receive, send)


async def _too_many(send: Send, retry: int) -> None:
    body = error_body("TooManyRequests", f"request budget exceeded; retry after {retry} s")
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(retry).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
