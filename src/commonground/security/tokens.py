"""Access tokens: short-lived JWTs (HS256) that say who calls.

A token carries the identity's subject (a user's id or an application's client id), name,
kind and stamp. It is valid only while its signature checks out, it has not expired, and
the identity still exists, is enabled and has the same stamp; resetting a password or
disabling an identity changes the stamp, so its tokens stop working at once (give or take
the few seconds a lookup is cached, see authentication.py).

Expiry is checked against an injectable clock rather than PyJWT's, so tests need no sleeping.
The signing key comes from COMMONGROUND_TOKEN_KEY, else from `token.key` in the home folder,
created on first use; every API process of an installation must share it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from commonground.errors import DefinitionError, TerminalError
from commonground.keyfile import key_from_file
from commonground.security.caller import CallerKind
from commonground.security.directory import Clock
from commonground.security.identities import Identity
from commonground.settings import setting
from commonground.store.installation import utc_now

ALGORITHM = "HS256"
KEY_FILE = "token.key"
MIN_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key is at least as long as the hash
CLAIMS = ("sub", "name", "kind", "stamp", "iat", "exp", "jti")


class InvalidTokenError(TerminalError):
    """An access token is malformed, forged, expired or revoked."""

    code = "Unauthorized"


def signing_key(home: Path) -> bytes:
    """The installation's token signing key (see the module docstring)."""
    configured = setting("token_key")
    key = (
        configured.encode()
        if configured
        else key_from_file(home / KEY_FILE, lambda: secrets.token_urlsafe(48).encode())
    )
    if len(key) < MIN_KEY_BYTES:
        raise DefinitionError(f"the token key needs at least {MIN_KEY_BYTES} characters")
    return key


def token_lifetime() -> timedelta:
    """How long access tokens live (the token_minutes setting)."""
    minutes = setting("token_minutes") or "15"
    try:
        value = float(minutes)
    except ValueError as exc:
        raise DefinitionError(f"token_minutes must be a number, not {minutes!r}") from exc
    if value <= 0:
        raise DefinitionError("token_minutes must be more than 0")
    return timedelta(minutes=value)


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says (before the identity behind it is checked)."""

    subject: str
    name: str
    kind: CallerKind
    stamp: str
    expires_at: datetime


class AccessTokens:
    """Issues and checks signed access tokens."""

    def __init__(self, key: bytes, lifetime: timedelta, clock: Clock = utc_now) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise DefinitionError(f"the token key needs at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self.lifetime = lifetime
        self.clock = clock

    def issue(self, identity: Identity) -> str:
        """A new token for an identity."""
        now = self.clock()
        claims = {
            "sub": identity.subject,
            "name": identity.caller.name,
            "kind": identity.caller.kind.value,
            "stamp": identity.stamp,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def decode(self, token: str) -> TokenClaims:
        """The claims of a token signed with our key that has not expired."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False, "require": list(CLAIMS)},
            )
            kind = CallerKind(claims["kind"])
            expires = datetime.fromtimestamp(float(claims["exp"]), tz=self.clock().tzinfo)
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise InvalidTokenError("the access token is not valid") from exc
        if kind is CallerKind.SYSTEM or not all(
            isinstance(claims[k], str) for k in ("sub", "name", "stamp")
        ):
            raise InvalidTokenError("the access token is not valid")
        if expires <= self.clock():
            raise InvalidTokenError("the access token has expired")
        return TokenClaims(claims["sub"], claims["name"], kind, claims["stamp"], expires)
