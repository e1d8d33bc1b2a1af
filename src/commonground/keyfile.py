"""Keys kept outside the databases: in a file of the home folder, created on first use.

The file is created exclusively with mode 0600, so a key is never readable by other local
users, and two processes starting at once cannot both write one (the loser reads the
winner's). A copy of the database alone then reveals nothing the key protects.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def key_from_file(path: Path, generate: Callable[[], bytes]) -> bytes:
    """The key in `path`, made by `generate` and written there when the file is missing."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
