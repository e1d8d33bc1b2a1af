"""Store benchmark: bulk upsert of Account records against a raw insert of the same rows.

Steps, all in one run on the embedded SQLite store (or PostgreSQL with --database-url):
  1. raw: executemany INSERT of the same rows (driver form) into a bare table, same pragmas;
  2. upsert: every record, in batches, each batch its own transaction;
  3. re-upsert: the same records again, unchanged (must write no change entries);
  4. 1% changed: the same records with every 100th one changed;
  5. changes-since: read the changes made by step 4.
The last line printed is one JSON object with the figures and their ratios. The `_cpu`
ratios compare process time (every thread of the process, so background checkpoints count):
steadier than wall time on a machine others are using.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from commonground.service.environments import Environments

STATUSES = ("Active", "Inactive")
PARTY_TYPES = ("Organization", "Person", "Group")
CITIES = ("Seattle", "Oslo", "Lyon", "Osaka", "Lima", "Perth")


def account(i: int, revision: int = 0) -> dict[str, Any]:
    """A deterministic Account record; `revision` changes its name."""
    return {
        "AccountId": f"A{i:09d}",
        "FullName": f"Customer {i} rev {revision}" if revision else f"Customer {i}",
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


def batches(count: int, size: int, changed_every: int = 0) -> Iterator[list[dict[str, Any]]]:
    """The benchmark records in batches; every `changed_every`-th record gets a new revision."""
    for start in range(0, count, size):
        yield [
            account(i, 1 if changed_every and i % changed_every == 0 else 0)
            for i in range(start, min(start + size, count))
        ]


RAW_COLUMNS = (
    "AccountId, FullName, EmailPrimary, PhonePrimary, Status, PartyType, Source, "
    "IsEmailContactAllowed, IsPhoneContactAllowed, EmployeeCount, CreditLimitAmount_Amount, "
    "CreditLimitAmount_CurrencyCode, MailingPostalAddress_City, MailingPostalAddress_PostalCode"
)


def raw_rows(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The same records as driver rows (picklists as numbers), as a raw loader would send."""
    return [
        (
            r["AccountId"],
            r["FullName"],
            r["EmailPrimary"],
            r["PhonePrimary"],
            STATUSES.index(r["Status"]),
            PARTY_TYPES.index(r["PartyType"]),
            0,
            int(r["IsEmailContactAllowed"]),
            int(r["IsPhoneContactAllowed"]),
            r["EmployeeCount"],
            r["CreditLimitAmount"]["Amount"],
            0,
            r["MailingPostalAddress"]["City"],
            r["MailingPostalAddress"]["PostalCode"],
        )
        for r in records
    ]


class Clock:
    """Wall and process seconds summed over the timed regions."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self._started = (0.0, 0.0)

    def start(self) -> None:
        """Begin a timed region."""
        self._started = (time.perf_counter(), time.process_time())

    def stop(self) -> None:
        """End the timed region, adding its duration."""
        wall, cpu = self._started
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu


def raw_insert(folder: Path, count: int, size: int) -> Clock:
    """Time for executemany of the same rows into a bare SQLite table (same pragmas)."""
    conn = sqlite3.connect(folder / "raw.sqlite", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-16384"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(f"CREATE TABLE raw ({RAW_COLUMNS})")
    placeholders = ", ".join("?" * len(RAW_COLUMNS.split(",")))
    sql = f"INSERT INTO raw ({RAW_COLUMNS}) VALUES ({placeholders})"
    clock = Clock()
    for records in batches(count, size):
        rows = raw_rows(records)
        clock.start()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        clock.stop()
    conn.close()
    return clock


def timed_upserts(
    env: Any, count: int, size: int, changed_every: int = 0
) -> tuple[Clock, dict[str, int]]:
    """Time spent in upsert calls, and the summed outcome counts."""
    clock = Clock()
    totals = {"inserted": 0, "updated": 0, "unchanged": 0}
    for records in batches(count, size, changed_every):
        clock.start()
        result = env.upsert("Account", records, key="AccountId")
        clock.stop()
        totals["inserted"] += result.inserted
        totals["updated"] += result.updated
        totals["unchanged"] += result.unchanged
    return clock, totals


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cg-bench-"))
    envs = Environments(home=folder, database_url=args.database_url)
    name = f"bench{int(time.time())}"
    try:
        raw = raw_insert(folder, args.records, args.batch)
        env = envs.create(name)
        load, first = timed_upserts(env, args.records, args.batch)
        token = env.current_token()
        again, second = timed_upserts(env, args.records, args.batch)
        unchanged_token = env.current_token()
        changed, third = timed_upserts(env, args.records, args.batch, changed_every=100)
        started = time.perf_counter()
        seen, since, more = 0, unchanged_token, True
        while more:
            changes = env.changes_since("Account", since, limit=args.batch)
            seen += len(changes.changed)
            since, more = changes.token, changes.more
        changes_s = time.perf_counter() - started
    finally:
        if args.database_url:
            envs.delete(name)
        envs.close()
        shutil.rmtree(folder, ignore_errors=True)
    n = args.records
    raw_s, load_s, again_s, changed_s = raw.wall, load.wall, again.wall, changed.wall
    figures = {
        "records": n,
        "backend": "postgresql" if args.database_url else "sqlite",
        "raw_insert_per_s": round(n / raw_s),
        "upsert_per_s": round(n / load_s),
        "upsert_vs_raw": round(raw_s / load_s, 3),
        "reupsert_unchanged_per_s": round(n / again_s),
        "reupsert_speedup": round(load_s / again_s, 3),
        "upsert_vs_raw_cpu": round(raw.cpu / load.cpu, 3),
        "reupsert_speedup_cpu": round(load.cpu / again.cpu, 3),
        "reupsert_change_entries": unchanged_token - token,
        "upsert_1pct_changed_per_s": round(n / changed_s),
        "changed_records_seen": seen,
        "changes_since_s": round(changes_s, 4),
        "changes_since_vs_load": round(changes_s / load_s, 5),
        "outcomes": {"first": first, "unchanged": second, "one_percent": third},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures), flush=True)
    if seen != n // 100 + (1 if n % 100 else 0) and seen != len(range(0, n, 100)):
        print(f"expected {len(range(0, n, 100))} changed records, saw {seen}", file=sys.stderr)


if __name__ == "__main__":
    main()
