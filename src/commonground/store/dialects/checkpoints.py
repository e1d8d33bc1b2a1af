"""SQLite WAL checkpoints in a thread of their own, off the committing writer's path.

With SQLite's automatic checkpoints, the commit that takes the WAL past its limit copies the
logged pages back into the database file and syncs it before it returns: in a bulk load, a
sixth of the time spent writing. A `Checkpointer` per database file does that copying in a
background thread, `INTERVAL` after a write commit (so many small commits share one
checkpoint and its sync). The writers' own automatic checkpoint stays as the
backstop, at a higher limit (`BACKSTOP_PAGES`), for when the thread falls behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

INTERVAL = 0.2  # seconds from a commit to the checkpoint that copies it
BACKSTOP_PAGES = 8192  # 32 MB of 4 KB pages: the writers' automatic checkpoint limit

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints one database file's WAL in a daemon thread, started on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """A write transaction committed: checkpoint soon."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopping.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name=f"checkpoint {self.path.name}", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread (after its current checkpoint) and close its connection."""
        with self._lock:
            self._stopping.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        try:
            # mode=rw: a file dropped meanwhile is not created again
            conn = sqlite3.connect(f"{self.path.as_uri()}?mode=rw", uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("no background checkpoints for %s: %s", self.path, exc)
            return
        try:
            while self._wake.wait() and not self._stopping.wait(INTERVAL):
                # after the pause: the commit that woke us has finished, and later ones
                # share this checkpoint
                self._wake.clear()
                if self._stopping.is_set():  # stop() came after the pause: its wake is gone
                    return
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the writers' own checkpoints carry on
            log.warning("background checkpoints of %s stopped: %s", self.path, exc)
        finally:
            conn.close()
