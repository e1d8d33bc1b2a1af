"""Sessions of the admin center: the same sign-in, tokens and rights as the API, carried in
cookies instead of an Authorization header.

Signing in with a user's name and password (throttled like the token endpoint) gets an access
token and a refresh token, kept in HttpOnly cookies scoped to /admin. Each request is
authenticated from the access token; when it has expired the refresh token (used once) gets a
new pair, so a session lives while it is used and ends `SESSION_HOURS` after sign-in at the
latest (the refresh cookie's age), at sign-out, or when the user is disabled or their
password reset (the tokens are revoked then).

Forms are protected against cross-site requests twice: the session cookies are SameSite, and
every POST must carry the value of a random `cg_csrf` cookie in a hidden field (a page on
another site can neither read that cookie nor set it).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from commonground.security.authentication import (
    Authenticator,
    SignInRefusedError,
    SignInThrottledError,
    TokenGrant,
)
from commonground.security.caller import CALLER_KEY, Caller
from commonground.security.tokens import InvalidTokenError

BASE = "/admin"
ACCESS_COOKIE = "cg_access"
REFRESH_COOKIE = "cg_refresh"
CSRF_COOKIE = "cg_csrf"
CSRF_FIELD = "csrf"
SESSION_HOURS = 8
OPEN_PATHS = frozenset({f"{BASE}/sign-in", f"{BASE}/static"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class CsrfError(Exception):
    """A form came without the page's CSRF token."""


def csrf_token(request: Request) -> str:
    """The CSRF token forms on this page must carry (set as a cookie by `with_csrf`)."""
    found = request.cookies.get(CSRF_COOKIE)
    if found:
        return found
    token: str = request.scope.setdefault("commonground.csrf", secrets.token_urlsafe(24))
    return token


def with_csrf(request: Request, response: Response) -> Response:
    """Give the browser the CSRF cookie when it has none yet."""
    if not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, csrf_token(request), httponly=True, samesite="strict", path=BASE
        )
    return response


async def _checked(request: Request) -> FormData:
    """The POSTed form, refused (CsrfError) unless its CSRF field matches the cookie."""
    form = await request.form()
    given = str(form.get(CSRF_FIELD, ""))
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(given, expected):
        raise CsrfError("the form is stale or came from another site; reload the page")
    return form


async def checked_form(request: Request) -> dict[str, str]:
    """A POSTed form's text fields, CSRF checked."""
    form = await _checked(request)
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def checked_upload(request: Request, field: str) -> tuple[dict[str, str], bytes]:
    """A POSTed multipart form's text fields and one file's content, CSRF checked."""
    form = await _checked(request)
    upload = form.get(field)
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    return {key: value for key, value in form.items() if isinstance(value, str)}, content


def signed_in(response: Response, grant: TokenGrant) -> Response:
    """Keep a sign-in's tokens in the session cookies."""
    response.set_cookie(
        ACCESS_COOKIE,
        grant.access_token,
        max_age=grant.expires_in,
        httponly=True,
        samesite="lax",
        path=BASE,
    )
    if grant.refresh_token is not None:
        response.set_cookie(
            REFRESH_COOKIE,
            grant.refresh_token,
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            samesite="strict",
            path=BASE,
        )
    return response


def signed_out(response: Response) -> Response:
    """End the session in the browser."""
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path=BASE)
    return response


async def sign_in(
    authenticator: Authenticator, request: Request, name: str, password: str
) -> TokenGrant:
    """Tokens for a user's name and password (the token endpoint's checks and throttle)."""
    address = request.client.host if request.client else None
    return await run_in_threadpool(authenticator.sign_in_user, name, password, address)


class SessionGuard:
    """Admin pages need a signed-in session; the caller is put into the scope as the API's
    middleware does, so every page asks the service layer with the same rights."""

    def __init__(self, app: App, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == BASE or path.startswith(f"{BASE}/")) or _open(path):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        caller = await self._caller(request.cookies.get(ACCESS_COOKIE))
        renewed: TokenGrant | None = None
        if caller is None and request.cookies.get(REFRESH_COOKIE):
            try:
                renewed = await run_in_threadpool(
                    self.authenticator.refresh, request.cookies[REFRESH_COOKIE]
                )
            except (SignInRefusedError, SignInThrottledError, InvalidTokenError):
                renewed = None
            caller = await self._caller(renewed.access_token if renewed else None)
        if caller is None:
            target = quote(
                path + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            )
            redirect = signed_out(RedirectResponse(f"{BASE}/sign-in?next={target}", 303))
            await redirect(scope, receive, send)
            return
        scope[CALLER_KEY] = caller
        if renewed is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _setting_cookies(send, renewed))

    async def _caller(self, token: str | None) -> Caller | None:
        if not token:
            return None
        try:
            return await self.authenticator.caller_of_token(token)
        except InvalidTokenError:
            return None


def _open(path: str) -> bool:
    return any(path == p or path.startswith(f"{p}/") for p in OPEN_PATHS)


def _setting_cookies(send: Send, grant: TokenGrant) -> Send:
    """`send` that adds the renewed session cookies to the response's headers."""
    cookies = signed_in(Response(), grant).raw_headers
    extra = [(k, v) for k, v in cookies if k == b"set-cookie"]

    async def sending(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending
