"""`POST /oauth2/token`: the three grants, RFC 6749 errors and sign-in throttling."""

from __future__ import annotations

import base64

import httpx
from pydantic import SecretStr

from commonground.integration.connectors.oauth import ClientCredentialsAuth
from commonground.security.authentication import Authenticator
from tests.security.conftest import PASSWORD, ClientFactory, Clock

TOKEN = "/oauth2/token"


def _password_grant(http: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    form = {"grant_type": "password", "username": "alice", "password": password}
    return http.post(TOKEN, data=form)


def test_password_grant(client: ClientFactory) -> None:
    http = client()
    response = _password_grant(http)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    assert response.headers["cache-control"] == "no-store"
    me = http.get("/whoami", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"name": "Alice", "kind": "user", "groups": []}

    refused = _password_grant(http, "wrong password")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_a_disabled_user_gets_no_token_and_its_token_is_refused(
    client: ClientFactory, authenticator: Authenticator, clock: Clock
) -> None:
    http = client()
    token = _password_grant(http).json()["access_token"]
    authenticator.directory.disable_user("Alice")
    clock.advance(seconds=10)
    assert _password_grant(http).status_code == 400
    response = http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_refresh_tokens_rotate(client: ClientFactory, authenticator: Authenticator) -> None:
    http = client()
    first = _password_grant(http).json()["refresh_token"]
    renewed = http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()["refresh_token"]
    assert second != first
    again = http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    authenticator.directory.set_password("Alice", "a brand new password")
    stale = http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": second})
    assert stale.status_code == 400


def test_refresh_tokens_expire(client: ClientFactory, clock: Clock) -> None:
    http = client()
    refresh = _password_grant(http).json()["refresh_token"]
    clock.advance(days=30)
    response = http.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert response.status_code == 400


def test_client_credentials_in_the_form_or_basic(
    client: ClientFactory, authenticator: Authenticator
) -> None:
    credentials = authenticator.directory.create_application_user("Loader")
    http = client()
    form = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    response = http.post(TOKEN, data=form)
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode())
    response = http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic.decode()}"},
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["kind"] == "application"

    wrong = http.post(TOKEN, data={**form, "client_secret": "not it"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    twice = http.post(TOKEN, data=form, headers={"Authorization": f"Basic {basic.decode()}"})
    assert twice.json()["error"] == "invalid_request"


def test_the_integrators_oauth_client_works_unchanged(
    client: ClientFactory, authenticator: Authenticator
) -> None:
    credentials = authenticator.directory.create_application_user("Integrator")
    auth = ClientCredentialsAuth(
        "http://testserver/oauth2/token",
        credentials.client_id,
        SecretStr(credentials.client_secret),
    )
    http = client(auth=auth)
    response = http.get("/whoami")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Integrator"
    assert http.get("/whoami").status_code == 200  # the cached token is reused


def test_malformed_requests(client: ClientFactory) -> None:
    http = client()
    cases = [
        ({"username": "alice"}, "invalid_request"),
        ({"grant_type": "password", "username": "alice"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ]
    for form, error in cases:
        response = http.post(TOKEN, data=form)
        assert response.status_code == 400, form
        assert response.json()["error"] == error
    as_json = http.post(TOKEN, json={"grant_type": "password"})
    assert as_json.json()["error"] == "invalid_request"
    repeated = http.post(
        TOKEN,
        content=b"grant_type=password&grant_type=password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.json()["error"] == "invalid_request"
    assert http.get(TOKEN).status_code == 401  # only POST is open


def test_five_failures_lock_a_name_even_for_the_right_password(
    client: ClientFactory, clock: Clock
) -> None:
    http = client()
    for _ in range(5):
        assert _password_grant(http, "wrong password").status_code == 400
    locked = _password_grant(http)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    other_address = client("10.0.0.2")
    assert _password_grant(other_address).status_code == 429  # the name is locked everywhere
    clock.advance(minutes=15)
    assert _password_grant(http).status_code == 200


def test_the_lock_lifts_as_failures_age(client: ClientFactory, clock: Clock) -> None:
    http = client()
    for _ in range(5):
        _password_grant(http, "wrong password")
        clock.advance(minutes=1)
    retry = int(_password_grant(http).headers["retry-after"])
    assert retry == 10 * 60  # the first failure leaves the window in 10 minutes
    clock.advance(seconds=retry)
    assert _password_grant(http).status_code == 200


def test_one_address_trying_many_names_is_locked(
    client: ClientFactory, authenticator: Authenticator
) -> None:
    http = client("10.0.0.9")
    for n in range(20):
        form = {"grant_type": "password", "username": f"user{n}", "password": "guess"}
        assert http.post(TOKEN, data=form).status_code == 400
    assert _password_grant(http).status_code == 429
    assert _password_grant(client("10.0.0.10")).status_code == 200


def test_client_ids_are_throttled_too(client: ClientFactory, authenticator: Authenticator) -> None:
    credentials = authenticator.directory.create_application_user("Loader")
    http = client()
    form = {"grant_type": "client_credentials", "client_id": credentials.client_id}
    for _ in range(5):
        assert http.post(TOKEN, data={**form, "client_secret": "no"}).status_code == 401
    right = http.post(TOKEN, data={**form, "client_secret": credentials.client_secret})
    assert right.status_code == 429
    assert right.headers["retry-after"]
