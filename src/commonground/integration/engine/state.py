"""What the engine remembers between runs: watermarks per task leg, and the stamps of records
it wrote with the connection and entity their values came from. A task reading such a record
back unchanged and about to send it to that same place would send an echo, so it skips it;
a record on its way elsewhere (the second leg through the hub) flows on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from commonground.integration.catalog.database import CatalogDatabase, as_text, utc_now
from commonground.integration.contracts import Watermark

CHUNK = 500


def key_text(record: dict[str, Any], key: Sequence[str]) -> str:
    """A record's identity as history shows it: `(field):(value)`, comma-joined when several."""
    fields = ",".join(key)
    values = ",".join("" if record.get(k) is None else str(record.get(k)) for k in key)
    return f"({fields}):({values})"


class RunState:
    """Watermarks and sync stamps in the catalog."""

    def __init__(self, db: CatalogDatabase) -> None:
        self.db = db
        self.watermarks = db.table("watermarks")
        self.sync = db.table("sync_state")

    def watermark(self, project: str, task: str, leg: int) -> Watermark | None:
        """Where the last committed read of one leg stopped (None: never ran)."""
        w = self.watermarks
        with self.db.engine.connect() as conn:
            found = conn.execute(
                select(w.c.watermark)
                .where(w.c.project == project)
                .where(w.c.task == task)
                .where(w.c.leg == leg)
            ).scalar()
        return None if found is None else dict(orjson.loads(found))

    def save_watermark(
        self, conn: Connection, project: str, task: str, leg: int, watermark: Watermark
    ) -> None:
        """Store a leg's watermark (inside the caller's catalog transaction)."""
        w = self.watermarks
        conn.execute(
            delete(w).where(w.c.project == project).where(w.c.task == task).where(w.c.leg == leg)
        )
        conn.execute(
            insert(w).values(
                project=project,
                task=task,
                leg=leg,
                watermark=orjson.dumps(watermark, option=orjson.OPT_NON_STR_KEYS).decode(),
                modified_on=as_text(utc_now()),
            )
        )

    def forget_project(self, project: str) -> None:
        """Drop a project's watermarks (its next run reads everything)."""
        with self.db.engine.begin() as conn:
            conn.execute(delete(self.watermarks).where(self.watermarks.c.project == project))

    def has_stamps(self, connection: str, entity: str) -> bool:
        """Whether any record of this entity was written by the integrator."""
        s = self.sync
        with self.db.engine.connect() as conn:
            found = conn.execute(
                select(s.c.stamp)
                .where(s.c.connection == connection)
                .where(s.c.entity == entity)
                .limit(1)
            ).first()
        return found is not None

    def stamps(
        self, connection: str, entity: str, keys: Sequence[str]
    ) -> dict[str, tuple[str, str]]:
        """(stamp, origin) the integrator last wrote for these record keys."""
        s = self.sync
        found: dict[str, tuple[str, str]] = {}
        with self.db.engine.connect() as conn:
            for start in range(0, len(keys), CHUNK):
                chunk = list(keys[start : start + CHUNK])
                rows = conn.execute(
                    select(s.c.record_key, s.c.stamp, s.c.origin)
                    .where(s.c.connection == connection)
                    .where(s.c.entity == entity)
                    .where(s.c.record_key.in_(chunk))
                )
                found.update((r.record_key, (r.stamp, r.origin)) for r in rows)
        return found

    def echoes(
        self,
        connection: str,
        entity: str,
        records: Sequence[dict[str, Any]],
        stamps: Sequence[str],
        key: Sequence[str],
        going_to: str,
    ) -> list[bool]:
        """Per record: the integrator wrote it into this source from `going_to` (a
        `connection/entity` address) and it has not changed since, so sending it there is
        an echo."""
        keys = [key_text(r, key) for r in records]
        written = self.stamps(connection, entity, keys)
        return [written.get(k) == (s, going_to) for k, s in zip(keys, stamps, strict=True)]

    def remember(
        self,
        conn: Connection,
        connection: str,
        entity: str,
        stamps: dict[str, str],
        origin: str,
    ) -> None:
        """Store the stamps of records just written from `origin` (in the caller's transaction)."""
        s = self.sync
        keys = list(stamps)
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            conn.execute(
                delete(s)
                .where(s.c.connection == connection)
                .where(s.c.entity == entity)
                .where(s.c.record_key.in_(chunk))
            )
        if keys:
            conn.execute(
                insert(s),
                [
                    {
                        "connection": connection,
                        "entity": entity,
                        "record_key": k,
                        "stamp": v,
                        "origin": origin,
                    }
                    for k, v in stamps.items()
                ],
            )
