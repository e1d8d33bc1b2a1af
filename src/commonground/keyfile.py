"""Keys kept outside the databases: in a file of the home folder, created on first use.

The file is created exclusively with mode 0600, so a key is never readable by other local
users, and two processes starting at once cannot both write one (the loser reads the
winner's). A copy of the database alone then reveals nothing the key protects.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def key_from_file(path: Path, generate: Callable[[], bytes]) -> bytes:
    """The key in `path`, made by `generate` and written there when the file is missing.

    The key is written to a private temporary file first and then linked into place, so a
    process that finds the file finds it whole."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate()
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        draft.unlink()
    return key
