"""A directory on each database, a clock tests move by hand, and a small secured app.

The app is a Starlette app with the token route and one protected route that answers with
its caller, behind the authentication middleware; clients reach it through httpx's ASGI
transport, driven from a blocking portal so that tests (and ClientCredentialsAuth) stay
synchronous.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from commonground.security.authentication import Authenticator
from commonground.security.caller import caller_of
from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from commonground.security.token_endpoint import token_route
from commonground.security.token_guard import secured
from tests.fixtures.fix_environments import Backend

PASSWORD = "correct horse battery"


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(tmp_path: Path, backend: Backend, clock: Clock) -> Iterator[Directory]:
    """A directory in a temporary home (SQLite) or a schema of its own (PostgreSQL)."""
    schema = f"cgd_test_{uuid.uuid4().hex[:10]}"
    item = Directory(tmp_path / "home", backend.url, schema, hasher=cheap_hasher(), clock=clock)
    yield item
    item.db.drop()


@pytest.fixture
def authenticator(directory: Directory) -> Authenticator:
    directory.create_user("Alice", "alice@example.com", PASSWORD)
    return Authenticator(directory, secrets.token_bytes(32))


class PortalTransport(httpx.BaseTransport):
    """A synchronous transport that runs an ASGI app on a blocking portal's event loop."""

    def __init__(self, portal: BlockingPortal, app: object, address: str) -> None:
        self.portal = portal
        self.asgi = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return self.portal.call(send)


async def whoami(request: Request) -> JSONResponse:
    caller = caller_of(request)
    return JSONResponse({"name": caller.name, "kind": caller.kind, "groups": sorted(caller.groups)})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


ClientFactory = Callable[..., httpx.Client]


@pytest.fixture
def client(authenticator: Authenticator) -> Iterator[ClientFactory]:
    """Makes clients of the secured app, each from an address of its choice."""
    app = Starlette(
        routes=[
            token_route(authenticator),
            Route("/health", health),
            Route("/whoami", whoami, methods=["GET", "POST"]),
        ]
    )
    made: list[httpx.Client] = []
    with start_blocking_portal() as portal:

        def make(address: str = "10.0.0.1", **options: object) -> httpx.Client:
            transport = PortalTransport(portal, secured(app, authenticator), address)
            http = httpx.Client(transport=transport, base_url="http://testserver", **options)  # type: ignore[arg-type]
            made.append(http)
            return http

        yield make
        for http in made:
            http.close()
