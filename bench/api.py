"""HTTP API benchmark: GET by key, a filtered page and PATCH against a bare Starlette endpoint.

Steps, all in one run on 127.0.0.1 (free ports), with a temporary home folder:
  1. create an environment and an application user holding a role with Account Maintain
     (so every request is authenticated by its bearer token and authorized by that role, as a
     real integration's would be), start `commonground serve` (1 worker, request budget off:
     COMMONGROUND_RATE_LIMIT=0), then load --records Account records with CreateMultiple
     (1,000 per request);
  2. start a bare Starlette app whose one route returns a constant, under uvicorn the same way
     (1 worker, same loop and HTTP implementation defaults, log level warning);
  3. drive each phase from a separate load-generator process (asyncio protocols, HTTP/1.1
     keep-alive, --connections connections, one request in flight on each, closed loop), for
     --warmup seconds unrecorded and then --seconds recorded:
       bare      GET /bare
       get       GET Accounts(<RecordId>), a different record each request
       altkey    GET Accounts(AccountId='...'), a different record each request
       page      GET Accounts?$filter=Status eq 'Active' and EmployeeCount ge <k>
                     &$select=<5 fields>&$top=50, k varying
       patch     PATCH Accounts(<RecordId>) {"FullName": ...}, a different record each request
  4. stop both servers (also on errors) and remove the home folder.
Requests per second, p50 and p99 latency (ms) per phase. Server and load generator share the
machine's cores, so the generator's own CPU use is part of every figure (the bare figure most).
The last line printed is one JSON object with the figures and the ratios to the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import httpx

ENV = "Bench"
ROOT = f"/environments/{ENV}/api/data/v1"
STATUSES = ("Active", "Inactive")
PARTY_TYPES = ("Organization", "Person", "Group")
CITIES = ("Seattle", "Oslo", "Lyon", "Osaka", "Lima", "Perth")
PAGE_SELECT = "AccountId,FullName,EmailPrimary,Status,EmployeeCount"
PHASES = ("bare", "get", "altkey", "page", "patch")


def account(i: int) -> dict[str, Any]:
    """A deterministic Account record (the same shape as bench/store.py's)."""
    return {
        "AccountId": f"A{i:09d}",
        "FullName": f"Customer {i}",
        "EmailPrimary": f"buyer{i}@example.com",
        "PhonePrimary": f"+1 555 {i % 10_000:04d}",
        "Status": STATUSES[i % 2],
        "PartyType": PARTY_TYPES[i % 3],
        "Source": "Default",
        "IsEmailContactAllowed": i % 3 == 0,
        "IsPhoneContactAllowed": i % 5 == 0,
        "EmployeeCount": i % 5000,
        "CreditLimitAmount": {"Amount": (i % 1000) * 100, "CurrencyCode": "USD"},
        "MailingPostalAddress": {"City": CITIES[i % 6], "PostalCode": f"{i % 99999:05d}"},
    }


# --- load generator (runs in its own process) -------------------------------------------------


def request_bytes(
    phase: str, port: int, n: int, ids: list[int], keys: list[str], token: str
) -> bytes:
    """The n-th request of a phase, as HTTP/1.1 bytes (with the bearer token)."""
    head = f"Host: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
    head += f"Authorization: Bearer {token}\r\n"
    if phase == "bare":
        return f"GET /bare HTTP/1.1\r\n{head}\r\n".encode()
    if phase == "get":
        return f"GET {ROOT}/Accounts({ids[n % len(ids)]}) HTTP/1.1\r\n{head}\r\n".encode()
    if phase == "altkey":
        key = quote(f"AccountId='{keys[n % len(keys)]}'")
        return f"GET {ROOT}/Accounts({key}) HTTP/1.1\r\n{head}\r\n".encode()
    if phase == "page":
        condition = quote(f"Status eq 'Active' and EmployeeCount ge {(n * 7) % 4500}")
        query = f"$filter={condition}&$select={PAGE_SELECT}&$top=50"
        return f"GET {ROOT}/Accounts?{query} HTTP/1.1\r\n{head}\r\n".encode()
    if phase == "patch":
        body = json.dumps({"FullName": f"Customer patched {n}"}).encode()
        return (
            f"PATCH {ROOT}/Accounts({ids[n % len(ids)]}) HTTP/1.1\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    raise ValueError(phase)


class Connection(asyncio.Protocol):
    """One keep-alive connection with one request in flight; records each latency."""

    def __init__(self, run: Run, index: int) -> None:
        self.run = run
        self.index = index
        self.sent = 0
        self.buffer = bytearray()
        self.started = 0.0
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        if self.run.stopping:
            self.transport.close()
            return
        n = self.index + self.sent * self.run.connections
        self.sent += 1
        self.started = time.perf_counter()
        self.transport.write(self.run.request(n))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
        elif b"transfer-encoding: chunked" in head:
            raise RuntimeError("chunked responses are not expected")
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buffer[: end + 4 + length]
        self.run.record(time.perf_counter() - self.started, status)
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.run.stopping:
            self.run.lost += 1


class Run:
    """One phase's shared state: the request maker, the window and what was recorded."""

    def __init__(
        self,
        phase: str,
        port: int,
        connections: int,
        ids: list[int],
        keys: list[str],
        token: str,
    ):
        self.phase, self.port, self.connections = phase, port, connections
        self.ids, self.keys, self.token = ids, keys, token
        self.recording = False
        self.stopping = False
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.lost = 0

    def request(self, n: int) -> bytes:
        return request_bytes(self.phase, self.port, n, self.ids, self.keys, self.token)

    def record(self, seconds: float, status: int) -> None:
        if self.recording:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1


async def drive(run: Run, warmup: float, seconds: float) -> float:
    """Run the phase; the measured window's length in seconds."""
    loop = asyncio.get_running_loop()
    protocols: list[Connection] = []
    for index in range(run.connections):
        _, protocol = await loop.create_connection(
            functools.partial(Connection, run, index), "127.0.0.1", run.port
        )
        protocols.append(protocol)
    await asyncio.sleep(warmup)
    run.recording = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    run.recording = False
    window = time.perf_counter() - started
    run.stopping = True
    await asyncio.wait([p.closed for p in protocols], timeout=30)
    return window


def percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values, in milliseconds."""
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank] * 1000


def load_phase(
    phase: str,
    port: int,
    connections: int,
    warmup: float,
    seconds: float,
    ids: list[int],
    keys: list[str],
    token: str,
) -> dict[str, Any]:
    """One phase in this (generator) process: requests/s, p50/p99 ms and the status counts."""
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        loop_factory = None
    run = Run(phase, port, connections, ids, keys, token)
    cpu = time.process_time()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        window = runner.run(drive(run, warmup, seconds))
    cpu = time.process_time() - cpu
    ordered = sorted(run.latencies)
    return {
        "rps": round(len(ordered) / window, 1),
        "p50_ms": round(percentile(ordered, 0.50), 2),
        "p99_ms": round(percentile(ordered, 0.99), 2),
        "requests": len(ordered),
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "connections_lost": run.lost,
        "generator_cpu_share": round(cpu / (warmup + window), 2),
    }


# --- servers -------------------------------------------------------------------------------


def bare_app() -> Any:
    """The bare Starlette app: one route answering a constant JSON body."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def constant(request: Any) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/bare", constant, methods=["GET"])])


def serve_bare(port: int) -> None:
    """Serve the bare app the way `commonground serve` serves the API (uvicorn, 1 worker)."""
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, workers=1, log_level="warning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited at start")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


ROLE_YAML = """\
name: Bench loader
permission_sets: [Account Maintain]
"""


def application_token(base: list[str], env: dict[str, str], home: Path, url: str) -> str:
    """An access token for a new application user that holds Account Maintain."""

    def cli(*args: str) -> str:
        done = subprocess.run([*base, *args], check=True, capture_output=True, env=env, text=True)
        return done.stdout

    credentials = json.loads(cli("app-user", "create", "bench", "--json"))
    (home / "role.yaml").write_text(ROLE_YAML)
    cli("role", "save", str(home / "role.yaml"), "--env", ENV)
    cli("role", "grant", "Bench loader", "bench", "--kind", "application", "--env", ENV)
    form = {"grant_type": "client_credentials", **credentials}
    answer = httpx.post(f"{url}/oauth2/token", data=form, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def load_records(root: str, count: int, token: str) -> tuple[list[int], list[str]]:
    """CreateMultiple in requests of 1,000; the new RecordIds and their AccountIds."""
    ids: list[int] = []
    keys: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=root, timeout=120, headers=headers) as http:
        for start in range(0, count, 1000):
            targets = [account(i) for i in range(start, min(start + 1000, count))]
            answer = http.post("Accounts/CommonGround.CreateMultiple", json={"Targets": targets})
            answer.raise_for_status()
            ids.extend(int(rid) for rid in answer.json()["Ids"])
            keys.extend(t["AccountId"] for t in targets)
        check = http.get(f"Accounts({ids[0]})")
        check.raise_for_status()
    return ids, keys


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0, help="recorded seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unrecorded seconds per phase")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="comma-separated phases to run, in this order (default: all); ratios to the bare "
        "endpoint need its phase",
    )
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        serve_bare(args.serve_bare)
        return
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(unknown)} (phases: {', '.join(PHASES)})")

    home = Path(tempfile.mkdtemp(prefix="cg-bench-api-"))
    env = {**os.environ, "COMMONGROUND_RATE_LIMIT": "0", "COMMONGROUND_HOME": str(home)}
    env.pop("COMMONGROUND_DATABASE_URL", None)
    base = [sys.executable, "-m", "commonground", "--home", str(home)]
    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        subprocess.run([*base, "env", "create", ENV], check=True, capture_output=True, env=env)
        api_port, bare_port = free_port(), free_port()
        processes.append(
            subprocess.Popen([*base, "serve", "--port", str(api_port), "--workers", "1"], env=env)
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(bare_port)],
                env=env,
            )
        )
        wait_until_up(f"http://127.0.0.1:{api_port}/health", processes[0])
        wait_until_up(f"http://127.0.0.1:{bare_port}/bare", processes[1])
        api_url = f"http://127.0.0.1:{api_port}"
        token = application_token(base, env, home, api_url)
        loaded = time.perf_counter()
        ids, keys = load_records(f"{api_url}{ROOT}/", args.records, token)
        load_s = time.perf_counter() - loaded
        print(f"loaded {len(ids)} Account records in {load_s:.1f} s", file=sys.stderr)
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as generator:
            for phase in phases:
                port = bare_port if phase == "bare" else api_port
                results[phase] = generator.submit(
                    load_phase,
                    phase,
                    port,
                    args.connections,
                    args.warmup,
                    args.seconds,
                    ids,
                    keys,
                    token,
                ).result()
                print(f"{phase:7} {json.dumps(results[phase])}", file=sys.stderr, flush=True)
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(home, ignore_errors=True)

    empty = [phase for phase, r in results.items() if not r["requests"]]
    if empty:
        raise SystemExit(f"no answered requests in phase(s) {', '.join(empty)}")
    bare_rps = results["bare"]["rps"] if "bare" in results else None
    figures: dict[str, Any] = {
        "records": args.records,
        "connections": args.connections,
        "seconds_per_phase": args.seconds,
        "warmup_seconds": args.warmup,
        "cpu_count": os.cpu_count(),
        "note": "server (1 worker) and load generator (1 process) share these cores",
        "load_per_s": round(args.records / load_s),
    }
    names = {"get": "get_by_key", "altkey": "get_by_alt_key", "page": "page", "patch": "patch"}
    figures["bare_rps"] = bare_rps
    ratios = {"get": "get", "altkey": "alt_key", "page": "page", "patch": "patch"}
    for phase, name in names.items():
        if phase in results:
            figures[f"{name}_rps"] = results[phase]["rps"]
    for phase, name in ratios.items():
        if phase in results and bare_rps:
            figures[f"{name}_vs_bare"] = round(results[phase]["rps"] / bare_rps, 3)
    short = {"bare": "bare", **ratios}
    for phase, name in short.items():
        if phase in results:
            figures[f"p50_ms_{name}"] = results[phase]["p50_ms"]
            figures[f"p99_ms_{name}"] = results[phase]["p99_ms"]
    figures["non_2xx"] = {
        phase: sum(v for k, v in r["statuses"].items() if not k.startswith("2"))
        for phase, r in results.items()
    }
    figures["generator_cpu_share"] = {p: r["generator_cpu_share"] for p, r in results.items()}
    figures["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
