"""Leases: one holder at a time, expiry, dead holders, release."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from commonground.integration.catalog.database import CatalogDatabase
from commonground.integration.leases import HOST, Lease, new_holder


def test_one_holder_at_a_time(tmp_path: Path) -> None:
    db = CatalogDatabase(tmp_path)
    first = Lease(db, "project:a", new_holder())
    second = Lease(db, "project:a", new_holder())
    assert first.acquire()
    assert not second.acquire()
    assert Lease(db, "project:b", new_holder()).acquire()  # another name is independent
    first.release()
    assert second.acquire()
    assert not first.renew()  # lost to the second holder
    db.close()


def test_expired_lease_is_taken_over(tmp_path: Path) -> None:
    db = CatalogDatabase(tmp_path)
    gone = Lease(db, "x", "otherhost:1:abc", ttl=timedelta(seconds=-1))
    assert gone.acquire()
    assert Lease(db, "x", new_holder()).acquire()
    db.close()


def test_lease_of_a_dead_process_on_this_host_is_taken_at_once(tmp_path: Path) -> None:
    db = CatalogDatabase(tmp_path)
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = Lease(db, "x", f"{HOST}:{child.stdout.strip()}:abc", ttl=timedelta(hours=1))
    assert dead.acquire()
    assert Lease(db, "x", new_holder()).acquire()
    db.close()


def test_live_holder_elsewhere_keeps_its_lease(tmp_path: Path) -> None:
    db = CatalogDatabase(tmp_path)
    assert Lease(db, "x", "otherhost:1:abc", ttl=timedelta(hours=1)).acquire()
    assert not Lease(db, "x", new_holder()).acquire()
    db.close()


def _expiry(db: CatalogDatabase, name: str) -> str:
    table = db.table("leases")
    with db.engine.connect() as conn:
        return str(conn.execute(select(table.c.expires_on).where(table.c.name == name)).scalar())


def test_keep_writes_only_once_half_the_ttl_has_passed(tmp_path: Path) -> None:
    """Runs call `keep` between batches: a lease renewed less than half a TTL ago cannot
    have expired, so nobody can have taken it, and the catalog is not written."""
    db = CatalogDatabase(tmp_path)
    long = Lease(db, "long", new_holder(), ttl=timedelta(hours=1))
    assert long.acquire()
    taken = _expiry(db, "long")
    assert long.keep()
    assert _expiry(db, "long") == taken
    short = Lease(db, "short", new_holder(), ttl=timedelta(0))
    assert short.acquire()
    assert Lease(db, "short", new_holder()).acquire()  # expired at once: taken over
    assert not short.keep()  # due at once, so the loss is seen
    db.close()


def test_keep_after_release_reports_the_lease_lost(tmp_path: Path) -> None:
    db = CatalogDatabase(tmp_path)
    first = Lease(db, "x", new_holder(), ttl=timedelta(hours=1))
    assert first.acquire()
    first.release()
    assert Lease(db, "x", new_holder()).acquire()
    assert not first.keep()
    db.close()
