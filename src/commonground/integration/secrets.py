"""Connection secrets at rest: encrypted with Fernet under a key kept outside the database.

The key comes from COMMONGROUND_SECRET_KEY, else from a key file in the home folder that is
created on first use with mode 0600. Losing the key makes stored secrets unreadable (they
must be entered again), which is the point: a copy of the database alone reveals nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from commonground.errors import DefinitionError
from commonground.settings import home_path, setting

KEY_FILE = "secret.key"


def _key_from_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class SecretBox:
    """Encrypts and decrypts connection secrets with the installation's key."""

    def __init__(self, key: bytes | None = None, home: Path | None = None) -> None:
        configured = setting("secret_key")
        if key is None and configured:
            key = configured.encode()
        if key is None:
            key = _key_from_file((home or home_path()) / KEY_FILE)
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise DefinitionError(
                "the secret key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc

    def seal(self, plain: str) -> str:
        """The encrypted form of a text."""
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        """The text back; a clear error when the key is not the one it was sealed with."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise DefinitionError(
                "a stored secret cannot be decrypted with the current secret key; "
                "enter the connection's secrets again"
            ) from exc
