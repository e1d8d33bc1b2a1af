"""An environment of this installation, opened in process through the service layer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from commonground.integration.connectors.commonground.access import masked, translated_errors
from commonground.integration.connectors.commonground.settings import CommonGroundSettings
from commonground.integration.contracts import ConnectionFailedError, ConnectorError
from commonground.model.datamodel import DataModel
from commonground.query.plan import Query
from commonground.security.caller import SYSTEM, Caller
from commonground.security.directory import Directory
from commonground.service.codec import Record
from commonground.service.environments import Environments
from commonground.service.reads import ChangeSet
from commonground.service.writes import WriteMode, WriteResult


class EmbeddedAccess:
    """Reads and writes through `Environment`, one write transaction per batch."""

    id_chunk = 1000

    def __init__(self, settings: CommonGroundSettings) -> None:
        url = settings.database_url.get_secret_value() if settings.database_url else None
        self._secrets = _secrets(url)
        with self._translated():
            self._environments = Environments(
                home=Path(settings.home) if settings.home else None, database_url=url
            )
            try:
                self._env = self._environments.open(settings.environment)
                self._caller = _acting(settings, url)
            except BaseException:
                self._environments.close()
                raise

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Service errors as connector errors; a driver error that escaped the store too."""
        with translated_errors(self._secrets):
            try:
                yield
            except OperationalError as exc:
                message = f"cannot reach the database: {masked(str(exc.orig), self._secrets)}"
                raise ConnectionFailedError(message) from None
            except DBAPIError as exc:
                raise ConnectorError(masked(str(exc.orig), self._secrets)) from None
            except ArgumentError as exc:
                raise ConnectorError(masked(str(exc), self._secrets)) from None

    @property
    def model(self) -> DataModel:
        """The environment's model (it follows schema changes made in this process)."""
        return self._env.model

    def query(self, query: Query) -> list[Record]:
        """Records a query plan selects."""
        with self._translated():
            return self._env.query(query, self._caller)

    def query_many(self, queries: Sequence[Query]) -> list[Record]:
        """Records several query plans select, one after the other."""
        return [record for query in queries for record in self.query(query)]

    def changes_since(self, entity: str, token: int, limit: int) -> ChangeSet:
        """Up to `limit` changes of one entity after a token."""
        with self._translated():
            return self._env.changes_since(entity, token, limit, self._caller)

    def current_token(self, entity: str) -> int:
        """The newest committed change position of the environment."""
        with self._translated():
            return self._env.current_token()

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: list[str],
        versions: bool = True,
    ) -> WriteResult:
        """One write transaction; failing records are skipped and reported (the versions
        come with it, whatever `versions` says)."""
        with self._translated(), self._env.transaction(self._caller) as tx:
            return tx.write(entity, records, mode, key or None, skip_errors=True)

    def delete(self, entity: str, record_ids: Sequence[int]) -> int:
        """Delete records by RecordId in one transaction."""
        with self._translated():
            return self._env.delete(entity, record_ids, caller=self._caller)

    def close(self) -> None:
        """Release the database connections."""
        self._environments.close()


def _acting(settings: CommonGroundSettings, database_url: str | None) -> Caller:
    """The caller the connection acts as: its `run_as` identity, looked up in the
    installation's directory (a disabled or deleted one cannot act), or the local operator."""
    if settings.identity is None:
        return SYSTEM
    kind, name = settings.identity
    directory = Directory(Path(settings.home or "."), database_url)
    try:
        return directory.caller_for(name, kind)
    finally:
        directory.close()


def _secrets(url: str | None) -> list[str]:
    """The database URL and its password: neither may appear in a message."""
    if not url:
        return []
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    return [url, str(password)] if password else [url]
