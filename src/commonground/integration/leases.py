"""Leases in the catalog: at most one holder of a name at a time, across processes and hosts.

A holder renews its lease while it works; a lease that is not renewed expires, so a crashed
runner never blocks a project for good. On the same host a holder whose process is gone is
recognised at once, so a run after a crash does not wait for the expiry.

A run checks its lease between batches with `keep`, which writes the catalog only once half
the TTL has passed since the lease was taken or last renewed: before it expires nobody can
take a lease from a live holder, so the check in between needs no statement (renewing on
every batch was a catalog commit per batch, 7% of a bulk load).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from commonground.integration.catalog.database import CatalogDatabase, as_text, utc_now

HOST = socket.gethostname()


def new_holder() -> str:
    """A holder name: host, process id and a random part (several runners per process)."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_gone(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """One named lease held by one holder."""

    def __init__(
        self, db: CatalogDatabase, name: str, holder: str, ttl: timedelta = timedelta(seconds=60)
    ) -> None:
        self.db = db
        self.table = db.table("leases")
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._due = 0.0  # time.monotonic() at which `keep` renews again

    def _held(self, held: bool) -> bool:
        """Note a successful take or renewal: `keep` need not renew for half a TTL."""
        self._due = time.monotonic() + self.ttl.total_seconds() / 2 if held else 0.0
        return held

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or held by a dead process; False otherwise."""
        now = utc_now()
        expires = as_text(now + self.ttl)
        t = self.table
        with self.db.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.name == self.name)).first()
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(t).values(name=self.name, holder=self.holder, expires_on=expires)
                        )
                except IntegrityError:
                    return False
                return self._held(True)
            held = row.holder != self.holder and row.expires_on > as_text(now)
            if held and not _holder_gone(row.holder):
                return False
            taken = conn.execute(
                update(t)
                .where(t.c.name == self.name)
                .where(t.c.holder == row.holder)
                .where(t.c.expires_on == row.expires_on)
                .values(holder=self.holder, expires_on=expires)
            ).rowcount
            return self._held(bool(taken))

    def renew(self) -> bool:
        """Extend the lease; False when it was lost to another holder."""
        t = self.table
        with self.db.engine.begin() as conn:
            renewed = conn.execute(
                update(t)
                .where(t.c.name == self.name)
                .where(t.c.holder == self.holder)
                .values(expires_on=as_text(utc_now() + self.ttl))
            ).rowcount
        return self._held(bool(renewed))

    def keep(self) -> bool:
        """Whether the lease is still held, renewing it when half the TTL has passed since
        it was taken or last renewed (see the module docstring); False when it was lost."""
        return time.monotonic() < self._due or self.renew()

    def release(self) -> None:
        """Give the lease up."""
        self._due = 0.0
        t = self.table
        with self.db.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.name == self.name).where(t.c.holder == self.holder))

    def holder_now(self) -> str | None:
        """Who holds the lease now (None when free)."""
        t = self.table
        with self.db.engine.connect() as conn:
            return conn.execute(select(t.c.holder).where(t.c.name == self.name)).scalar()
