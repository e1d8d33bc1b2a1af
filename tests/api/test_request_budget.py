"""Past the per-client request budget the server answers 429 with Retry-After.

The budget counts the token endpoint too, so the token is asked for from another loopback
address (another client), leaving the whole budget of 127.0.0.1 to the data requests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.api.conftest import free_port, wait_until_up
from tests.fixtures.serving import add_tester, headers_as_tester


def test_budget_exceeded_answers_429_with_retry_after(tmp_path: Path) -> None:
    env = {**os.environ, "COMMONGROUND_RATE_LIMIT": "5/60"}
    env.pop("COMMONGROUND_DATABASE_URL", None)
    base = [sys.executable, "-m", "commonground", "--home", str(tmp_path / "home")]
    subprocess.run([*base, "env", "create", "Budget"], check=True, capture_output=True, env=env)
    add_tester(tmp_path / "home")
    port = free_port()
    process = subprocess.Popen(
        [*base, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)  # /health is outside the budget
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=other, timeout=30) as elsewhere:
            auth = headers_as_tester(url, elsewhere)
        root = f"{url}/environments/Budget/api/data/v1/"
        with httpx.Client(base_url=root, headers=auth) as client:
            statuses = [client.get("Accounts", params={"$top": "1"}).status_code for _ in range(7)]
            assert statuses[:5] == [200] * 5
            assert statuses[5:] == [429, 429]
            refused = client.get("Accounts")
            assert int(refused.headers["Retry-After"]) >= 1
            assert refused.json()["error"]["code"] == "TooManyRequests"
    finally:
        process.terminate()
        process.wait(timeout=10)
