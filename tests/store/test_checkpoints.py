"""SQLite WAL checkpoints in a background thread (store/dialects/checkpoints.py)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from commonground.store.dialects.checkpoints import INTERVAL, Checkpointer
from tests.fixtures.records import account


def wal_database(path: Path, rows: int) -> sqlite3.Connection:
    """A WAL database holding `rows` rows, none of them checkpointed yet."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 100,)] * rows)
    return conn


def test_a_notified_checkpointer_copies_the_wal_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "env.sqlite"
    conn = wal_database(path, 2000)
    assert path.stat().st_size <= 8192  # everything is still in the WAL
    checkpointer = Checkpointer(path)
    try:
        checkpointer.notify()
        deadline = time.monotonic() + 50 * INTERVAL
        while path.stat().st_size <= 8192 and time.monotonic() < deadline:
            time.sleep(INTERVAL / 4)
        assert path.stat().st_size > 100 * 2000  # the rows' pages, copied by the thread
    finally:
        checkpointer.stop()
        conn.close()


def test_a_stopped_checkpointer_ends_its_thread_and_ignores_later_commits(tmp_path: Path) -> None:
    path = tmp_path / "env.sqlite"
    conn = wal_database(path, 10)
    checkpointer = Checkpointer(path)
    checkpointer.notify()
    checkpointer.stop()
    assert checkpointer._thread is not None
    assert not checkpointer._thread.is_alive()
    conn.close()
    checkpointer.notify()  # no new thread after stop
    assert not checkpointer._thread.is_alive()


def test_a_checkpointer_never_creates_a_dropped_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.sqlite"
    checkpointer = Checkpointer(path)
    checkpointer.notify()
    time.sleep(INTERVAL)
    checkpointer.stop()
    assert not path.exists()


def test_the_store_checkpoints_its_writes_in_the_background(env) -> None:
    if env.db.dialect.name != "sqlite":
        pytest.skip("WAL checkpoints are SQLite's")
    path = Path(env.db.engine.url.database)
    before = path.stat().st_size
    env.create("Account", [account(f"A{i}") for i in range(2000)])  # far below the backstop
    deadline = time.monotonic() + 50 * INTERVAL
    while path.stat().st_size < before + 200_000 and time.monotonic() < deadline:
        time.sleep(INTERVAL / 4)
    assert path.stat().st_size >= before + 200_000


class StopWhileClearing(threading.Event):
    """The thread's wake event: the first time the thread clears it after its pause, a
    stop() arrives just before the clear (the moment a stop's wake-up could be lost)."""

    def __init__(self) -> None:
        super().__init__()
        self.checkpointer: Checkpointer | None = None
        self.stopper: threading.Thread | None = None

    def clear(self) -> None:
        if self.stopper is None and self.checkpointer is not None:
            stopper = threading.Thread(target=self.checkpointer.stop, daemon=True)
            stopper.start()
            self.stopper = stopper  # seen by the test only once started
            deadline = time.monotonic() + 5
            while not self.is_set() and time.monotonic() < deadline:  # stop() has woken us
                time.sleep(0.001)
        super().clear()


def test_a_stop_that_comes_as_the_pause_ends_still_stops_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "env.sqlite"
    conn = wal_database(path, 10)
    checkpointer = Checkpointer(path)
    wake = StopWhileClearing()
    wake.checkpointer = checkpointer
    checkpointer._wake = wake
    checkpointer.notify()
    deadline = time.monotonic() + 50 * INTERVAL
    while wake.stopper is None and time.monotonic() < deadline:
        time.sleep(INTERVAL / 4)
    assert wake.stopper is not None
    wake.stopper.join(timeout=10 * INTERVAL)
    assert not wake.stopper.is_alive()  # stop() returned: the thread ended
    conn.close()
