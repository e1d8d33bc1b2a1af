"""What the connector needs from one environment, and the one place its errors are translated.

The connector's logic (discovery, reads, writes, key matching) is written once against
`EnvironmentAccess`; `EmbeddedAccess` runs it on the service in this process and
`RemoteAccess` on the OData API of a server. Both return the service's own values (records,
change sets, write results), so nothing above this line knows which one it talks to.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from commonground.errors import (
    CommonGroundError,
    NotFoundError,
    ReferentialIntegrityError,
    TerminalError,
    TransientError,
)
from commonground.integration.contracts import (
    ConnectionFailedError,
    ConnectorError,
    SchemaError,
)
from commonground.model.datamodel import DataModel
from commonground.query.plan import Query
from commonground.service.codec import Record
from commonground.service.reads import ChangeSet
from commonground.service.writes import WriteMode, WriteResult


class ReferencedRecordError(ConnectorError, TerminalError):
    """A delete was refused: other records still reference the record (restricted delete)."""

    code = "ReferencedRecord"


class EnvironmentAccess(Protocol):
    """One environment's records, embedded or remote.

    `id_chunk` is how many values one query may list; queries that list values go through
    `query_many`, so a remote access sends them in the body of one request, not in URLs.
    """

    id_chunk: int

    @property
    def model(self) -> DataModel:
        """The environment's data model."""
        ...

    def query(self, query: Query) -> list[Record]:
        """Records a query plan selects."""
        ...

    def query_many(self, queries: Sequence[Query]) -> list[Record]:
        """Records several query plans select, one after the other (remotely in one request)."""
        ...

    def changes_since(self, entity: str, token: int, limit: int) -> ChangeSet:
        """Up to `limit` changes of one entity after a token."""
        ...

    def current_token(self, entity: str) -> int:
        """A token no later than any change of the entity not yet committed."""
        ...

    def write(
        self,
        entity: str,
        records: Sequence[dict[str, Any]],
        mode: WriteMode,
        key: list[str],
        versions: bool = True,
    ) -> WriteResult:
        """Write a batch; failing records are reported and skipped; versions are filled
        (`versions` False: they may be left None, where they would cost a read back)."""
        ...

    def delete(self, entity: str, record_ids: Sequence[int]) -> int:
        """Delete records by RecordId, all or none; the number deleted."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@contextmanager
def translated_errors(secrets: Sequence[str] = ()) -> Iterator[None]:
    """Product errors as connector errors, marked transient or terminal; secrets masked.

    A missing entity is a SchemaError (its schema changed); anything the service could retry
    is a ConnectionFailedError. Messages never carry a secret, even if a driver quoted one.
    """
    try:
        yield
    except ConnectorError:
        raise
    except ReferentialIntegrityError as exc:
        raise ReferencedRecordError(masked(str(exc), secrets)) from None
    except NotFoundError as exc:
        if exc.kind in ("Entity", "Field", "Environment"):
            raise SchemaError(masked(str(exc), secrets)) from None
        raise ConnectorError(masked(str(exc), secrets)) from None
    except TransientError as exc:
        raise ConnectionFailedError(masked(str(exc), secrets)) from None
    except CommonGroundError as exc:
        raise ConnectorError(masked(str(exc), secrets)) from None


def masked(message: str, secrets: Sequence[str]) -> str:
    """A message with every secret replaced by `***`."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message
