"""Request helpers: the base URL kept per host is the one Starlette builds."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from commonground.api.payloads import base_url


@pytest.mark.parametrize(
    "scope",
    [
        {"headers": [(b"host", b"api.example.com")]},
        {"headers": [(b"host", b"127.0.0.1:8000")], "root_path": "/cg"},
        {"headers": [(b"host", b"127.0.0.1:8000")], "app_root_path": "/a", "root_path": "/b"},
        {"headers": [], "server": ("10.0.0.1", 80)},
        {"headers": [], "server": ["10.0.0.1", 8080], "scheme": "https"},
        {"headers": [], "server": ("::1", 443), "scheme": "https"},
        {"headers": [(b"host", b"bad host:x")], "server": ("10.0.0.1", 81)},
        {"headers": []},
    ],
)
def test_base_url_is_starlettes(scope):
    scope = {"type": "http", "path": "/environments/E/api/data/v1/Accounts", **scope}
    scope["query_string"] = b"$top=1"
    assert base_url(scope) == str(Request(scope).base_url)
    assert base_url(scope) == str(Request(scope).base_url)  # once more, from the cache
