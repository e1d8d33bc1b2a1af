"""Access tokens: expiry, tampering and revocation; the signing key's file."""

from __future__ import annotations

import base64
import json
import stat
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from commonground.errors import DefinitionError
from commonground.security.authentication import Authenticator, open_authenticator
from commonground.security.caller import CallerKind
from commonground.security.directory import FILE
from commonground.security.tokens import KEY_FILE, InvalidTokenError, signing_key, token_lifetime
from tests.security.conftest import PASSWORD, Clock


def _sign_in(authenticator: Authenticator) -> str:
    return authenticator.sign_in_user("alice", PASSWORD, None).access_token


def test_a_token_names_its_caller(authenticator: Authenticator) -> None:
    caller = authenticator.verify(_sign_in(authenticator))
    assert (caller.name, caller.kind) == ("Alice", CallerKind.USER)


def test_tokens_expire(authenticator: Authenticator, clock: Clock) -> None:
    token = _sign_in(authenticator)
    clock.advance(minutes=14, seconds=59)
    authenticator.verify(token)
    clock.advance(seconds=1)
    with pytest.raises(InvalidTokenError, match="expired"):
        authenticator.verify(token)


def _segments(token: str) -> list[str]:
    return token.split(".")


def _encode(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _decode(segment: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(segment + "=" * 4))
    return data


def test_tampered_tokens_are_refused(authenticator: Authenticator) -> None:
    header, payload, signature = _segments(_sign_in(authenticator))
    claims = _decode(payload)
    changed = _encode({**claims, "name": "Mallory"})
    unsigned = _encode({"alg": "none", "typ": "JWT"})
    forged = jwt.encode(claims, b"another key of at least 32 bytes!!", algorithm="HS256")
    for token in (
        f"{header}.{changed}.{signature}",
        f"{unsigned}.{payload}.",
        f"{unsigned}.{changed}.",
        forged,
        "not a token",
        f"{header}.{payload}",
    ):
        with pytest.raises(InvalidTokenError):
            authenticator.verify(token)


def test_tokens_without_every_claim_are_refused(authenticator: Authenticator) -> None:
    claims = _decode(_segments(_sign_in(authenticator))[1])
    del claims["stamp"]
    token = jwt.encode(claims, authenticator.tokens._key, algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        authenticator.verify(token)


def test_disable_and_password_reset_revoke_tokens(
    authenticator: Authenticator, clock: Clock
) -> None:
    directory = authenticator.directory
    token = _sign_in(authenticator)
    authenticator.verify(token)  # now cached for a few seconds
    directory.disable_user("Alice")
    clock.advance(seconds=10)
    with pytest.raises(InvalidTokenError, match="revoked"):
        authenticator.verify(token)
    directory.enable_user("Alice")
    clock.advance(seconds=10)
    with pytest.raises(InvalidTokenError, match="revoked"):
        authenticator.verify(token)  # enabling again does not bring old tokens back

    token = _sign_in(authenticator)
    authenticator.verify(token)  # a new token is good at once, whatever the cache held
    directory.set_password("Alice", "a brand new password")
    clock.advance(seconds=10)
    with pytest.raises(InvalidTokenError, match="revoked"):
        authenticator.verify(token)
    fresh = authenticator.sign_in_user("alice", "a brand new password", None).access_token
    authenticator.verify(fresh)
    directory.delete_user("Alice")
    clock.advance(seconds=10)
    with pytest.raises(InvalidTokenError, match="revoked"):
        authenticator.verify(token)


def test_lookups_are_cached_briefly(authenticator: Authenticator, clock: Clock) -> None:
    token = _sign_in(authenticator)
    claims = authenticator.claims_of(token)
    assert authenticator.cached_caller(claims) is None
    authenticator.look_up_caller(claims)
    assert authenticator.cached_caller(claims) is not None
    clock.advance(seconds=6)
    assert authenticator.cached_caller(claims) is None


def test_the_key_file_is_created_once_with_mode_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMONGROUND_TOKEN_KEY", raising=False)
    key = signing_key(tmp_path)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert signing_key(tmp_path) == key
    assert len(key) >= 32


def test_a_configured_key_wins_and_must_be_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMONGROUND_TOKEN_KEY", "k" * 40)
    assert signing_key(tmp_path) == b"k" * 40
    assert not (tmp_path / KEY_FILE).exists()
    monkeypatch.setenv("COMMONGROUND_TOKEN_KEY", "short")
    with pytest.raises(DefinitionError, match="at least 32"):
        signing_key(tmp_path)


def test_the_installation_authenticator_follows_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMONGROUND_TOKEN_KEY", raising=False)
    monkeypatch.setenv("COMMONGROUND_TOKEN_MINUTES", "5")
    authenticator = open_authenticator(tmp_path)
    try:
        assert authenticator.tokens.lifetime == timedelta(minutes=5)
        assert (tmp_path / KEY_FILE).exists()
        assert (tmp_path / FILE).exists()
    finally:
        authenticator.directory.close()
    for wrong in ("0", "soon"):
        monkeypatch.setenv("COMMONGROUND_TOKEN_MINUTES", wrong)
        with pytest.raises(DefinitionError, match="token_minutes"):
            token_lifetime()
