"""`commonground serve --workers 2`: both worker processes answer, and a record written
through one worker is read through the other.

Which worker holds a connection is read from Linux's /proc: the server side of the TCP
connection (in /proc/net/tcp) is a socket inode, and exactly one worker has a file
descriptor on it. Connections are opened until each worker holds one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import free_port, wait_until_up
from tests.api.test_odata_api import account
from tests.fixtures.serving import add_tester, headers_as_tester

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads connection owners from Linux's /proc"
)
ROOT = "/environments/Workers/api/data/v1/"


@contextmanager
def two_workers(home: Path) -> Iterator[tuple[int, list[int]]]:
    """The port of `serve --workers 2` over a new environment (TESTER can sign in), and its
    workers' pids."""
    env = {**os.environ, "COMMONGROUND_RATE_LIMIT": "0"}
    env.pop("COMMONGROUND_DATABASE_URL", None)
    base = [sys.executable, "-m", "commonground", "--home", str(home)]
    subprocess.run([*base, "env", "create", "Workers"], check=True, capture_output=True, env=env)
    add_tester(home)
    port = free_port()
    args = ["serve", "--port", str(port), "--workers", "2", "--no-scheduler"]
    process = subprocess.Popen([*base, *args], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        yield port, worker_pids(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)


def worker_pids(parent: int) -> list[int]:
    """The uvicorn workers among a process's children (not multiprocessing's tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def owner(connection: HTTPConnection, port: int, workers: list[int]) -> int:
    """The worker holding the server side of an open connection."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client_port:04X}"
    inodes = [
        fields[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if (fields := line.split())[1] == local and fields[2] == remote
    ]
    assert len(inodes) == 1, inodes
    target = f"socket:[{inodes[0]}]"
    holders = [pid for pid in workers if target in open_files(pid)]
    assert len(holders) == 1, holders
    return holders[0]


def open_files(pid: int) -> set[str]:
    """What a process's file descriptors point at (one closed while listed is left out)."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(os.readlink(fd))
        except FileNotFoundError:
            continue
    return found


def call(
    connection: HTTPConnection,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    auth: dict[str, str] | None = None,
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    headers.update(auth or {})
    payload = json.dumps(body) if body is not None else None
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None


def test_both_workers_answer_and_see_each_others_writes(tmp_path: Path) -> None:
    with two_workers(tmp_path / "home") as (port, workers), ExitStack() as connections:
        assert len(workers) == 2
        auth = headers_as_tester(f"http://127.0.0.1:{port}")
        held: dict[int, HTTPConnection] = {}
        for _ in range(200):
            connection = HTTPConnection("127.0.0.1", port, timeout=30)
            connections.callback(connection.close)
            assert call(connection, "GET", "/health")[0] == 200
            held.setdefault(owner(connection, port, workers), connection)
            if len(held) == 2:
                break
        assert sorted(held) == workers, "every worker answers some connection"
        first, second = held[workers[0]], held[workers[1]]
        for n, (writer, reader) in enumerate(((first, second), (second, first))):
            status, created = call(writer, "POST", f"{ROOT}Accounts", account(f"Worker {n}"), auth)
            assert status == 201
            status, found = call(reader, "GET", f"{ROOT}Accounts({created['RecordId']})", auth=auth)
            assert status == 200
            assert found["FullName"] == f"Worker {n}"
