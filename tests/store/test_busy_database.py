"""A write that cannot get SQLite's write lock in time fails as the store's 'unavailable'
error (a 503 at the API), not as a driver error: BEGIN goes to the driver directly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from commonground.errors import StoreUnavailableError
from tests.fixtures.records import account


def test_a_write_blocked_by_another_writer_is_unavailable_not_a_driver_error(env) -> None:
    if env.db.dialect.name != "sqlite":
        pytest.skip("SQLite's own write lock (BEGIN IMMEDIATE)")

    @event.listens_for(env.db.engine, "checkout")
    def wait_briefly(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    holder = sqlite3.connect(Path(env.db.engine.url.database or ""), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreUnavailableError, match="locked"):
            env.create("Account", [account("Blocked")])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        event.remove(env.db.engine, "checkout", wait_briefly)
    env.create("Account", [account("Free again")])
