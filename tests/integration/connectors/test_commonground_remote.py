"""The Common Ground connector's settings, credentials and connection errors.

Client credentials are tested against a small token endpoint started by the test, which also
forwards every other request to a real `commonground serve`, but only with a bearer token it
issued: a read that succeeds through it proves the token was sent. (The forwarded request is
sent with a token of the real server's own, as the installation admin.)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from commonground.integration.connectors.commonground import (
    CommonGroundConnector,
    CommonGroundSettings,
)
from commonground.integration.connectors.oauth import ClientCredentialsAuth
from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
    Connector,
    ReadRequest,
    RecordStatus,
    WriteMode,
)
from commonground.model.datamodel import DataModel
from commonground.service.environment import Environment
from tests.fixtures.records import account
from tests.fixtures.serving import auth_as_tester, free_port
from tests.integration.connectors.test_commonground import Served, new_environment, serving

CLIENT = "integrator"
SECRET = "s3cret-value"


@dataclass
class Issuer:
    """What the token endpoint saw: tokens issued, and requests refused for want of one."""

    api: str
    http: httpx.Client  # signed in to the real server
    issued: list[str] = field(default_factory=list)
    refused: int = 0


class _Handler(BaseHTTPRequestHandler):
    issuer: Issuer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is not the place for access logs."""

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        if self.path == "/token":
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            good = form == {
                "grant_type": "client_credentials",
                "client_id": CLIENT,
                "client_secret": SECRET,
            }
            if not good:
                self._answer(401, b'{"error": "invalid_client"}', "application/json")
                return
            token = f"token-{len(self.issuer.issued) + 1}"
            self.issuer.issued.append(token)
            answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            self._answer(200, json.dumps(answer).encode(), "application/json")
            return
        self._forward("POST")

    def do_GET(self) -> None:
        self._forward("GET")

    def _forward(self, method: str) -> None:
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.issuer.issued:
            self.issuer.refused += 1
            self._answer(401, b'{"error": {"code": "Unauthorized"}}', "application/json")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "prefer")}
        if "Content-Type" in self.headers:
            headers["Content-Type"] = self.headers["Content-Type"]
        body = self._body() if method == "POST" else None
        reply = self.issuer.http.request(
            method, self.issuer.api + self.path, content=body, headers=headers
        )
        self._answer(reply.status_code, reply.content, reply.headers.get("content-type", ""))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server over an empty home, shared by this module's tests."""
    with serving(tmp_path_factory.mktemp("served")) as served:
        yield served


@pytest.fixture
def environment(server: Served, standard: DataModel) -> Iterator[Environment]:
    """A new environment in the served home."""
    with new_environment(server, standard) as env:
        yield env


@pytest.fixture
def issuer(server: Served) -> Iterator[tuple[Issuer, str]]:
    """A token endpoint at `<url>/token` that guards the served API; its URL."""
    with httpx.Client(timeout=30, auth=auth_as_tester(server.url)) as http:
        issuer = Issuer(server.url, http)
        handler = type("Handler", (_Handler,), {"issuer": issuer})
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield issuer, f"http://127.0.0.1:{proxy.server_address[1]}"
        finally:
            proxy.shutdown()
            proxy.server_close()
            thread.join()


def remote(env: Environment, url: str, **more: Any) -> CommonGroundConnector:
    settings = {"environment": env.name, "url": url, **more}
    return CommonGroundConnector(CommonGroundSettings.model_validate(settings))


def test_client_credentials_fetch_one_token_and_send_it_with_every_request(
    environment: Environment, issuer: tuple[Issuer, str]
) -> None:
    seen, url = issuer
    connector = remote(
        environment, url, token_url=f"{url}/token", client_id=CLIENT, client_secret=SECRET
    )
    try:
        written = connector.write(
            "Account", [account("via token", AccountId="T-1")], ["AccountId"], WriteMode.UPSERT
        )
        assert written.statuses == [RecordStatus.INSERTED]
        batches = list(connector.read(ReadRequest("Account", fields=["AccountId"])))
        assert [r for b in batches for r in b.records] == [{"AccountId": "T-1"}]
    finally:
        connector.close()
    assert seen.issued == ["token-1"]
    assert seen.refused == 0


def test_a_refused_client_is_an_authentication_error_that_hides_the_secret(
    environment: Environment, issuer: tuple[Issuer, str]
) -> None:
    _, url = issuer
    wrong = "not-the-secret-42"
    with pytest.raises(AuthenticationFailedError, match=CLIENT) as caught:
        remote(environment, url, token_url=f"{url}/token", client_id=CLIENT, client_secret=wrong)
    assert wrong not in str(caught.value)


def test_a_401_from_the_server_is_an_authentication_error(
    environment: Environment, issuer: tuple[Issuer, str]
) -> None:
    seen, url = issuer
    with pytest.raises(AuthenticationFailedError, match="401"):
        remote(environment, url)
    assert seen.refused == 1


def test_the_token_is_cached_until_shortly_before_it_expires(
    issuer: tuple[Issuer, str],
) -> None:
    seen, url = issuer
    now = [1000.0]
    auth = ClientCredentialsAuth(f"{url}/token", CLIENT, SecretStr(SECRET), clock=lambda: now[0])
    with httpx.Client(auth=auth) as client:
        assert client.get(f"{url}/health").status_code == 200
        assert client.get(f"{url}/health").status_code == 200
        assert seen.issued == ["token-1"]
        now[0] += 3600 - 61
        client.get(f"{url}/health")
        assert seen.issued == ["token-1"]
        now[0] += 2  # within a minute of expiry
        client.get(f"{url}/health")
    assert seen.issued == ["token-1", "token-2"]


def test_an_unreachable_server_or_token_endpoint_is_a_connection_failure(
    environment: Environment, issuer: tuple[Issuer, str]
) -> None:
    _, url = issuer
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConnectionFailedError, match="cannot reach"):
        remote(environment, nowhere)
    settings = CommonGroundSettings(
        environment=environment.name,
        url=url,
        token_url=f"{nowhere}/token",
        client_id=CLIENT,
        client_secret=SecretStr(SECRET),
    )
    with pytest.raises(ConnectionFailedError) as caught:
        CommonGroundConnector(settings)
    assert SECRET not in str(caught.value)


def test_a_database_error_hides_the_database_password() -> None:
    url = "postgresql+psycopg://someone:pa55word-xyz@127.0.0.1:1/nothing"
    settings = CommonGroundSettings(environment="Any", database_url=SecretStr(url))
    with pytest.raises(ConnectionFailedError) as caught:
        CommonGroundConnector(settings)
    assert "pa55word-xyz" not in str(caught.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"environment": "E"},
        {"environment": "E", "home": "/tmp/h", "url": "http://x"},
        {"environment": "E", "url": "http://x", "token_url": "http://x/token"},
        {
            "environment": "E",
            "home": "/tmp/h",
            "token_url": "t",
            "client_id": "c",
            "client_secret": "s",
        },
        {"environment": "E", "home": "/tmp/h", "batch_size": 0},
    ],
)
def test_settings_name_exactly_one_environment_and_whole_credentials(
    settings: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        CommonGroundSettings.model_validate(settings)


def test_the_secrets_are_secret_fields() -> None:
    settings = CommonGroundSettings.model_validate(
        {
            "environment": "E",
            "url": "http://x",
            "token_url": "t",
            "client_id": "c",
            "client_secret": "hidden",
        }
    )
    assert isinstance(settings.client_secret, SecretStr)
    assert "hidden" not in repr(settings)
    assert CommonGroundSettings.model_fields["database_url"].annotation == SecretStr | None


def test_the_connector_registers_under_its_kind(environment: Environment, server: Served) -> None:
    (point,) = entry_points(group="commonground.connectors", name="commonground")
    assert point.load() is CommonGroundConnector
    connector = remote(environment, server.url, **server.client_settings())
    try:
        assert isinstance(connector, Connector)
        assert connector.kind == "commonground"
    finally:
        connector.close()
