"""OAuth2 client credentials for a remote environment: a bearer token, fetched and cached.

The token is fetched on the first request (POST grant_type=client_credentials to the token
endpoint) and reused until shortly before it expires, so a run of thousands of requests asks
for one token. A refused client is an AuthenticationFailedError, an unreachable endpoint a
ConnectionFailedError; neither message ever shows the secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

import httpx
from pydantic import SecretStr

from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
)

DEFAULT_LIFETIME = 3600.0
EARLY = 60.0  # renew this many seconds before expiry (a tenth of the lifetime when shorter)


class ClientCredentials(httpx.Auth):
    """httpx authentication that sends a cached client-credentials bearer token."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Every request carries the current token."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request

    def token(self) -> str:
        """The cached token, fetched again when it is about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, lifetime = self._fetch()
                self._renew_at = self._clock() + lifetime - min(EARLY, lifetime / 10)
            return self._token

    def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        try:
            response = httpx.post(self.token_url, data=form, timeout=30)
        except httpx.TransportError as exc:
            message = f"cannot reach the token endpoint {self.token_url}: {type(exc).__name__}"
            raise ConnectionFailedError(message) from None
        if response.status_code >= 500:
            message = f"the token endpoint {self.token_url} failed (HTTP {response.status_code})"
            raise ConnectionFailedError(message)
        body = response.json() if response.status_code == 200 else {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationFailedError(
                f"the token endpoint {self.token_url} refused client '{self.client_id}' "
                f"(HTTP {response.status_code})"
            )
        lifetime = body.get("expires_in", DEFAULT_LIFETIME)
        return token, float(lifetime) if isinstance(lifetime, int | float) else DEFAULT_LIFETIME
