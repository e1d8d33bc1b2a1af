"""The directory's tables: who may sign in (users, application users), the groups they are
in, their refresh tokens, recent failed sign-ins and the audit log.

Names are unique without regard to case: `name_key` holds the casefolded name. Passwords,
client secrets and refresh tokens are stored only as hashes. A `stamp` is a random value that
changes whenever an identity's credentials or standing change (password reset, disable,
new secret); access tokens carry it, so that such a change revokes them.

Times are UTC ISO text (see commonground.store.installation).
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
NAME = String(200)


def directory_tables(schema: str | None) -> MetaData:
    """Every directory table, in one schema (PostgreSQL) or the default one (SQLite)."""
    md = MetaData(schema=schema)
    Table(
        "users",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", NAME, nullable=False),
        Column("name_key", NAME, nullable=False, unique=True),
        Column("email", String(320), nullable=False, default=""),
        Column("password_hash", Text, nullable=False),
        Column("admin", Boolean, nullable=False, default=False),
        Column("disabled", Boolean, nullable=False, default=False),
        Column("stamp", String(64), nullable=False),
        Column("created_at", TIME, nullable=False),
    )
    Table(
        "application_users",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", NAME, nullable=False),
        Column("name_key", NAME, nullable=False, unique=True),
        Column("client_id", String(64), nullable=False, unique=True),
        Column("secret_hash", Text, nullable=False),
        Column("disabled", Boolean, nullable=False, default=False),
        Column("stamp", String(64), nullable=False),
        Column("created_at", TIME, nullable=False),
    )
    Table(
        "groups",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", NAME, nullable=False),
        Column("name_key", NAME, nullable=False, unique=True),
        Column("created_at", TIME, nullable=False),
    )
    Table(
        "group_members",
        md,
        Column("group_id", Integer, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
        # a user's or application user's name_key (names are unique across both kinds)
        Column("member_key", NAME, primary_key=True),
    )
    Table(
        "refresh_tokens",
        md,
        Column("token_hash", String(64), primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("stamp", String(64), nullable=False),
        Column("expires_at", TIME, nullable=False),
    )
    Table(
        "failed_sign_ins",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(300), nullable=False),  # "name:<casefolded>" or "address:<ip>"
        Column("at", TIME, nullable=False),
        Index("ix_failed_sign_ins_key_at", "key", "at"),
    )
    Table(
        "audit_log",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("at", TIME, nullable=False),
        Column("actor", NAME, nullable=False),
        Column("action", String(80), nullable=False),
        Column("target", String(400), nullable=False),
        Column("detail", Text, nullable=True),  # JSON object
        Column("environment", String(200), nullable=True),
        Index("ix_audit_log_at", "at"),
    )
    return md
