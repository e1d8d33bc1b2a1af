"""Secrets are sealed with a key kept outside the database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from commonground.errors import DefinitionError
from commonground.integration.secrets import KEY_FILE, SecretBox


def test_round_trip_and_ciphertext_hides_the_secret(tmp_path: Path) -> None:
    box = SecretBox(home=tmp_path)
    sealed = box.seal("hunter2")
    assert "hunter2" not in sealed
    assert box.open(sealed) == "hunter2"


def test_key_file_is_created_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMONGROUND_SECRET_KEY", raising=False)
    sealed = SecretBox(home=tmp_path).seal("s")
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert SecretBox(home=tmp_path).open(sealed) == "s"


def test_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("COMMONGROUND_SECRET_KEY", key.decode())
    sealed = SecretBox(home=tmp_path).seal("s")
    assert not (tmp_path / KEY_FILE).exists()
    assert SecretBox(key=key).open(sealed) == "s"


def test_wrong_key_gives_a_clear_error(tmp_path: Path) -> None:
    sealed = SecretBox(key=Fernet.generate_key()).seal("s")
    with pytest.raises(DefinitionError, match="cannot be decrypted"):
        SecretBox(key=Fernet.generate_key()).open(sealed)


def test_bad_key_is_refused() -> None:
    with pytest.raises(DefinitionError, match="not a valid Fernet key"):
        SecretBox(key=b"short")
