"""Crash safety: SIGKILL the runner at random points of large runs, run again, compare.

The destination must end up exactly equal to the mapped source: nothing lost (watermarks move
only after the destination committed) and nothing written twice (writes match by key).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fixtures.fix_integration import World, one_way

RECORDS = 30_000
CHANGED_PER_ROUND = 6_000
WANTED_KILLS = 4
COMMAND = str(Path(sys.executable).parent / "commonground")


def _start_run(world: World) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COMMONGROUND_BATCH_SIZE": "200"}
    return subprocess.Popen(
        [COMMAND, "--home", str(world.home), "run", "start", "CustomersToHub"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigkill_at_random_points_loses_and_duplicates_nothing(world: World) -> None:
    rng = random.Random(20261124)
    world.crm.create("Customer", world.customers(*range(1, RECORDS + 1)))
    world.save_project(one_way())
    kills = 0
    for round_number in range(12):
        process = _start_run(world)
        time.sleep(rng.uniform(0.3, 2.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        _, err = process.communicate()
        assert process.returncode in (0, -signal.SIGKILL), err.decode()
        if kills >= WANTED_KILLS:
            break
        # the source keeps changing between the crashes, so every run has writes to do
        picked = rng.sample(range(1, RECORDS + 1), CHANGED_PER_ROUND)
        edits = [{"Number": f"C{n}", "Name": f"Edit {round_number} of {n}"} for n in picked]
        world.crm.upsert("Customer", edits, key=["Number"])
    assert kills >= 2, f"only {kills} run(s) could be killed before they finished"
    final = world.integrator.run("CustomersToHub")
    assert final.status == "Completed", final.message

    source = world.crm_rows()
    hub = world.hub_rows()
    assert len(hub) == RECORDS
    expected = {n: (r["Name"], Decimal(r["Credit"]), "US") for n, r in source.items()}
    actual = {c: (r["Name"], Decimal(r["Credit"]), r["Country"]) for c, r in hub.items()}
    assert actual == expected
    statuses = [e.status for e in world.integrator.history.list("CustomersToHub", 100)]
    assert statuses[0] == "Completed"
    assert "Running" not in statuses  # killed runs are marked Error by the next run
