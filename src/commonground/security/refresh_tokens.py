"""Refresh tokens: long-lived, single-use tokens that get a user a new access token.

They are opaque random strings, stored only as SHA-256 hashes (they carry 256 bits of
randomness, so a slow hash adds nothing). Each use consumes the token and issues a new one
(rotation), so a stolen token works at most once before its owner notices. A token also
stops working when its user's stamp changes (password reset, disable) or the user goes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete

from commonground.security.caller import CallerKind
from commonground.security.directory import Directory
from commonground.security.identities import Identity
from commonground.store.installation import as_text

DEFAULT_LIFETIME = timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokens:
    """Issues and redeems users' refresh tokens."""

    def __init__(self, directory: Directory, lifetime: timedelta = DEFAULT_LIFETIME) -> None:
        self.directory = directory
        self.lifetime = lifetime
        self._table = directory.db.table("refresh_tokens")

    def issue(self, identity: Identity) -> str:
        """A new refresh token for a user (expired ones of the user are cleared away)."""
        token = secrets.token_urlsafe(32)
        now = self.directory.clock()
        table = self._table
        with self.directory.db.engine.begin() as conn:
            conn.execute(
                delete(table).where(
                    (table.c.user_id == int(identity.subject))
                    & (table.c.expires_at <= as_text(now))
                )
            )
            conn.execute(
                table.insert().values(
                    token_hash=_digest(token),
                    user_id=int(identity.subject),
                    stamp=identity.stamp,
                    expires_at=as_text(now + self.lifetime),
                )
            )
        return token

    def redeem(self, token: str) -> Identity | None:
        """Consume a token: the user it was issued to when it is still good, else None."""
        table = self._table
        with self.directory.db.engine.begin() as conn:
            row = conn.execute(table.select().where(table.c.token_hash == _digest(token))).first()
            if row is None:
                return None
            # only the request that deletes the row may use it (two at once: one wins)
            taken = conn.execute(delete(table).where(table.c.token_hash == row.token_hash))
            if taken.rowcount != 1:
                return None
        if row.expires_at <= as_text(self.directory.clock()):
            return None
        identity = self.directory.identity(CallerKind.USER, str(row.user_id))
        if identity is None or identity.disabled or identity.stamp != row.stamp:
            return None
        return identity
