"""OAuth2 bearer tokens for HTTP clients: fetched with the client credentials grant (an
integration's application user) or the password grant (a person, e.g. through the SDK),
cached, and renewed on expiry or 401.

The token request goes through the same httpx flow as the request it authorizes (an
`httpx.Auth` may send requests of its own), so it shares the connection's transport and
timeouts. The token is reused until shortly before `expires_in`; a 401 on a request made with
a cached token means the service revoked it early, so a new token is fetched and the request
sent once more. The secret is only ever put into the token request's form.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx
from pydantic import SecretStr

from commonground.integration.contracts import AuthenticationFailedError, ConnectionFailedError

DEFAULT_LIFETIME = 3600.0
EARLY = 60.0  # renew this many seconds before expiry (a tenth of the lifetime when shorter)


class BearerAuth(httpx.Auth):
    """Bearer tokens from a token endpoint (see the module docstring); subclasses say which
    grant asks for them."""

    requires_response_body = True

    def __init__(
        self, token_url: str, who: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.token_url = token_url
        self.who = who
        self._clock = clock
        self.token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send the request with a token; on 401 with a cached token, renew it and resend."""
        fresh = False
        with self._lock:
            if self.token is None or self._clock() >= self._renew_at:
                yield from self._renew()
                fresh = True
            token = self.token
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and not fresh:
            with self._lock:
                if self.token == token:
                    yield from self._renew()
                request.headers["Authorization"] = f"Bearer {self.token}"
            yield request

    def grant_form(self) -> dict[str, str]:
        """The token request's form (the only place a secret is put)."""
        raise NotImplementedError

    def _renew(self) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield httpx.Request("POST", self.token_url, data=self.grant_form())
        if response.status_code == 429 or response.status_code >= 500:
            raise ConnectionFailedError(
                f"the token endpoint {self.token_url} failed (HTTP {response.status_code})"
            )
        body = _json(response) if response.status_code == 200 else {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationFailedError(
                f"the token endpoint {self.token_url} refused {self.who} "
                f"(HTTP {response.status_code})"
            )
        try:
            seconds = float(body.get("expires_in", DEFAULT_LIFETIME))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = DEFAULT_LIFETIME
        self.token = token
        self._renew_at = self._clock() + seconds - min(EARLY, seconds / 10)


class ClientCredentialsAuth(BearerAuth):
    """Tokens for an application user's client id and secret."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(token_url, f"client '{client_id}'", clock)
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope

    def grant_form(self) -> dict[str, str]:
        """grant_type=client_credentials."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        if self.scope:
            form["scope"] = self.scope
        return form


class PasswordAuth(BearerAuth):
    """Tokens for a user's name and password."""

    def __init__(
        self,
        token_url: str,
        username: str,
        password: SecretStr,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(token_url, f"user '{username}'", clock)
        self.username = username
        self._password = password

    def grant_form(self) -> dict[str, str]:
        """grant_type=password."""
        return {
            "grant_type": "password",
            "username": self.username,
            "password": self._password.get_secret_value(),
        }


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
