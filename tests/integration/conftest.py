"""Fixtures for the integrator: a catalog in a temporary home (SQLite, or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.fernet import Fernet

if TYPE_CHECKING:
    from commonground.integration.integrator import Integrator


@pytest.fixture
def integrator(tmp_path: Path) -> Iterator[Integrator]:
    """An integrator whose catalog and secret key live in a temporary home folder."""
    from commonground.integration.integrator import Integrator

    item = Integrator(home=tmp_path / "home", secret_key=Fernet.generate_key())
    yield item
    item.close()
