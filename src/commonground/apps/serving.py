"""Serving an installation over HTTP from another process, as a real remote system would be.

The demo reaches its Sales app over the OData API like a real Sales instance; tests use the
same code to talk HTTP to a real server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Wait until the server at `url` answers its health check (RuntimeError if it never does)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start within {seconds:g} s")


@contextmanager
def serving(home: Path, database_url: str | None = None) -> Iterator[str]:
    """`commonground serve` over `home` on a free port (no scheduler); its base URL."""
    env = {**os.environ, "COMMONGROUND_RATE_LIMIT": "0", "COMMONGROUND_SCHEDULER": "off"}
    env.pop("COMMONGROUND_DATABASE_URL", None)
    if database_url:
        env["COMMONGROUND_DATABASE_URL"] = database_url
    port = free_port()
    command = [sys.executable, "-m", "commonground", "--home", str(home), "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(url, process)
        except RuntimeError as exc:
            process.kill()
            _, err = process.communicate()
            raise RuntimeError(f"{exc}: {err.decode(errors='replace')[-2000:]}") from None
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
