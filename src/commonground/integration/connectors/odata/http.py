"""HTTP to one OData service: retries, and the one place HTTP failures become connector errors.

Connection errors, timeouts, 5xx answers and 429 are retried with exponential backoff (a 429
or 503 that says `Retry-After`, in seconds or as an HTTP date, is waited out instead), up to
`max_retries` times, after which the failure is a ConnectionFailedError (transient). 401 and
403 are AuthenticationFailedErrors; other refusals are ConnectorErrors carrying the service's
own message (`error.message` of the OData error body). Messages are stored in run history,
so every secret (the client secret, the bearer token, the configured header values) is
masked in them, whatever the service echoes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from commonground.integration.connectors.oauth import ClientCredentialsAuth
from commonground.integration.connectors.odata.settings import ODataSettings
from commonground.integration.connectors.odata.values import JSON_TYPE
from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
    ConnectorError,
)

log = logging.getLogger(__name__)
BACKOFF_FIRST = 0.5  # seconds before the first retry, doubled for each next one
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 300.0  # a longer Retry-After is not waited out within a run


class _RetryableError(Exception):
    """A failure worth another attempt, with how long the service asked to wait."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class ServiceError(ConnectorError):
    """The service refused a request (a 4xx other than 401/403 and 429)."""

    code = "ServiceRefused"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ODataHttp:
    """An httpx client for one service, with retries and error translation."""

    def __init__(
        self, settings: ODataSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.settings = settings
        self.root = settings.root
        self.auth: ClientCredentialsAuth | None = None
        if settings.token_url and settings.client_id and settings.client_secret:
            self.auth = ClientCredentialsAuth(
                settings.token_url, settings.client_id, settings.client_secret, settings.scope
            )
        self.sleep = sleep  # how retries wait (tests record the waits instead)
        self.client = httpx.Client(
            base_url=self.root,
            timeout=settings.timeout,
            headers={"Accept": JSON_TYPE, "OData-Version": "4.0", **settings.headers},
            auth=self.auth,
        )

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """The response to a request (status below 400), retried as the module docstring says."""
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_RetryableError),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, params, headers, content)
        except _RetryableError as exc:
            raise ConnectionFailedError(
                self.mask(
                    f"{self._shown(url)}: {exc} (gave up after {self.settings.max_retries} retries)"
                )
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON object a GET answers (ConnectorError when the body is not one)."""
        response = self.send("GET", url, params=params, headers=headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ConnectorError(f"{self._shown(url)} did not answer with a JSON object")
        return body

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        content: bytes | None,
    ) -> httpx.Response:
        try:
            response = self.client.request(
                method, url, params=params, headers=headers, content=content
            )
        except httpx.TransportError as exc:
            raise _RetryableError(f"{type(exc).__name__}: {exc}") from None
        except ConnectionFailedError as exc:  # the token endpoint is unreachable
            raise _RetryableError(str(exc)) from None
        status = response.status_code
        if status == 429 or status >= 500:
            wait = retry_after(response.headers.get("Retry-After"))
            raise _RetryableError(f"HTTP {status} {_message(response)}".strip(), wait)
        if status in (401, 403):
            raise AuthenticationFailedError(
                self.mask(
                    f"{self._shown(url)}: the service refused the credentials (HTTP {status})"
                )
            )
        if status >= 400:
            raise ServiceError(
                self.mask(f"{self._shown(url)}: HTTP {status}: {_message(response)}"), status
            )
        return response

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        asked = failure.wait if isinstance(failure, _RetryableError) else None
        seconds = (
            asked
            if asked is not None
            else min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (state.attempt_number - 1))
        )
        log.info("OData request failed (%s); retrying in %.1f s", self.mask(str(failure)), seconds)
        return seconds

    def _shown(self, url: str) -> str:
        """A URL as errors show it: absolute, without its query string."""
        return str(self.client.base_url.join(url).copy_with(query=None))

    def mask(self, text: str) -> str:
        """The text with every secret replaced by ***."""
        secrets = [v for v in self.settings.headers.values() if len(v) >= 4]
        if self.settings.client_secret is not None:
            secrets.append(self.settings.client_secret.get_secret_value())
        if self.auth is not None and self.auth.token:
            secrets.append(self.auth.token)
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        """Close the connections."""
        self.client.close()


def retry_after(header: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), at most 5 minutes."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_MAX)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(0.0, (moment - datetime.now(UTC)).total_seconds()), RETRY_AFTER_MAX)


def _message(response: httpx.Response) -> str:
    """The service's own error message (OData error body), else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return response.text[:300]
