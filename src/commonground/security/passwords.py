"""Password and client-secret hashing with Argon2id (argon2-cffi's recommended defaults).

Only hashes are stored. Checking a name that does not exist still costs one verification
(against a hash of nothing in particular), so response times do not tell which names exist.
Tests may pass cheaper parameters (`cheap_hasher`); the product always uses the defaults.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 8


class SecretHasher:
    """Hashes and verifies passwords and client secrets."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    @cached_property
    def _decoy(self) -> str:
        """A hash to check unknown names against (made on first need: hashing is slow)."""
        return self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        """The Argon2id hash of a secret (salted, so equal secrets hash differently)."""
        return self._hasher.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        """Whether `secret` matches `stored_hash`; None (no such identity) never matches
        but takes as long as a real check."""
        try:
            return self._hasher.verify(stored_hash or self._decoy, secret) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False


def cheap_hasher() -> SecretHasher:
    """A hasher with minimal work factors, for tests that sign in many times."""
    return SecretHasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
