"""Sync benchmark: a SQL source table to the hub through the integrator, side by side with a
raw SQLite insert of the same rows and with dlt loading the same rows the same way.

Steps (each measured phase runs in its own process, so peak memory is its own):
  1. source: a SQLite table `customers` (key `number`, cursor `modified_at`) with N rows;
  2. raw: executemany INSERT of the same rows into a bare SQLite table (the floor);
  3. ours: a project with one task, source table -> hub entity Client (upsert by Code);
     a full run, then 1% of the source rows changed, then an incremental run;
  4. dlt: the same rows from the same table into SQLite, write disposition merge on the key;
  5. memory: our full run again at 100,000 rows, for the peak-RSS growth ratio.
The last line printed is one JSON object with the figures and their ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROWS_PER_INSERT = 50_000
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def source_row(i: int) -> tuple[Any, ...]:
    """One deterministic source row."""
    stamp = (BASE_TIME + timedelta(seconds=i // 100)).isoformat()
    return (f"C{i:08d}", f"Customer {i}", (i % 1000) * 10 + 0.5, "US", stamp)


def make_source(path: Path, records: int) -> None:
    """The source table with `records` rows (several rows share each cursor value)."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE customers (number TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "credit NUMERIC, country TEXT, modified_at TEXT NOT NULL)"
        )
        db.execute("CREATE INDEX customers_cursor ON customers (modified_at, number)")
        for start in range(0, records, ROWS_PER_INSERT):
            rows = [source_row(i) for i in range(start, min(start + ROWS_PER_INSERT, records))]
            db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", rows)


def change_one_percent(path: Path) -> int:
    """Rename every 100th row and move its cursor past every other row."""
    later = (BASE_TIME + timedelta(days=3650)).isoformat()
    with sqlite3.connect(path) as db:
        cursor = db.execute(
            "UPDATE customers SET name = name || ' (changed)', modified_at = ? "
            "WHERE CAST(substr(number, 2) AS INTEGER) % 100 = 0",
            (later,),
        )
        return cursor.rowcount


def phase_raw(work: Path, records: int) -> dict[str, Any]:
    """The floor: executemany of the same rows into a bare table, same pragmas as the hub."""
    target = work / "raw.sqlite"
    with sqlite3.connect(work / "source.sqlite") as source, sqlite3.connect(target) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE clients (code TEXT PRIMARY KEY, name TEXT, credit NUMERIC, country TEXT)"
        )
        started = time.perf_counter()
        rows = source.execute("SELECT number, name, credit, country FROM customers")
        while chunk := rows.fetchmany(5000):
            db.executemany("INSERT INTO clients VALUES (?, ?, ?, ?)", chunk)
            db.commit()
        seconds = time.perf_counter() - started
    return {"raw_seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def _integrator(work: Path) -> Any:
    from commonground.integration.definitions import (
        ConnectionDef,
        ConnectionSetDef,
        FieldMapping,
        Leg,
        ProjectDef,
        TaskDef,
    )
    from commonground.integration.integrator import Integrator
    from commonground.model.entity import Entity
    from commonground.service.environments import Environments

    home = work / "home"
    environments = Environments(home=home)
    hub = environments.create("hub")
    hub.create_entity(
        Entity.model_validate(
            {
                "name": "Client",
                "fields": {
                    "Code": {"type": "Text", "max_length": 20},
                    "Name": {"type": "Text", "max_length": 100},
                    "Credit": {"type": "Number", "decimals": 2},
                    "Country": {"type": "Text", "max_length": 60},
                },
            }
        )
    )
    hub.add_key("Client", "ByCode", ["Code"])
    environments.close()
    integrator = Integrator(home=home)
    store = integrator.definitions
    store.save_connection(
        ConnectionDef(
            name="erp",
            kind="sql",
            settings={
                "url": f"sqlite:///{work / 'source.sqlite'}",
                "cursors": {"customers": "modified_at"},
            },
        )
    )
    store.save_connection(
        ConnectionDef(
            name="hub", kind="commonground", settings={"environment": "hub", "home": str(home)}
        )
    )
    store.save_connection_set(
        ConnectionSetDef(
            name="erp-hub",
            connections={"erp": "erp", "hub": "hub"},
            keys={"erp.customers": ["number"], "hub.Client": ["Code"]},
        )
    )
    pairs = [("number", "Code"), ("name", "Name"), ("credit", "Credit"), ("country", "Country")]
    store.save_project(
        ProjectDef(
            name="CustomersToHub",
            connection_set="erp-hub",
            consent=True,
            tasks=[
                TaskDef(
                    name="Customers",
                    legs=[
                        Leg(
                            source="erp",
                            source_entity="customers",
                            destination="hub",
                            destination_entity="Client",
                            mappings=[FieldMapping(source=s, destination=d) for s, d in pairs],
                        )
                    ],
                )
            ],
        ),
        "bench",
    )
    return integrator


def phase_ours(work: Path, records: int, incremental: bool) -> dict[str, Any]:
    """A full run, then (optionally) 1% changed and an incremental run."""
    integrator = _integrator(work)
    started = time.perf_counter()
    full = integrator.run("CustomersToHub", batch_size=5000)
    full_seconds = time.perf_counter() - started
    counts = full.steps[0].counts
    if full.status != "Completed" or counts.inserted != records:
        raise SystemExit(f"full run: {full.status} {counts} {full.message}")
    result: dict[str, Any] = {"full_seconds": full_seconds, "peak_rss_mb": peak_rss_mb()}
    if incremental:
        changed = change_one_percent(work / "source.sqlite")
        started = time.perf_counter()
        run = integrator.run("CustomersToHub", batch_size=5000)
        result["incremental_seconds"] = time.perf_counter() - started
        step = run.steps[0].counts
        if run.status != "Completed" or step.read != changed or step.updated != changed:
            raise SystemExit(f"incremental run: {run.status} {step} (changed {changed})")
        result["incremental_changed"] = changed
        result["peak_rss_mb"] = peak_rss_mb()
    integrator.close()
    return result


def phase_dlt(work: Path, records: int) -> dict[str, Any]:
    """dlt: the same table into SQLite with write disposition merge on the same key."""
    import dlt
    from dlt.sources.sql_database import sql_table

    source = sql_table(
        credentials=f"sqlite:///{work / 'source.sqlite'}",
        table="customers",
        primary_key="number",
        write_disposition="merge",
        backend="sqlalchemy",
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_sync",
        pipelines_dir=str(work / "dlt_pipelines"),
        destination=dlt.destinations.sqlalchemy(f"sqlite:///{work / 'dlt.sqlite'}"),
        dataset_name="main",
    )
    started = time.perf_counter()
    pipeline.run(source)
    return {"dlt_seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


PHASES = {"raw": phase_raw, "dlt": phase_dlt}


def run_phase(phase: str, work: Path, records: int, incremental: bool = True) -> dict[str, Any]:
    """Run one phase in a child process and return its JSON figures."""
    command = [
        sys.executable,
        __file__,
        "--phase",
        phase,
        "--work",
        str(work),
        "--records",
        str(records),
    ]
    if not incremental:
        command.append("--no-incremental")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{done.stdout}\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def fresh(work: Path, records: int) -> Path:
    """A new work folder holding only the source table."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    make_source(work / "source.sqlite", records)
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--memory-baseline",
        type=int,
        default=100_000,
        help="Also run ours at this size for the peak-RSS growth ratio (0: skip).",
    )
    parser.add_argument("--skip-dlt", action="store_true", help="Do not run the dlt comparison.")
    parser.add_argument("--phase", choices=["raw", "ours", "dlt"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-incremental", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "ours":
            figures = phase_ours(args.work, args.records, not args.no_incremental)
        else:
            figures = PHASES[args.phase](args.work, args.records)
        print(json.dumps(figures))
        return

    root = Path(tempfile.mkdtemp(prefix="cg-bench-sync-"))
    try:
        n = args.records
        raw = run_phase("raw", fresh(root / "raw", n), n)
        ours = run_phase("ours", fresh(root / "ours", n), n)
        dlt_figures = None if args.skip_dlt else run_phase("dlt", fresh(root / "dlt", n), n)
        baseline = None
        if args.memory_baseline and args.memory_baseline < n:
            small = args.memory_baseline
            baseline = run_phase("ours", fresh(root / "small", small), small, incremental=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result: dict[str, Any] = {
        "records": n,
        "full_seconds": round(ours["full_seconds"], 3),
        "full_per_s": round(n / ours["full_seconds"]),
        "raw_insert_per_s": round(n / raw["raw_seconds"]),
        "full_vs_raw_time": round(ours["full_seconds"] / raw["raw_seconds"], 2),
        "incremental_seconds": round(ours["incremental_seconds"], 3),
        "incremental_vs_full": round(ours["incremental_seconds"] / ours["full_seconds"], 4),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
    }
    if dlt_figures is not None:
        result["dlt_seconds"] = round(dlt_figures["dlt_seconds"], 3)
        result["dlt_vs_ours_time"] = round(dlt_figures["dlt_seconds"] / ours["full_seconds"], 2)
    if baseline is not None:
        result["peak_rss_mb_at_baseline"] = round(baseline["peak_rss_mb"], 1)
        result["baseline_records"] = args.memory_baseline
        result["rss_growth_vs_baseline"] = round(ours["peak_rss_mb"] / baseline["peak_rss_mb"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
