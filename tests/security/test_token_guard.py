"""The authentication middleware: who gets through, and what the others are told."""

from __future__ import annotations

import pytest

from commonground.security.caller import CALLER_KEY, SYSTEM, NoCallerError, caller_of
from tests.security.conftest import PASSWORD, ClientFactory, Clock

REALM = 'Bearer realm="commonground"'


def _token(http_client: ClientFactory) -> str:
    form = {"grant_type": "password", "username": "Alice", "password": PASSWORD}
    token: str = http_client().post("/oauth2/token", data=form).json()["access_token"]
    return token


def test_health_and_the_token_endpoint_are_open(client: ClientFactory) -> None:
    http = client()
    assert http.get("/health").status_code == 200
    assert http.post("/health").status_code == 401  # only GET /health is open


def test_a_request_without_a_token_is_challenged(client: ClientFactory) -> None:
    response = client().get("/whoami")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM
    assert response.json()["error"]["code"] == "Unauthorized"
    basic = client().get("/whoami", headers={"Authorization": "Basic YTpi"})
    assert basic.headers["www-authenticate"] == REALM


def test_a_bad_or_expired_token_is_refused(client: ClientFactory, clock: Clock) -> None:
    token = _token(client)
    http = client()
    bad = http.get("/whoami", headers={"Authorization": f"Bearer {token}x"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == f'{REALM}, error="invalid_token"'
    assert http.get("/whoami", headers={"Authorization": f"bearer {token}"}).status_code == 200
    clock.advance(minutes=16)
    expired = http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_the_caller_is_set_for_the_app(client: ClientFactory) -> None:
    token = _token(client)
    response = client().post("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["name"] == "Alice"


def test_caller_of_needs_the_middleware() -> None:
    with pytest.raises(NoCallerError):
        caller_of({"type": "http"})
    assert caller_of({CALLER_KEY: SYSTEM}) is SYSTEM
