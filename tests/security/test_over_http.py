"""The secured app over real HTTP (uvicorn on a free port): the integrator's OAuth client
gets a token from the endpoint and calls a protected route with it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route

from commonground.apps.serving import free_port
from commonground.integration.connectors.oauth import ClientCredentialsAuth
from commonground.security.authentication import Authenticator
from commonground.security.token_endpoint import token_route
from commonground.security.token_guard import secured
from tests.security.conftest import health, whoami


@pytest.fixture
def served(authenticator: Authenticator) -> Iterator[str]:
    app = Starlette(
        routes=[token_route(authenticator), Route("/health", health), Route("/whoami", whoami)]
    )
    port = free_port()
    config = uvicorn.Config(
        secured(app, authenticator), host="127.0.0.1", port=port, ws="none", log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_client_credentials_over_http(served: str, authenticator: Authenticator) -> None:
    credentials = authenticator.directory.create_application_user("Integrator")
    auth = ClientCredentialsAuth(
        f"{served}/oauth2/token", credentials.client_id, SecretStr(credentials.client_secret)
    )
    with httpx.Client(base_url=served, auth=auth, timeout=10) as http:
        response = http.get("/whoami")
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Integrator"
    with httpx.Client(base_url=served, timeout=10) as anonymous:
        refused = anonymous.get("/whoami")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="commonground"'
        assert anonymous.get("/health").status_code == 200
