"""Fixtures for the integrator: a catalog in a temporary home (SQLite, or PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.fernet import Fernet

from tests.fixtures.fix_environments import Backend

if TYPE_CHECKING:
    from commonground.integration.integrator import Integrator


@pytest.fixture
def integrator(tmp_path: Path, backend: Backend) -> Iterator[Integrator]:
    """An integrator whose catalog lives in a temporary home (SQLite) or in a schema of its
    own on PostgreSQL, dropped afterwards."""
    from commonground.integration.integrator import Integrator

    schema = f"cgi_test_{uuid.uuid4().hex[:10]}"
    item = Integrator(
        home=tmp_path / "home",
        database_url=backend.url,
        secret_key=Fernet.generate_key(),
        catalog_schema=schema,
    )
    yield item
    item.db.drop()
