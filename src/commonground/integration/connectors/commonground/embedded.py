"""An environment of this installation, opened in process through the service layer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from commonground.integration.connectors.commonground.access import translated_errors
from commonground.integration.connectors.commonground.settings import CommonGroundSettings
from commonground.model.datamodel import DataModel
from commonground.query.plan import Query
from commonground.service.codec import Record
from commonground.service.environments import Environments
from commonground.service.reads import ChangeSet
from commonground.service.writes import WriteMode, WriteResult


class EmbeddedAccess:
    """Reads and writes through `Environment`, one write transaction per batch."""

    id_chunk = 1000

    def __init__(self, settings: CommonGroundSettings) -> None:
        url = settings.database_url.get_secret_value() if settings.database_url else None
        self._secrets = [url] if url else []
        with translated_errors(self._secrets):
            self._environments = Environments(
                home=Path(settings.home) if settings.home else None, database_url=url
            )
            try:
                self._env = self._environments.open(settings.environment)
            except BaseException:
                self._environments.close()
                raise

    @property
    def model(self) -> DataModel:
        """The environment's model (it follows schema changes made in this process)."""
        return self._env.model

    def query(self, query: Query) -> list[Record]:
        """Records a query plan selects."""
        with translated_errors(self._secrets):
            return self._env.query(query)

    def changes_since(self, entity: str, token: int, limit: int) -> ChangeSet:
        """Up to `limit` changes of one entity after a token."""
        with translated_errors(self._secrets):
            return self._env.changes_since(entity, token, limit)

    def current_token(self, entity: str) -> int:
        """The newest committed change position of the environment."""
        with translated_errors(self._secrets):
            return self._env.current_token()

    def write(
        self, entity: str, records: Sequence[dict[str, Any]], mode: WriteMode, key: list[str]
    ) -> WriteResult:
        """One write transaction; failing records are skipped and reported."""
        with translated_errors(self._secrets), self._env.transaction() as tx:
            return tx.write(entity, records, mode, key or None, skip_errors=True)

    def delete(self, entity: str, record_ids: Sequence[int]) -> int:
        """Delete records by RecordId in one transaction."""
        with translated_errors(self._secrets):
            return self._env.delete(entity, record_ids)

    def close(self) -> None:
        """Release the database connections."""
        self._environments.close()
