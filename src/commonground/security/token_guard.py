"""The authentication middleware: every request carries a bearer access token.

Pure ASGI, so it adds one dict lookup and a signature check per request; the identity
behind a token is looked up in the directory only every few seconds (authentication.py),
and then in the thread pool, because the lookup blocks on the database.

Only liveness (`GET /health`) and the token endpoint itself are open. On success the
caller is put into the scope under `commonground.caller` (read it with `caller_of`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from commonground.api.errors import error_body
from commonground.security.authentication import Authenticator
from commonground.security.caller import CALLER_KEY
from commonground.security.token_endpoint import TOKEN_PATH
from commonground.security.tokens import InvalidTokenError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN = frozenset({("GET", "/health"), ("POST", TOKEN_PATH)})
REALM = 'Bearer realm="commonground"'


class TokenGuard:
    """Lets through only requests with a valid bearer token (see the module docstring)."""

    def __init__(self, app: App, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http" and (scope["method"], scope["path"]) in OPEN
        ):
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        token = bearer_token(scope)
        if token is None:
            await _unauthorized(send, "an access token is needed (Authorization: Bearer ...)")
            return
        try:
            caller = await self.authenticator.caller_of_token(token)
        except InvalidTokenError as exc:
            await _unauthorized(send, str(exc), invalid=True)
            return
        scope[CALLER_KEY] = caller
        await self.app(scope, receive, send)


def secured(app: App, authenticator: Authenticator) -> TokenGuard:
    """`app` behind the authentication middleware."""
    return TokenGuard(app, authenticator)


def bearer_token(scope: Scope) -> str | None:
    """The token of the request's `Authorization: Bearer` header (None without one)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


async def _unauthorized(send: Send, message: str, invalid: bool = False) -> None:
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    body = error_body("Unauthorized", message)
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"odata-version", b"4.0"),
                (b"www-authenticate", challenge.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
