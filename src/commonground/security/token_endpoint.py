"""`POST /oauth2/token`: the OAuth 2.0 token endpoint (RFC 6749).

Three grants: `password` (a user's name and password; answers with a refresh token too),
`client_credentials` (an application user's client id and secret, in the form or in an
HTTP Basic header) and `refresh_token`. Errors have RFC 6749's JSON shape, not the OData
one, because OAuth clients (ours in integration/connectors/oauth.py among them) read that.
Sign-in is throttled (see throttle.py): past the limit the answer is 429 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from commonground.security.authentication import (
    Authenticator,
    SignInRefusedError,
    SignInThrottledError,
    TokenGrant,
)
from commonground.security.token_requests import (
    TokenRequestError,
    parse_basic_credentials,
    parse_token_form,
)

TOKEN_PATH = "/oauth2/token"
MAX_BODY_BYTES = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CLIENT_CHALLENGE = {"WWW-Authenticate": 'Basic realm="commonground"'}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}


def token_route(authenticator: Authenticator) -> Route:
    """The token endpoint's route, for the API app's route list."""

    async def token(request: Request) -> Response:
        try:
            grant = await _grant(request, authenticator)
        except OAuthError as exc:
            return _json(
                {"error": exc.error, "error_description": exc.description},
                exc.status,
                exc.headers,
            )
        body: dict[str, object] = {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": grant.expires_in,
        }
        if grant.refresh_token is not None:
            body["refresh_token"] = grant.refresh_token
        return _json(body, 200)

    return Route(TOKEN_PATH, token, methods=["POST"])


async def _grant(request: Request, authenticator: Authenticator) -> TokenGrant:
    form = await _form(request)
    address = request.client.host if request.client else None
    grant_type = form.get("grant_type")
    if grant_type == "password":
        name, password = _required(form, "username"), _required(form, "password")
        refused = OAuthError(400, "invalid_grant", "the user name or password is not valid")
        return await _sign_in(authenticator.sign_in_user, name, password, address, refused)
    if grant_type == "client_credentials":
        client_id, secret = _client_credentials(request, form)
        refused = OAuthError(
            401, "invalid_client", "the client credentials are not valid", CLIENT_CHALLENGE
        )
        return await _sign_in(
            authenticator.sign_in_application, client_id, secret, address, refused
        )
    if grant_type == "refresh_token":
        refresh_token = _required(form, "refresh_token")
        try:
            return await run_in_threadpool(authenticator.refresh, refresh_token)
        except SignInRefusedError as exc:
            raise OAuthError(400, "invalid_grant", str(exc)) from exc
    if grant_type is None:
        raise OAuthError(400, "invalid_request", "the grant_type parameter is missing")
    raise OAuthError(400, "unsupported_grant_type", f"the grant type '{grant_type}' is unknown")


async def _sign_in(
    sign_in: Callable[[str, str, str | None], TokenGrant],
    name: str,
    secret: str,
    address: str | None,
    refused: OAuthError,
) -> TokenGrant:
    """Run a throttled sign-in in the thread pool (hashing and the database block);
    `refused` is the answer when the credentials are wrong."""
    try:
        return await run_in_threadpool(sign_in, name, secret, address)
    except SignInThrottledError as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        raise OAuthError(429, "temporarily_unavailable", str(exc), headers) from exc
    except SignInRefusedError as exc:
        raise refused from exc


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise OAuthError(400, "invalid_request", f"the body must be {FORM_TYPE}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise OAuthError(400, "invalid_request", "the body is too large")
    try:
        return parse_token_form(body)
    except TokenRequestError as exc:
        raise OAuthError(400, "invalid_request", str(exc)) from exc


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if value is None:
        raise OAuthError(400, "invalid_request", f"the {name} parameter is missing")
    return value


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """From the Basic header or the form, not both (RFC 6749 §2.3: one method per request)."""
    try:
        basic = parse_basic_credentials(request.headers.get("authorization", ""))
    except TokenRequestError as exc:
        raise OAuthError(401, "invalid_client", str(exc), CLIENT_CHALLENGE) from exc
    in_form = "client_id" in form or "client_secret" in form
    if basic is not None and in_form:
        raise OAuthError(400, "invalid_request", "client credentials are given twice")
    if basic is not None:
        return basic
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if client_id is None or secret is None:
        raise OAuthError(401, "invalid_client", "client credentials are missing", CLIENT_CHALLENGE)
    return client_id, secret


def _json(body: dict[str, object], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )
