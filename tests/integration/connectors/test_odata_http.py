"""OData connector HTTP behaviour against a small in-test service over real HTTP.

The service answers with whatever a test plans (429 with Retry-After, 503, errors that echo
secrets) and runs an OAuth2 token endpoint, to prove retries, waits, token caching and
renewal, and that no secret ever reaches an error message or the log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from commonground.integration.connectors.odata import ODataConnector, ODataSettings
from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
    FilterError,
    ReadRequest,
)
from tests.fixtures.serving import free_port

SECRET = "s3cr3t-client-value"
API_KEY = "api-key-0123456789"
METADATA = """<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
 <edmx:DataServices>
  <Schema Namespace="Test" xmlns="http://docs.oasis-open.org/odata/ns/edm">
   <EntityType Name="Thing">
    <Key><PropertyRef Name="Id"/></Key>
    <Property Name="Id" Type="Edm.Int32" Nullable="false"/>
    <Property Name="Name" Type="Edm.String" MaxLength="50"/>
   </EntityType>
   <EntityContainer Name="Container">
    <EntitySet Name="Things" EntityType="Test.Thing"/>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>"""


@dataclass
class FakeService:
    """What the service has seen, and the answers it is told to give before a normal one."""

    planned: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    issued: int = 0
    scopes: list[str | None] = field(default_factory=list)
    open_access: bool = True  # no token needed

    def reset(self) -> None:
        self.planned.clear()
        self.tokens.clear()
        self.issued = 0
        self.scopes.clear()
        self.open_access = True

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("client_secret") != SECRET or form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        self.issued += 1
        self.scopes.append(str(form["scope"]) if "scope" in form else None)
        token = f"token-{self.issued}-abcdef"
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return self.open_access or header.removeprefix("Bearer ") in self.tokens

    async def metadata(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": {"message": "who are you"}}, status_code=401)
        return Response(METADATA, media_type="application/xml")

    async def things(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse({"error": {"message": "who are you"}}, status_code=401)
        if self.planned:
            status, headers, body = self.planned.pop(0)
            return JSONResponse(body, status_code=status, headers=headers)
        return JSONResponse({"value": [{"Id": 1, "Name": "one"}, {"Id": 2, "Name": "two"}]})


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[str, FakeService]]:
    fake = FakeService()
    app = Starlette(
        routes=[
            Route("/token", fake.token, methods=["POST"]),
            Route("/svc/$metadata", fake.metadata),
            Route("/svc/Things", fake.things),
        ]
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", fake
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def fake(fake_server: tuple[str, FakeService]) -> FakeService:
    fake_server[1].reset()
    return fake_server[1]


@pytest.fixture
def connect(fake_server: tuple[str, FakeService]) -> Iterator[Callable[..., ODataConnector]]:
    """Opens connectors on the fake service (waits recorded, not slept), closes them after."""
    base = fake_server[0]
    opened: list[ODataConnector] = []

    def open_service(**settings: Any) -> ODataConnector:
        connector = ODataConnector(ODataSettings(**{"url": f"{base}/svc", **settings}))
        connector.http.sleep = waits.append
        opened.append(connector)
        return connector

    waits: list[float] = []
    open_service.waits = waits  # type: ignore[attr-defined]
    yield open_service
    for connector in opened:
        connector.close()


def names(connector: ODataConnector) -> list[str]:
    return [r["Name"] for b in connector.read(ReadRequest("Things")) for r in b.records]


def oauth(base: str, secret: str = SECRET) -> dict[str, Any]:
    return {"token_url": f"{base}/token", "client_id": "app", "client_secret": secret}


def test_429_and_503_are_retried_honouring_retry_after(
    fake: FakeService, connect: Callable[..., ODataConnector]
) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    fake.planned += [
        (429, {"Retry-After": "2"}, {}),
        (429, {"Retry-After": soon}, {}),
        (503, {}, {"error": {"message": "busy"}}),
    ]
    connector = connect()
    assert names(connector) == ["one", "two"]
    waits = connect.waits  # type: ignore[attr-defined]
    assert waits[0] == 2.0
    assert 0 < waits[1] <= 3
    assert waits[2] == 2.0  # no Retry-After: exponential backoff (0.5, 1, 2, ...)


def test_gives_up_after_max_retries(
    fake: FakeService, connect: Callable[..., ODataConnector]
) -> None:
    fake.planned += [(503, {}, {"error": {"message": "down for maintenance"}})] * 5
    connector = connect(max_retries=2)
    with pytest.raises(ConnectionFailedError, match="maintenance") as caught:
        names(connector)
    assert "gave up after 2 retries" in str(caught.value)
    assert len(connect.waits) == 2  # type: ignore[attr-defined]


def test_an_unreachable_service_is_a_connection_failure(
    connect: Callable[..., ODataConnector],
) -> None:
    connector = connect(url=f"http://127.0.0.1:{free_port()}/svc", max_retries=1)
    with pytest.raises(ConnectionFailedError, match="ConnectError"):
        connector.entities()


def test_client_credentials_token_is_cached_and_carries_the_scope(
    fake_server: tuple[str, FakeService], fake: FakeService, connect: Callable[..., ODataConnector]
) -> None:
    fake.open_access = False
    connector = connect(**oauth(fake_server[0]), scope="things.read")
    assert [e.name for e in connector.entities()] == ["Things"]
    assert names(connector) == ["one", "two"]
    assert names(connector) == ["one", "two"]
    assert fake.issued == 1
    assert fake.scopes == ["things.read"]


def test_a_revoked_token_is_renewed_once(
    fake_server: tuple[str, FakeService], fake: FakeService, connect: Callable[..., ODataConnector]
) -> None:
    fake.open_access = False
    connector = connect(**oauth(fake_server[0]))
    assert names(connector) == ["one", "two"]
    fake.tokens.clear()  # the service forgets the token before it expires
    assert names(connector) == ["one", "two"]
    assert fake.issued == 2


def test_refused_credentials_are_an_authentication_failure_without_the_secret(
    fake_server: tuple[str, FakeService], fake: FakeService, connect: Callable[..., ODataConnector]
) -> None:
    fake.open_access = False
    connector = connect(**oauth(fake_server[0], secret="wrong-secret-value"))
    with pytest.raises(AuthenticationFailedError, match="refused client 'app'") as caught:
        connector.entities()
    assert "wrong-secret-value" not in str(caught.value)
    plain = connect()  # no credentials at all
    with pytest.raises(AuthenticationFailedError, match="HTTP 401"):
        plain.entities()


def test_secrets_never_reach_errors_or_logs(
    fake_server: tuple[str, FakeService],
    fake: FakeService,
    connect: Callable[..., ODataConnector],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    fake.open_access = False
    connector = connect(**oauth(fake_server[0]), headers={"X-Api-Key": API_KEY}, max_retries=1)
    connector.entities()
    token = connector.http.auth.token if connector.http.auth else None
    assert token
    echo = {"error": {"message": f"{SECRET} {API_KEY} Bearer {token}"}}
    fake.planned += [(500, {}, echo), (500, {}, echo)]
    with pytest.raises(ConnectionFailedError) as failed:
        names(connector)
    fake.planned += [(400, {}, echo)]
    with pytest.raises(FilterError) as refused:
        list(connector.read(ReadRequest("Things", filter="Name eq 'x'")))
    for text in (str(failed.value), str(refused.value), caplog.text):
        assert SECRET not in text
        assert API_KEY not in text
        assert token not in text
    assert "***" in str(refused.value)
