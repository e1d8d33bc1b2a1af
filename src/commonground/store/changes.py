"""Change tracking: change positions, tombstones and "what changed since position T".

Every write takes positions from the environment's change sequence while it holds the writer
lock, and stamps them into the rows it writes (VersionNumber) or into tombstones for deletes.
Because the lock is held until commit, positions become visible in commit order. A reader
reads the committed counter C first and then asks for positions in (T, C]: everything in
that range is committed, so a change is never skipped, and the cost is proportional to the
number of changes thanks to the index on VersionNumber.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from commonground.model.entity import VERSION
from commonground.store.database import CHANGE_SEQUENCE, Database


@dataclass(frozen=True)
class Tombstone:
    """A deleted record, as change tracking reports it."""

    position: int
    entity: str
    record_id: int
    record_key: dict[str, Any] | None
    deleted_on: str
    deleted_by: str | None


@dataclass(frozen=True)
class RawChanges:
    """Rows changed and records deleted in (since, upto], in position order, at most a page."""

    rows: list[Row[Any]]
    tombstones: list[Tombstone]
    upto: int
    more: bool


def add_tombstones(
    db: Database,
    conn: Connection,
    entity: str,
    deleted: Sequence[tuple[int, dict[str, Any] | None]],
    first_position: int,
    when: str,
    who: str | None,
) -> None:
    """Record deletions (RecordId and business key) at consecutive positions."""
    if not deleted:
        return
    conn.execute(
        insert(db.system["tombstones"]),
        [
            {
                "position": first_position + i,
                "entity": entity,
                "record_id": record_id,
                "record_key": json.dumps(key, default=str) if key else None,
                "deleted_on": when,
                "deleted_by": who,
            }
            for i, (record_id, key) in enumerate(deleted)
        ],
    )


def current_position(db: Database, conn: Connection) -> int:
    """The last committed change position of the environment."""
    return db.current(conn, CHANGE_SEQUENCE)


def changes_since(
    db: Database,
    conn: Connection,
    entity: str,
    since: int,
    limit: int,
    columns: Sequence[str] | None = None,
) -> RawChanges:
    """Up to `limit` changes of one entity after position `since`, oldest first: the changed
    rows' `columns` (all by default; VersionNumber among them), and the tombstones."""
    upto = current_position(db, conn)
    table = db.table(entity)
    version = table.c[VERSION]
    read = select(table) if columns is None else select(*(table.c[c] for c in columns))
    read = read.where(version > since, version <= upto).order_by(version).limit(limit + 1)
    rows = list(conn.execute(read))
    stones = db.system["tombstones"]
    tomb_rows = conn.execute(
        select(stones)
        .where(stones.c.entity == table.name, stones.c.position > since, stones.c.position <= upto)
        .order_by(stones.c.position)
        .limit(limit + 1)
    )
    tombstones = [
        Tombstone(
            position=int(r.position),
            entity=r.entity,
            record_id=int(r.record_id),
            record_key=json.loads(r.record_key) if r.record_key else None,
            deleted_on=r.deleted_on,
            deleted_by=r.deleted_by,
        )
        for r in tomb_rows
    ]
    positions = sorted([int(getattr(r, VERSION)) for r in rows] + [t.position for t in tombstones])
    if len(positions) <= limit:
        return RawChanges(rows, tombstones, upto, more=False)
    last = positions[limit - 1]
    return RawChanges(
        [r for r in rows if int(getattr(r, VERSION)) <= last],
        [t for t in tombstones if t.position <= last],
        last,
        more=True,
    )
