"""Where the catalog lives: a SQLite file in the home folder, or a schema of the PostgreSQL
database the environments use, so that every API process and worker shares one catalog."""

from __future__ import annotations

from pathlib import Path

from commonground.integration.catalog.tables import catalog_tables
from commonground.store.installation import InstallationDatabase, as_text, from_text, utc_now

__all__ = ["FILE", "SCHEMA", "CatalogDatabase", "as_text", "from_text", "utc_now"]

SCHEMA = "commonground_integration"
FILE = "integration.sqlite"


class CatalogDatabase(InstallationDatabase):
    """The catalog's engine and tables, created on first use."""

    def __init__(self, home: Path, database_url: str | None = None, schema: str = SCHEMA) -> None:
        super().__init__(home, database_url, file=FILE, schema=schema, tables=catalog_tables)
