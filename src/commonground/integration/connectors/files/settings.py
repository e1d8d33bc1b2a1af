"""What a files connection needs: the folder, and what the files themselves cannot tell.

A file has no declared key nor change column, so the keys that identify a row and the
cursor column incremental reads follow are configured per entity (file stem); `format` is
the format of files the connector creates for entities that have no file yet.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

FormatName = Literal["csv", "xlsx", "parquet", "jsonl"]
T = TypeVar("T")


class FilesSettings(BaseModel):
    """Settings of a `files` connection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: str
    format: FormatName | None = None  # the format of new files
    keys: dict[str, list[str]] = {}  # entity -> columns identifying a row
    cursors: dict[str, str] = {}  # entity -> column incremental reads follow
    delimiter: str = Field(default=",", min_length=1, max_length=1)  # CSV only
    encoding: str = "utf-8"  # CSV and JSON Lines

    def key_of(self, entity: str) -> list[str]:
        """The key columns configured for an entity (entity names compare case-insensitively)."""
        return _by_entity(self.keys, entity) or []

    def cursor_of(self, entity: str) -> str | None:
        """The cursor column configured for an entity."""
        return _by_entity(self.cursors, entity)


def _by_entity(mapping: dict[str, T], entity: str) -> T | None:
    wanted = entity.lower()
    return next((value for name, value in mapping.items() if name.lower() == wanted), None)
