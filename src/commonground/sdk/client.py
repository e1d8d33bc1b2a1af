"""The SDK client and its entity sets."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from commonground.errors import NotFoundError
from commonground.query.plan import Query
from commonground.sdk.backend import Backend, DeleteOp, EmbeddedBackend, WriteOp
from commonground.sdk.batch import Batch
from commonground.sdk.query import QueryBuilder
from commonground.security.caller import SYSTEM, Caller
from commonground.service.codec import Record
from commonground.service.environments import Environments
from commonground.service.reads import ChangeSet
from commonground.service.writes import WriteMode, WriteResult
from commonground.settings import home_path, setting


class EntitySet:
    """The records of one entity: reads, writes and change tracking."""

    def __init__(self, client: Client, name: str) -> None:
        self._client = client
        self.name = name

    @property
    def _backend(self) -> Backend:
        return self._client.backend

    def query(self) -> QueryBuilder:
        """A query builder over this entity set."""
        return QueryBuilder(self._backend, Query(self.name))

    create_query_builder = query

    def get(self, record_id: int) -> Record:
        """One record by RecordId (NotFoundError if it does not exist)."""
        return self._backend.get(self.name, record_id)

    def get_by_key(self, **key: Any) -> Record:
        """One record by an alternate key, e.g. `get_by_key(AccountId="ACC000001")`."""
        return self._backend.get_by_key(self.name, key)

    def _write(self, op: WriteOp | DeleteOp) -> Any:
        return self._backend.execute([op])[0]

    def insert(self, records: Sequence[dict[str, Any]]) -> WriteResult:
        """Create records in one transaction."""
        return self._write(WriteOp(self.name, list(records), WriteMode.CREATE))  # type: ignore[no-any-return]

    def insert_and_retrieve(self, record: dict[str, Any]) -> Record:
        """Create one record and read it back (with its RecordId and system fields)."""
        result = self.insert([record])
        record_id = result.record_ids[0]
        assert record_id is not None
        return self.get(record_id)

    def update(
        self, records: Sequence[dict[str, Any]], key: str | Sequence[str] | None = None
    ) -> WriteResult:
        """Change records found by RecordId or an alternate key (checked against VersionNumber)."""
        return self._write(WriteOp(self.name, list(records), WriteMode.UPDATE, key))  # type: ignore[no-any-return]

    def upsert(
        self, records: Sequence[dict[str, Any]], key: str | Sequence[str] | None = None
    ) -> WriteResult:
        """Insert or update by an alternate key (the primary key by default)."""
        return self._write(WriteOp(self.name, list(records), WriteMode.UPSERT, key))  # type: ignore[no-any-return]

    def delete(self, record_id: int, version: int | None = None) -> int:
        """Delete one record (and its composed lines), checked against `version` when given."""
        return self._write(DeleteOp(self.name, [record_id], [version]))  # type: ignore[no-any-return]

    def changes_since(
        self, token: int = 0, limit: int = 5000, select: Sequence[str] | None = None
    ) -> ChangeSet:
        """Records changed and deleted after `token` (0: from the beginning); `select` names
        the fields wanted of changed records (RecordId and VersionNumber always come)."""
        wanted = None if select is None else tuple(select)
        return self._backend.changes_since(self.name, token, limit, wanted)

    def all_changes_since(
        self, token: int = 0, page: int = 5000, select: Sequence[str] | None = None
    ) -> Iterator[ChangeSet]:
        """Every page of changes after `token`, until caught up."""
        while True:
            changes = self.changes_since(token, page, select)
            yield changes
            token = changes.token
            if not changes.more:
                return


class Client:
    """A connection to one environment."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def entity_set(self, name: str) -> EntitySet:
        """The entity set of an entity (NotFoundError if the entity does not exist)."""
        for known in self.backend.entity_names():
            if known.lower() == name.lower():
                return EntitySet(self, known)
        raise NotFoundError("Entity", name)

    def __getitem__(self, name: str) -> EntitySet:
        return self.entity_set(name)

    def batch(self) -> Batch:
        """A transactional batch: everything queued in it commits together or not at all."""
        return Batch(self.backend)


def connect(
    environment: str,
    *,
    home: Path | None = None,
    database_url: str | None = None,
    caller: Caller = SYSTEM,
) -> Client:
    """A client on an environment of this installation (embedded, in-process), acting with
    the caller's rights (the local operator's by default)."""
    environments = Environments(
        home=home or home_path(), database_url=database_url or setting("database_url")
    )
    return Client(EmbeddedBackend(environments.open(environment), caller))


def connect_remote(
    base_url: str,
    environment: str,
    *,
    username: str | None = None,
    password: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> Client:
    """A client on an environment served by `commonground serve` at `base_url`, signed in
    as a user (username and password) or an application user (client id and secret)."""
    from commonground.sdk.remote import RemoteBackend, signed_in

    http = signed_in(base_url, username, password, client_id, client_secret)
    return Client(RemoteBackend(base_url, environment, http))
