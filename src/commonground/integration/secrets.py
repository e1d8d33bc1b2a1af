"""Connection secrets at rest: encrypted with Fernet under a key kept outside the database.

The key comes from COMMONGROUND_SECRET_KEY, else from a key file in the home folder that is
created on first use with mode 0600. Losing the key makes stored secrets unreadable (they
must be entered again), which is the point: a copy of the database alone reveals nothing.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from commonground.errors import DefinitionError
from commonground.keyfile import key_from_file
from commonground.settings import home_path, setting

KEY_FILE = "secret.key"


class SecretBox:
    """Encrypts and decrypts connection secrets with the installation's key."""

    def __init__(self, key: bytes | None = None, home: Path | None = None) -> None:
        configured = setting("secret_key")
        if key is None and configured:
            key = configured.encode()
        if key is None:
            key = key_from_file((home or home_path()) / KEY_FILE, Fernet.generate_key)
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
