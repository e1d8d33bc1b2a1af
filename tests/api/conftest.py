"""A real `commonground serve` process on a free port, over a home with one environment."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.serving import auth_as_tester, free_port, served_environment, wait_until_up

__all__ = ["free_port", "wait_until_up"]  # other test modules import them from here
ENV = "Api"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service root URL of environment `Api` on a freshly started server."""
    with served_environment(tmp_path_factory.mktemp("home"), ENV) as root:
        yield root


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    """An HTTP client on the service root, signed in as the installation admin."""
    with httpx.Client(base_url=server, timeout=30, auth=auth_as_tester(server)) as http:
        yield http
