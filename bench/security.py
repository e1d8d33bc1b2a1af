"""What authorization costs in the service layer: the same reads and writes as the local
operator (no checks), as a user whose role grants the entity outright, and as a user whose
grants carry record policies (a picklist filter on reads, "created by me" on updates).

Steps, in one run on a temporary SQLite home: create an environment with --records Account
records (half Active), then time, per caller, --rounds rounds of
  get      100 point reads by RecordId
  page     a 200-record filtered page
  count    a count over the whole entity
  upsert   an update of 1,000 of the caller's own records (one batch)
The last line printed is one JSON object with the milliseconds per operation and the ratios of
each caller to the operator, measured side by side.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from commonground.query.expressions import F
from commonground.query.plan import Query
from commonground.security.caller import SYSTEM, Caller
from commonground.security.permissions import (
    EntityPermission,
    Member,
    MemberKind,
    Operation,
    PermissionSet,
    Policy,
    Role,
)
from commonground.service.environment import Environment
from commonground.service.environments import Environments

GRANTED = Caller("granted")
LIMITED = Caller("limited")
POLICIES = PermissionSet(
    name="Active and own",
    entities={
        "Account": EntityPermission(
            operations=frozenset(Operation),
            policies={
                Operation.READ: Policy(field="Status", values=("Active",)),
                Operation.UPDATE: Policy(field="CreatedByUser", current_user=True),
            },
        )
    },
)


def account(n: int, who: str) -> dict[str, Any]:
    return {
        "AccountId": f"{who}-{n}",
        "FullName": f"Customer {n}",
        "PartyType": "Organization",
        "Source": "Default",
        "Status": "Active" if n % 2 else "Inactive",
        "IsEmailContactAllowed": True,
        "IsPhoneContactAllowed": False,
        "EmployeeCount": n % 5000,
    }


def prepare(env: Environment, records: int) -> dict[str, list[int]]:
    """Roles for the two users, and records created by each caller (their RecordIds)."""
    env.security.save_role(SYSTEM, Role(name="Granted", permission_sets=("Account Maintain",)))
    env.security.add_member(SYSTEM, "Granted", Member(kind=MemberKind.USER, name="granted"))
    env.security.save_permission_set(SYSTEM, POLICIES)
    env.security.save_role(SYSTEM, Role(name="Limited", permission_sets=(POLICIES.name,)))
    env.security.add_member(SYSTEM, "Limited", Member(kind=MemberKind.USER, name="limited"))
    ids: dict[str, list[int]] = {}
    for caller in (SYSTEM, GRANTED, LIMITED):
        batch = [account(n, caller.name) for n in range(records // 3)]
        written = env.create("Account", batch, caller=caller)
        ids[caller.name] = [rid for rid in written.record_ids if rid is not None]
    return ids


def timed(work: Callable[[], object], rounds: int) -> float:
    """Median milliseconds of one round."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(env: Environment, caller: Caller, own: list[int], rounds: int) -> dict[str, float]:
    """Milliseconds per operation for one caller."""
    active = [rid for rid in own if env.get("Account", rid)["Status"] == "Active"][:100]
    page = Query("Account", where=F.EmployeeCount >= 100, top=200)
    changed = [{"AccountId": f"{caller.name}-{n}", "Description": "x"} for n in range(1000)]
    flip = [0]

    def upsert() -> None:
        flip[0] += 1
        batch = [{**r, "Description": f"round {flip[0]}"} for r in changed]
        env.upsert("Account", batch, key="AccountId", caller=caller)

    return {
        "get_100_ms": round(
            timed(lambda: [env.get("Account", r, caller) for r in active], rounds), 2
        ),
        "page_200_ms": round(timed(lambda: env.query(page, caller), rounds), 2),
        "count_ms": round(timed(lambda: env.count(Query("Account"), caller), rounds), 2),
        "upsert_1000_ms": round(timed(upsert, rounds), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cg-bench-security-"))
    try:
        environments = Environments(home)
        env = environments.create("Bench")
        ids = prepare(env, args.records)
        results = {
            caller.name: measure(env, caller, ids[caller.name], args.rounds)
            for caller in (SYSTEM, GRANTED, LIMITED)
        }
        environments.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    operator = results[SYSTEM.name]
    ratios = {
        f"{who}_vs_operator": {k: round(v / operator[k], 2) for k, v in figures.items()}
        for who, figures in results.items()
        if who != SYSTEM.name
    }
    print(json.dumps({"records": args.records, "rounds": args.rounds, **results, **ratios}))


if __name__ == "__main__":
    main()
