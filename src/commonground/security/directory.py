"""The directory: the installation's users, application users and groups.

It is installation-wide, not per environment (like Dataverse's tenant directory), so one
sign-in works for every environment; roles are granted per environment elsewhere. It lives
in `directory.sqlite` in the home folder, or in the schema `commonground_directory` of the
PostgreSQL database, so every API process sees the same identities and the same throttle.

Every change is written to the audit log in the same transaction, under the actor's name.
Names are unique without regard to case, across users and application users alike, because
the name is what records show as CreatedBy/ModifiedBy.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

from commonground.errors import AlreadyExistsError, DefinitionError, ForbiddenError, NotFoundError
from commonground.security.audit import AuditEntry, read_audit_entries, write_audit_entry
from commonground.security.caller import SYSTEM, Caller, CallerKind
from commonground.security.directory_tables import directory_tables
from commonground.security.identities import (
    ApplicationUser,
    Credentials,
    Group,
    Identity,
    User,
)
from commonground.security.passwords import MIN_PASSWORD_LENGTH, SecretHasher
from commonground.store.installation import InstallationDatabase, as_text, from_text, utc_now

SCHEMA = "commonground_directory"
FILE = "directory.sqlite"
MAX_NAME_LENGTH = 200

Clock = Callable[[], datetime]


def _new_stamp() -> str:
    return secrets.token_hex(16)


def _name_key(name: str) -> str:
    return name.strip().casefold()


def _valid_name(name: str, kind: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):
        raise DefinitionError(f"a {kind} name needs 1 to {MAX_NAME_LENGTH} printable characters")
    if _name_key(name) == SYSTEM.name:
        raise DefinitionError(f"'{SYSTEM.name}' is reserved for the local operator")
    return name


def _valid_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DefinitionError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


class Directory:
    """Users, application users and groups, with the audit log of their changes."""

    def __init__(
        self,
        home: Path,
        database_url: str | None = None,
        schema: str = SCHEMA,
        hasher: SecretHasher | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.db = InstallationDatabase(
            home, database_url, file=FILE, schema=schema, tables=directory_tables
        )
        self.hasher = hasher or SecretHasher()
        self.clock = clock
        self._users = self.db.table("users")
        self._apps = self.db.table("application_users")
        self._groups = self.db.table("groups")
        self._members = self.db.table("group_members")
        self._audit = self.db.table("audit_log")

    def close(self) -> None:
        """Close pooled connections."""
        self.db.close()

    # --- audit -------------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
        environment: str | None = None,
    ) -> None:
        """Record a security change made outside the directory (a role grant, say)."""
        with self.db.engine.begin() as conn:
            self._record(conn, actor, action, target, detail, environment)

    def audit_log(
        self,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
        environment: str | None = None,
    ) -> list[AuditEntry]:
        """The latest audit entries first."""
        with self.db.engine.connect() as conn:
            return read_audit_entries(conn, self._audit, limit, actor, action, environment)

    def _record(
        self,
        conn: Connection,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
        environment: str | None = None,
    ) -> None:
        write_audit_entry(
            conn, self._audit, self.clock(), actor, action, target, detail, environment
        )

    # --- users -------------------------------------------------------------------------

    def create_user(
        self,
        name: str,
        email: str,
        password: str,
        admin: bool = False,
        actor: str = SYSTEM.name,
    ) -> User:
        """Add a user who can sign in with `password`."""
        name = _valid_name(name, "user")
        password_hash = self.hasher.hash(_valid_password(password))
        with self._creating("User", name) as conn:
            self._ensure_name_free(conn, name, "User")
            conn.execute(
                self._users.insert().values(
                    name=name,
                    name_key=_name_key(name),
                    email=email,
                    password_hash=password_hash,
                    admin=admin,
                    disabled=False,
                    stamp=_new_stamp(),
                    created_at=as_text(self.clock()),
                )
            )
            self._record(conn, actor, "user.created", name, {"email": email, "admin": admin})
        return self.user(name)

    def user(self, name: str) -> User:
        """A user by name (any case)."""
        with self.db.engine.connect() as conn:
            return _user(self._row(conn, self._users, name, "User"))

    def users(self) -> list[User]:
        """Every user, by name."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(self._users.select().order_by(self._users.c.name_key))
            return [_user(row) for row in rows]

    def set_password(self, name: str, password: str, actor: str = SYSTEM.name) -> None:
        """Give a user a new password; tokens issued before stop working."""
        password_hash = self.hasher.hash(_valid_password(password))
        with self.db.engine.begin() as conn:
            row = self._row(conn, self._users, name, "User")
            conn.execute(
                update(self._users)
                .where(self._users.c.id == row.id)
                .values(password_hash=password_hash, stamp=_new_stamp())
            )
            self._record(conn, actor, "user.password_reset", row.name)

    def disable_user(self, name: str, actor: str = SYSTEM.name) -> None:
        """Stop a user from signing in; tokens issued before stop working."""
        self._set_disabled(self._users, "User", "user", name, True, actor)

    def enable_user(self, name: str, actor: str = SYSTEM.name) -> None:
        """Let a disabled user sign in again (old tokens stay revoked)."""
        self._set_disabled(self._users, "User", "user", name, False, actor)

    def delete_user(self, name: str, actor: str = SYSTEM.name) -> None:
        """Remove a user, its group memberships and its refresh tokens."""
        self._delete(self._users, "User", "user", name, actor)

    # --- application users -------------------------------------------------------------

    def create_application_user(self, name: str, actor: str = SYSTEM.name) -> Credentials:
        """Add an application user; its secret is returned here and never again."""
        name = _valid_name(name, "application user")
        credentials = Credentials(secrets.token_hex(16), secrets.token_urlsafe(32))
        secret_hash = self.hasher.hash(credentials.client_secret)
        with self._creating("Application user", name) as conn:
            self._ensure_name_free(conn, name, "Application user")
            conn.execute(
                self._apps.insert().values(
                    name=name,
                    name_key=_name_key(name),
                    client_id=credentials.client_id,
                    secret_hash=secret_hash,
                    disabled=False,
                    stamp=_new_stamp(),
                    created_at=as_text(self.clock()),
                )
            )
            self._record(
                conn,
                actor,
                "application_user.created",
                name,
                {"client_id": credentials.client_id},
            )
        return credentials

    def application_user(self, name: str) -> ApplicationUser:
        """An application user by name (any case)."""
        with self.db.engine.connect() as conn:
            return _application_user(self._row(conn, self._apps, name, "Application user"))

    def application_users(self) -> list[ApplicationUser]:
        """Every application user, by name."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(self._apps.select().order_by(self._apps.c.name_key))
            return [_application_user(row) for row in rows]

    def reset_application_secret(self, name: str, actor: str = SYSTEM.name) -> Credentials:
        """A new secret for an application user (shown once); the old one and tokens issued
        with it stop working."""
        secret = secrets.token_urlsafe(32)
        secret_hash = self.hasher.hash(secret)
        with self.db.engine.begin() as conn:
            row = self._row(conn, self._apps, name, "Application user")
            conn.execute(
                update(self._apps)
                .where(self._apps.c.id == row.id)
                .values(secret_hash=secret_hash, stamp=_new_stamp())
            )
            self._record(conn, actor, "application_user.secret_reset", row.name)
        return Credentials(row.client_id, secret)

    def disable_application_user(self, name: str, actor: str = SYSTEM.name) -> None:
        """Stop an application user from signing in; its tokens stop working."""
        self._set_disabled(self._apps, "Application user", "application_user", name, True, actor)

    def enable_application_user(self, name: str, actor: str = SYSTEM.name) -> None:
        """Let a disabled application user sign in again."""
        self._set_disabled(self._apps, "Application user", "application_user", name, False, actor)

    def delete_application_user(self, name: str, actor: str = SYSTEM.name) -> None:
        """Remove an application user and its group memberships."""
        self._delete(self._apps, "Application user", "application_user", name, actor)

    # --- groups ------------------------------------------------------------------------

    def create_group(self, name: str, actor: str = SYSTEM.name) -> None:
        """Add an empty group."""
        name = _valid_name(name, "group")
        with self._creating("Group", name) as conn:
            if self._find(conn, self._groups, name) is not None:
                raise AlreadyExistsError("Group", name)
            conn.execute(
                self._groups.insert().values(
                    name=name, name_key=_name_key(name), created_at=as_text(self.clock())
                )
            )
            self._record(conn, actor, "group.created", name)

    def delete_group(self, name: str, actor: str = SYSTEM.name) -> None:
        """Remove a group (its members stay)."""
        with self.db.engine.begin() as conn:
            row = self._row(conn, self._groups, name, "Group")
            conn.execute(delete(self._members).where(self._members.c.group_id == row.id))
            conn.execute(delete(self._groups).where(self._groups.c.id == row.id))
            self._record(conn, actor, "group.deleted", row.name)

    def add_member(self, group: str, member: str, actor: str = SYSTEM.name) -> None:
        """Put a user or application user into a group (no change when already in it)."""
        with self.db.engine.begin() as conn:
            row = self._row(conn, self._groups, group, "Group")
            who = self._member_name(conn, member)
            key = (self._members.c.group_id == row.id) & (
                self._members.c.member_key == _name_key(who)
            )
            if conn.execute(select(self._members.c.group_id).where(key)).first() is None:
                conn.execute(
                    self._members.insert().values(group_id=row.id, member_key=_name_key(who))
                )
                self._record(conn, actor, "group.member_added", row.name, {"member": who})

    def remove_member(self, group: str, member: str, actor: str = SYSTEM.name) -> None:
        """Take a member out of a group."""
        with self.db.engine.begin() as conn:
            row = self._row(conn, self._groups, group, "Group")
            removed = conn.execute(
                delete(self._members).where(
                    (self._members.c.group_id == row.id)
                    & (self._members.c.member_key == _name_key(member))
                )
            ).rowcount
            if not removed:
                raise NotFoundError("Member", member, within=f"group '{row.name}'")
            self._record(conn, actor, "group.member_removed", row.name, {"member": member})

    def groups(self) -> list[Group]:
        """Every group with its members' names, by name."""
        names = self._display_names()
        with self.db.engine.connect() as conn:
            members: dict[int, list[str]] = {}
            for group_id, key in conn.execute(select(self._members)):
                members.setdefault(group_id, []).append(names.get(key, key))
            rows = conn.execute(self._groups.select().order_by(self._groups.c.name_key))
            return [Group(row.name, tuple(sorted(members.get(row.id, [])))) for row in rows]

    def groups_of(self, member: str) -> frozenset[str]:
        """The names of the groups a user or application user is in."""
        with self.db.engine.connect() as conn:
            return self._groups_of(conn, member)

    # --- callers and sign-in -----------------------------------------------------------

    def caller_for(self, name: str, kind: CallerKind = CallerKind.USER) -> Caller:
        """The caller a user or application user acts as: name, kind, groups, admin
        (ForbiddenError when the identity is disabled: it may not act at all)."""
        table, label = (
            (self._users, "User") if kind is CallerKind.USER else (self._apps, "Application user")
        )
        with self.db.engine.connect() as conn:
            identity = self._identity(conn, kind, self._row(conn, table, name, label))
        if identity.disabled:
            raise ForbiddenError("sign in", f"{label.lower()} {name}", "it is disabled")
        return identity.caller

    def identity(self, kind: CallerKind, subject: str) -> Identity | None:
        """The identity behind a token's subject (a user's id, an application's client id),
        or None when it no longer exists."""
        with self.db.engine.connect() as conn:
            if kind is CallerKind.USER:
                if not subject.isdigit():
                    return None
                query = self._users.select().where(self._users.c.id == int(subject))
            else:
                query = self._apps.select().where(self._apps.c.client_id == subject)
            row = conn.execute(query).first()
            return None if row is None else self._identity(conn, kind, row)

    def check_password(self, name: str, password: str) -> Identity | None:
        """The user signing in when the password is right and the user enabled, else None."""
        with self.db.engine.connect() as conn:
            row = self._find(conn, self._users, name)
            matched = self.hasher.verify(row.password_hash if row else None, password)
            if row is None or not matched:
                return None
            identity = self._identity(conn, CallerKind.USER, row)
        return None if identity.disabled else identity

    def check_client_secret(self, client_id: str, secret: str) -> Identity | None:
        """The application signing in when the secret is right and it is enabled, else None."""
        with self.db.engine.connect() as conn:
            query = self._apps.select().where(self._apps.c.client_id == client_id)
            row = conn.execute(query).first()
            matched = self.hasher.verify(row.secret_hash if row else None, secret)
            if row is None or not matched:
                return None
            identity = self._identity(conn, CallerKind.APPLICATION, row)
        return None if identity.disabled else identity

    # --- internals ---------------------------------------------------------------------

    @contextmanager
    def _creating(self, label: str, name: str) -> Iterator[Connection]:
        """A transaction that adds a name: losing a race with a concurrent creation of the
        same name is the same AlreadyExistsError as finding it taken beforehand."""
        try:
            with self.db.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise AlreadyExistsError(label, name) from exc

    def _identity(self, conn: Connection, kind: CallerKind, row: Row[Any]) -> Identity:
        user = kind is CallerKind.USER
        caller = Caller(
            row.name, kind, self._groups_of(conn, row.name), admin=user and bool(row.admin)
        )
        subject = str(row.id) if user else row.client_id
        return Identity(subject, caller, row.stamp, bool(row.disabled))

    def _groups_of(self, conn: Connection, member: str) -> frozenset[str]:
        query = (
            select(self._groups.c.name)
            .join(self._members, self._members.c.group_id == self._groups.c.id)
            .where(self._members.c.member_key == _name_key(member))
        )
        return frozenset(conn.execute(query).scalars())

    def _find(self, conn: Connection, table: Table, name: str) -> Row[Any] | None:
        query = table.select().where(table.c.name_key == _name_key(name))
        return conn.execute(query).first()

    def _row(self, conn: Connection, table: Table, name: str, label: str) -> Row[Any]:
        row = self._find(conn, table, name)
        if row is None:
            raise NotFoundError(label, name)
        return row

    def _ensure_name_free(self, conn: Connection, name: str, label: str) -> None:
        for table in (self._users, self._apps):
            if self._find(conn, table, name) is not None:
                raise AlreadyExistsError(label, name)

    def _member_name(self, conn: Connection, member: str) -> str:
        for table in (self._users, self._apps):
            row = self._find(conn, table, member)
            if row is not None:
                return str(row.name)
        raise NotFoundError("User or application user", member)

    def _display_names(self) -> dict[str, str]:
        with self.db.engine.connect() as conn:
            return {
                row.name_key: row.name
                for table in (self._users, self._apps)
                for row in conn.execute(select(table.c.name_key, table.c.name))
            }

    def _set_disabled(
        self, table: Table, label: str, action: str, name: str, disabled: bool, actor: str
    ) -> None:
        with self.db.engine.begin() as conn:
            row = self._row(conn, table, name, label)
            conn.execute(
                update(table)
                .where(table.c.id == row.id)
                .values(disabled=disabled, stamp=_new_stamp())
            )
            verb = "disabled" if disabled else "enabled"
            self._record(conn, actor, f"{action}.{verb}", row.name)

    def _delete(self, table: Table, label: str, action: str, name: str, actor: str) -> None:
        with self.db.engine.begin() as conn:
            row = self._row(conn, table, name, label)
            conn.execute(delete(self._members).where(self._members.c.member_key == row.name_key))
            conn.execute(delete(table).where(table.c.id == row.id))
            self._record(conn, actor, f"{action}.deleted", row.name)


def _user(row: Row[Any]) -> User:
    return User(row.name, row.email, bool(row.admin), bool(row.disabled), from_text(row.created_at))


def _application_user(row: Row[Any]) -> ApplicationUser:
    return ApplicationUser(row.name, row.client_id, bool(row.disabled), from_text(row.created_at))
