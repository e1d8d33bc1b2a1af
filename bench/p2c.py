"""Prospect to Cash benchmark: the whole demo scenario at scale, against a raw insert.

Runs the demo (`commonground.apps.demo.Demo`) on a fresh folder with --accounts accounts and
the proportional contacts, products, quotes, orders and invoices; counts every record written
to any destination (hub included) in the full run and the incremental run (1% of accounts
and products changed); measures, in the same run, a raw SQLite executemany insert of as many
rows. The last line printed is one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from commonground.apps.demo import Demo


def raw_insert_per_s(rows: int, folder: Path) -> float:
    """Rows per second of an executemany insert of `rows` 6-column rows into a bare table
    (the time of the inserts and commits; the rows are made between them)."""
    with sqlite3.connect(folder / "raw.sqlite") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE t (k TEXT PRIMARY KEY, a TEXT, b TEXT, c NUMERIC, d INTEGER, e TEXT)"
        )
        seconds = 0.0
        for start in range(0, rows, 5000):  # made a chunk at a time: memory stays flat
            chunk = [
                (f"K{i:09d}", f"name {i}", "city", i * 1.5, i, "US")
                for i in range(start, min(start + 5000, rows))
            ]
            started = time.perf_counter()
            db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", chunk)
            db.commit()
            seconds += time.perf_counter() - started
        return rows / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cg-bench-p2c-"))
    try:
        started = time.perf_counter()
        result = Demo(folder / "home", args.accounts).run()
        total = time.perf_counter() - started
        written = sum(f.written for f in result.full)
        per_task: dict[str, dict[str, Any]] = defaultdict(lambda: {"written": 0, "seconds": 0.0})
        for f in result.full:
            per_task[f.project]["written"] += f.written
            per_task[f.project]["seconds"] += f.seconds
        raw = raw_insert_per_s(max(written, 1000), folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rate = written / result.full_seconds
    print(
        json.dumps(
            {
                "accounts": args.accounts,
                "records_written": written,
                "full_seconds": round(result.full_seconds, 2),
                "written_per_s": round(rate),
                "per_task_written_per_s": {
                    name: round(t["written"] / t["seconds"]) if t["seconds"] else 0
                    for name, t in per_task.items()
                },
                "raw_insert_per_s": round(raw),
                "rate_vs_raw": round(rate / raw, 4),
                "incremental_written": sum(f.written for f in result.incremental),
                "incremental_seconds": round(result.incremental_seconds, 2),
                "incremental_vs_full": round(result.incremental_seconds / result.full_seconds, 4),
                "verified": result.verified,
                "total_seconds": round(total, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
