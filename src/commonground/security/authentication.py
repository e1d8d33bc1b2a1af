"""Authentication: sign-in (password, client credentials, refresh token) and the check of
an access token, composed from the directory, the tokens and the throttle.

Checking a token needs the identity's current stamp, which is a database lookup; it is
cached for a few seconds per identity, so a busy client costs one lookup per few seconds
rather than one per request, and a revocation takes effect within that time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from commonground.errors import TerminalError, TransientError
from commonground.security.caller import Caller, CallerKind
from commonground.security.directory import Directory
from commonground.security.identities import Identity
from commonground.security.refresh_tokens import DEFAULT_LIFETIME, RefreshTokens
from commonground.security.throttle import SignInThrottle, ThrottleLimits
from commonground.security.tokens import (
    AccessTokens,
    InvalidTokenError,
    TokenClaims,
    signing_key,
    token_lifetime,
)

CACHE_SECONDS = 5.0
DECODED_TOKENS = 10_000  # verified tokens kept; when full, all are forgotten at once


class SignInRefusedError(TerminalError):
    """The name and password, client credentials or refresh token are not good."""

    code = "SignInRefused"


class SignInThrottledError(TransientError):
    """Too many failed sign-ins for the name or address; try again after `retry_after` s."""

    code = "TooManyRequests"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins; retry after {retry_after} s")


@dataclass(frozen=True)
class TokenGrant:
    """The tokens a sign-in gets: an access token, its lifetime in seconds, and for users a
    refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str | None = None


class Authenticator:
    """Signs identities in and tells the caller behind an access token."""

    def __init__(
        self,
        directory: Directory,
        key: bytes,
        token_lifetime: timedelta = timedelta(minutes=15),
        refresh_lifetime: timedelta = DEFAULT_LIFETIME,
        limits: ThrottleLimits | None = None,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.directory = directory
        self.tokens = AccessTokens(key, token_lifetime, directory.clock)
        self.refresh_tokens = RefreshTokens(directory, refresh_lifetime)
        self.throttle = SignInThrottle(directory, limits)
        self.cache_for = timedelta(seconds=cache_seconds)
        self._cache: dict[tuple[CallerKind, str], tuple[datetime, Identity | None]] = {}
        self._decoded: dict[str, TokenClaims] = {}
        self._lock = threading.Lock()

    def sign_in_user(self, name: str, password: str, address: str | None) -> TokenGrant:
        """Tokens for a user's name and password (throttled)."""
        identity = self._throttled(
            name, address, lambda: self.directory.check_password(name, password)
        )
        return self._grant(identity, refresh=True)

    def sign_in_application(self, client_id: str, secret: str, address: str | None) -> TokenGrant:
        """An access token for an application's client credentials (throttled)."""
        identity = self._throttled(
            client_id, address, lambda: self.directory.check_client_secret(client_id, secret)
        )
        return self._grant(identity, refresh=False)

    def refresh(self, refresh_token: str) -> TokenGrant:
        """New tokens for a refresh token, which is used up."""
        identity = self.refresh_tokens.redeem(refresh_token)
        if identity is None:
            raise SignInRefusedError("the refresh token is not valid")
        return self._grant(identity, refresh=True)

    def claims_of(self, token: str) -> TokenClaims:
        """The claims of a well-signed, unexpired token (no database access).

        A client sends the same token with every request for its lifetime: its signature is
        checked once and the claims kept (expiry is still checked on every use), which saves
        a tenth of a point read."""
        claims = self._decoded.get(token)
        if claims is None:
            claims = self.tokens.decode(token)
            if len(self._decoded) >= DECODED_TOKENS:
                self._decoded.clear()
            self._decoded[token] = claims
        elif claims.expires_at <= self.directory.clock():
            del self._decoded[token]
            raise InvalidTokenError("the access token has expired")
        return claims

    def cached_caller(self, claims: TokenClaims) -> Caller | None:
        """The caller for checked claims when the identity was looked up moments ago, else
        None (then `look_up_caller`, which needs the database)."""
        entry = self._cache.get((claims.kind, claims.subject))
        if entry is None or entry[0] <= self.directory.clock():
            return None
        identity = entry[1]
        if identity is None or not _valid(claims, identity):
            return None  # a refusal is never taken from the cache: the token may be newer
        return identity.caller

    def look_up_caller(self, claims: TokenClaims) -> Caller:
        """The caller for checked claims, from the directory (and into the cache)."""
        identity = self.directory.identity(claims.kind, claims.subject)
        with self._lock:
            expires = self.directory.clock() + self.cache_for
            self._cache[(claims.kind, claims.subject)] = (expires, identity)
        return _caller(claims, identity)

    async def caller_of_token(self, token: str) -> Caller:
        """The caller behind an access token, for a request on the event loop: from the
        cache when the identity was looked up moments ago, else from the directory in the
        thread pool (InvalidTokenError when the token is not good)."""
        claims = self.claims_of(token)
        cached = self.cached_caller(claims)
        if cached is not None:
            return cached
        return await run_in_threadpool(self.look_up_caller, claims)

    def verify(self, token: str) -> Caller:
        """The caller behind an access token; InvalidTokenError when it is not good."""
        claims = self.claims_of(token)
        return self.cached_caller(claims) or self.look_up_caller(claims)

    def _throttled(
        self, name: str, address: str | None, check: Callable[[], Identity | None]
    ) -> Identity:
        wait = self.throttle.retry_after(name, address)
        if wait is not None:
            raise SignInThrottledError(wait)
        identity = check()
        if identity is None:
            self.throttle.record_failure(name, address)
            raise SignInRefusedError("the credentials are not valid")
        self.throttle.forget(name)
        return identity

    def _grant(self, identity: Identity, refresh: bool) -> TokenGrant:
        return TokenGrant(
            self.tokens.issue(identity),
            int(self.tokens.lifetime.total_seconds()),
            self.refresh_tokens.issue(identity) if refresh else None,
        )


def _valid(claims: TokenClaims, identity: Identity) -> bool:
    return not identity.disabled and identity.stamp == claims.stamp


def _caller(claims: TokenClaims, identity: Identity | None) -> Caller:
    if identity is None or not _valid(claims, identity):
        raise InvalidTokenError("the access token has been revoked")
    return identity.caller


def open_authenticator(home: Path, database_url: str | None = None) -> Authenticator:
    """The installation's authenticator, with its settings (token key and lifetime)."""
    return Authenticator(Directory(home, database_url), signing_key(home), token_lifetime())
