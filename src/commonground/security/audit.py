"""The audit log: who changed what in security, and when.

Every change to identities, groups and role grants is recorded with the actor's name, in
the same transaction as the change, so the log never claims a change that was rolled back
nor misses one that was made. Entries hold names and flags, never a password or a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table

from commonground.store.installation import as_text, from_text


@dataclass(frozen=True)
class AuditEntry:
    """One recorded security change."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    environment: str | None = None


def write_audit_entry(
    conn: Connection,
    table: Table,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
    environment: str | None = None,
) -> None:
    """Add an entry to the log, within the caller's transaction."""
    conn.execute(
        table.insert().values(
            at=as_text(at),
            actor=actor,
            action=action,
            target=target,
            detail=orjson.dumps(detail).decode() if detail else None,
            environment=environment,
        )
    )


def read_audit_entries(
    conn: Connection,
    table: Table,
    limit: int,
    actor: str | None = None,
    action: str | None = None,
    environment: str | None = None,
) -> list[AuditEntry]:
    """The latest entries first, optionally only one actor's, action's or environment's."""
    query = table.select().order_by(table.c.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(table.c.actor == actor)
    if action is not None:
        query = query.where(table.c.action == action)
    if environment is not None:
        query = query.where(table.c.environment == environment)
    return [
        AuditEntry(
            at=from_text(row.at),
            actor=row.actor,
            action=row.action,
            target=row.target,
            detail=orjson.loads(row.detail) if row.detail else {},
            environment=row.environment,
        )
        for row in conn.execute(query)
    ]
