"""Optimistic concurrency over HTTP: ETag-guarded read-increment-write from many clients."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.fixtures.serving import auth_as_tester

THREADS = 8
LOOPS = 100
MAX_RETRIES = 1_000
TIME_LIMIT = 120.0


def increment_loops(server: str, url: str, deadline: float, stop: threading.Event) -> Counter[int]:
    """LOOPS increments of EmployeeCount, each re-read and retried on 412; every status counted."""
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=server, timeout=30, auth=auth_as_tester(server)) as http:
        for _ in range(LOOPS):
            for _attempt in range(MAX_RETRIES):
                if stop.is_set() or time.monotonic() > deadline:
                    raise TimeoutError("the increments did not finish in time")
                read = http.get(url, params={"$select": "EmployeeCount"})
                assert read.status_code == 200, read.text
                record = read.json()
                written = http.patch(
                    url,
                    json={"EmployeeCount": record["EmployeeCount"] + 1},
                    headers={"If-Match": record["@odata.etag"]},
                )
                statuses[written.status_code] += 1
                if written.status_code == 204:
                    break
                if written.status_code != 412:
                    raise AssertionError(f"unexpected {written.status_code}: {written.text}")
            else:
                raise AssertionError(f"no increment succeeded in {MAX_RETRIES} attempts")
    return statuses


@pytest.mark.slow
def test_etag_guarded_increments_lose_no_update(server: str, client: httpx.Client) -> None:
    created = client.post(
        "Accounts",
        json={
            "FullName": "Counter Ltd",
            "PartyType": "Organization",
            "Source": "Default",
            "Status": "Active",
            "IsEmailContactAllowed": True,
            "IsPhoneContactAllowed": False,
            "EmployeeCount": 7,
        },
        headers={"Prefer": "return=representation"},
    )
    assert created.status_code == 201, created.text
    start = created.json()["EmployeeCount"]
    assert start == 7
    url = f"Accounts({created.json()['RecordId']})"
    deadline = time.monotonic() + TIME_LIMIT
    stop = threading.Event()
    totals: Counter[int] = Counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [
            pool.submit(increment_loops, server, url, deadline, stop) for _ in range(THREADS)
        ]
        try:
            for future in futures:
                totals.update(future.result())
        finally:
            stop.set()
    assert client.get(f"{url}/EmployeeCount").json()["value"] == start + THREADS * LOOPS
    assert totals[204] == THREADS * LOOPS
    assert set(totals) <= {204, 412}
