"""What a SQL connection needs: where the database is and how its tables are read.

The URL may carry a password, so it is a secret; everything else is plain configuration that
a table's own schema cannot tell (which column marks a change, which columns identify a row
of a table without keys, which column holds the organization).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, SecretStr

T = TypeVar("T")


class SqlSettings(BaseModel):
    """Settings of a `sql` connection."""

    url: SecretStr  # a SQLAlchemy URL: sqlite:///…, postgresql+psycopg://…, mysql+pymysql://…
    schema_name: str | None = None  # the schema (PostgreSQL) or database (MySQL) to use
    cursors: dict[str, str] = {}  # table -> column incremental reads follow
    keys: dict[str, list[str]] = {}  # table -> columns identifying a row (no declared key)
    organization_field: str | None = None  # column holding the organization, where present

    def cursor_of(self, table: str) -> str | None:
        """The cursor column configured for a table (table names compare case-insensitively)."""
        return _by_table(self.cursors, table)

    def key_of(self, table: str) -> list[str] | None:
        """The extra key configured for a table."""
        return _by_table(self.keys, table)


def _by_table(mapping: dict[str, T], table: str) -> T | None:
    wanted = table.lower()
    return next((value for name, value in mapping.items() if name.lower() == wanted), None)
