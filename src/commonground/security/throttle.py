"""Sign-in throttling: too many failed sign-ins lock out a name, or an address, for a while.

Failures are counted per user name (or client id) and, separately, per client address, over
a sliding window. Past the limit every attempt is refused, even with the right password,
until enough failures have aged out of the window; the answer says when (Retry-After).
The per-name limit stops guessing one account's password; the per-address limit, higher
because several people may share one address, stops trying one password on many names.

The counts live in the directory database, not in memory, so that every API worker process
counts the same failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from commonground.security.directory import Clock, Directory
from commonground.store.installation import as_text, from_text


@dataclass(frozen=True)
class ThrottleLimits:
    """How many failures lock out a name or an address, and over how long a window."""

    per_name: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


class SignInThrottle:
    """Counts failed sign-ins and says when the next attempt may be made."""

    def __init__(
        self, directory: Directory, limits: ThrottleLimits | None = None, clock: Clock | None = None
    ) -> None:
        self.db = directory.db
        self.limits = limits or ThrottleLimits()
        self.clock = clock or directory.clock
        self._failures = self.db.table("failed_sign_ins")

    def retry_after(self, name: str, address: str | None) -> int | None:
        """Seconds until `name` from `address` may try again, or None when it may now."""
        waits = [self._wait(_name_key(name), self.limits.per_name)]
        if address:
            waits.append(self._wait(_address_key(address), self.limits.per_address))
        longest = max((w for w in waits if w is not None), default=None)
        return None if longest is None else max(1, math.ceil(longest.total_seconds()))

    def record_failure(self, name: str, address: str | None) -> None:
        """Count a failed sign-in against the name and the address."""
        now = self.clock()
        keys = [_name_key(name)] + ([_address_key(address)] if address else [])
        with self.db.engine.begin() as conn:
            conn.execute(
                delete(self._failures).where(
                    self._failures.c.at < as_text(now - self.limits.window)
                )
            )
            for key in keys:
                conn.execute(self._failures.insert().values(key=key, at=as_text(now)))

    def forget(self, name: str) -> None:
        """Clear a name's failures after it signed in (its address's failures stay)."""
        with self.db.engine.begin() as conn:
            conn.execute(delete(self._failures).where(self._failures.c.key == _name_key(name)))

    def _wait(self, key: str, limit: int) -> timedelta | None:
        now = self.clock()
        since = as_text(now - self.limits.window)
        table = self._failures
        recent = (table.c.key == key) & (table.c.at > since)
        with self.db.engine.connect() as conn:
            count = conn.execute(select(func.count()).where(recent)).scalar_one()
            if count < limit:
                return None
            # allowed again once the failures past the limit have left the window
            oldest_that_counts = conn.execute(
                select(table.c.at).where(recent).order_by(table.c.at).offset(count - limit).limit(1)
            ).scalar_one()
        return _until(from_text(oldest_that_counts) + self.limits.window, now)


def _until(moment: datetime, now: datetime) -> timedelta:
    return max(moment - now, timedelta(0))


def _name_key(name: str) -> str:
    return f"name:{name.strip().casefold()}"


def _address_key(address: str) -> str:
    return f"address:{address}"
