"""The catalog's tables. Definitions are stored as JSON documents (validated on the way in
and out by the pydantic models in definitions.py); run history, watermarks, sync state and
leases are rows, because they are queried, counted and purged.

Times are UTC ISO text so that they sort and compare the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

TIME = String(32)


def _execution_id() -> Column[int]:
    """The column that ties a step, record error or preview to its execution."""
    return Column(
        "execution_id", Integer, ForeignKey("executions.id", ondelete="CASCADE"), nullable=False
    )


def catalog_tables(schema: str | None) -> MetaData:
    """Every catalog table, in one schema (PostgreSQL) or the default one (SQLite)."""
    md = MetaData(schema=schema)
    Table(
        "connections",
        md,
        Column("name", String(80), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("settings", Text, nullable=False),  # JSON, secrets removed
        Column("secrets", Text, nullable=True),  # Fernet token of a JSON object
        Column("description", Text, nullable=False, default=""),
        Column("modified_on", TIME, nullable=False),
    )
    for name in ("connection_sets", "projects", "templates"):
        Table(
            name,
            md,
            Column("name", String(80), primary_key=True),
            Column("definition", Text, nullable=False),
            Column("modified_on", TIME, nullable=False),
        )
    Table(
        "consents",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("project", String(80), nullable=False),
        Column("given_by", String(200), nullable=False),
        Column("given_on", TIME, nullable=False),
    )
    Table(
        "executions",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("project", String(80), nullable=False),
        Column("name", String(200), nullable=False),
        Column("trigger", String(20), nullable=False),
        Column("full_run", Boolean, nullable=False),
        Column("dry_run", Boolean, nullable=False),
        Column("status", String(20), nullable=False),
        Column("submitted_on", TIME, nullable=False),
        Column("finished_on", TIME, nullable=True),
        Column("upserts", Integer, nullable=False, default=0),
        Column("errors", Integer, nullable=False, default=0),
        Column("message", Text, nullable=True),
        Column("rerun_of", Integer, nullable=True),
        Column("cancel_requested", Boolean, nullable=False, default=False),
        Column("runner", String(200), nullable=True),
        Index("ix_executions_project", "project", "id"),
        Index("ix_executions_submitted", "submitted_on"),
    )
    Table(
        "steps",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        _execution_id(),
        Column("sequence", Integer, nullable=False),
        Column("task", String(80), nullable=False),
        Column("step", String(300), nullable=False),
        Column("status", String(20), nullable=False),
        Column("read", Integer, nullable=False, default=0),
        Column("inserted", Integer, nullable=False, default=0),
        Column("updated", Integer, nullable=False, default=0),
        Column("unchanged", Integer, nullable=False, default=0),
        Column("deleted", Integer, nullable=False, default=0),
        Column("failed", Integer, nullable=False, default=0),
        Column("message", Text, nullable=True),
        Column("started_on", TIME, nullable=True),
        Column("finished_on", TIME, nullable=True),
        Index("ix_steps_execution", "execution_id"),
    )
    Table(
        "record_errors",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        _execution_id(),
        Column("task", String(80), nullable=False),
        Column("step", String(300), nullable=False),
        Column("kind", String(20), nullable=False),  # validation | export | import
        Column("code", String(20), nullable=True),
        Column("record", Text, nullable=True),  # "(key):(value)"
        Column("field", String(200), nullable=True),
        Column("message", Text, nullable=False),
        Index("ix_record_errors_execution", "execution_id"),
    )
    Table(
        "changes_preview",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        _execution_id(),
        Column("task", String(80), nullable=False),
        Column("step", String(300), nullable=False),
        Column("action", String(20), nullable=False),  # insert | update
        Column("record", Text, nullable=False),
        Column("differences", Text, nullable=False),  # JSON {field: [old, new]}
        Index("ix_changes_preview_execution", "execution_id"),
    )
    Table(
        "watermarks",
        md,
        Column("project", String(80), primary_key=True),
        Column("task", String(80), primary_key=True),
        Column("leg", Integer, primary_key=True),
        Column("watermark", Text, nullable=False),
        Column("modified_on", TIME, nullable=False),
    )
    Table(
        "sync_state",
        md,
        Column("connection", String(80), primary_key=True),
        Column("entity", String(200), primary_key=True),
        Column("record_key", String(400), primary_key=True),
        Column("stamp", String(64), nullable=False),
        Column("origin", String(300), nullable=False),  # "connection/entity" values came from
    )
    Table(
        "leases",
        md,
        Column("name", String(200), primary_key=True),
        Column("holder", String(200), nullable=False),
        Column("expires_on", TIME, nullable=False),
    )
    Table(
        "schedule_state",
        md,
        Column("project", String(80), primary_key=True),
        Column("last_fired_on", TIME, nullable=True),
    )
    return md
