"""An environment's security: its permission sets, roles and role members, kept in its own
database (so a backup or copy carries them), and each caller's rights worked out from them.

Rights are computed once per caller and kept until the definitions change. Another process
(an API worker) may change them too; a counter in the environment's sequences table moves on
every change, and it is looked at no more often than every `RECHECK_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, delete, insert, inspect, select

from commonground.errors import AlreadyExistsError, DefinitionError, NotFoundError
from commonground.model.datamodel import DataModel
from commonground.model.entity import CREATED_BY, MODIFIED_BY
from commonground.model.types import FieldType, Storage
from commonground.security.access import Access, access_for
from commonground.security.caller import Caller, CallerKind
from commonground.security.defaults import (
    DATABASE_OWNER,
    ENVIRONMENT_ADMIN,
    builtin_roles,
    entity_sets,
)
from commonground.security.permissions import (
    Capability,
    EntityPermission,
    Member,
    MemberKind,
    PermissionSet,
    Role,
)
from commonground.store.database import Database

SEQUENCE = "_security"
RECHECK_SECONDS = 2.0
PERMISSION_SET = "permission_set"
ROLE = "role"


class AuditTrail(Protocol):
    """Where security changes are written down (the installation's directory)."""

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
        environment: str | None = None,
    ) -> None:
        """Record one change."""


@dataclass
class Definitions:
    """Everything rights are computed from: sets and roles by lower-case name, members by
    role name."""

    permission_sets: dict[str, PermissionSet] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    members: dict[str, list[Member]] = field(default_factory=dict)
    version: int = 0


def is_installed(db: Database, conn: Connection) -> bool:
    """Whether the environment has its security tables (environments made before they
    existed get them, and the built-in objects, when first opened)."""
    table = db.system["security"]
    return bool(inspect(conn).has_table(table.name, schema=table.schema))


def install(db: Database, conn: Connection, model: DataModel, owner: Caller | None = None) -> None:
    """Create the security tables if needed and the built-in roles and permission sets; the
    owner (the creator of the environment) becomes Database Owner and Environment Admin."""
    for key in ("security", "role_members"):
        db.system[key].create(conn, checkfirst=True)
    rows = [_row(PERMISSION_SET, s) for e in model.entities for s in entity_sets(e.name)]
    rows += [_row(ROLE, r) for r in builtin_roles()]
    conn.execute(insert(db.system["security"]), rows)
    if owner is not None and not owner.is_system:
        member = member_of(owner)
        conn.execute(
            insert(db.system["role_members"]),
            [
                {"role": role, "kind": member.kind.value, "name": member.name}
                for role in (DATABASE_OWNER, ENVIRONMENT_ADMIN)
            ],
        )
    _bump(db, conn)


def member_of(caller: Caller) -> Member:
    """The member a caller is when a role is given to it."""
    kind = MemberKind.APPLICATION if caller.kind is CallerKind.APPLICATION else MemberKind.USER
    return Member(kind=kind, name=caller.name)


def _row(kind: str, item: PermissionSet | Role) -> dict[str, str]:
    return {"kind": kind, "name": item.name, "definition": item.model_dump_json()}


def _bump(db: Database, conn: Connection) -> None:
    """Move the change counter, so every process computes rights afresh."""
    db.allocate(conn, SEQUENCE, 1)


class EnvironmentSecurity:
    """The security definitions of one environment and the rights they give."""

    def __init__(self, name: str, db: Database, model: Callable[[], DataModel]) -> None:
        self.name = name
        self.db = db
        self._model = model
        self._definitions: Definitions | None = None
        self._checked = 0.0
        self._access: dict[tuple[Caller, bool], Access] = {}
        self._lock = threading.Lock()
        self.audit_trail: AuditTrail | None = None

    # -- rights --------------------------------------------------------------------------

    def access(self, caller: Caller, open_access: bool) -> Access:
        """The caller's rights (computed once per version of the definitions)."""
        definitions = self.definitions()
        found = self._access.get((caller, open_access))
        if found is None:
            found = access_for(
                caller,
                open_access,
                definitions.roles,
                definitions.permission_sets,
                definitions.members,
            )
            self._access[(caller, open_access)] = found
        return found

    def definitions(self) -> Definitions:
        """The current definitions, read again when another process may have changed them."""
        now = time.monotonic()
        current = self._definitions
        if current is not None and now - self._checked < RECHECK_SECONDS:
            return current
        with self._lock, self.db.read() as conn:
            version = self.db.current(conn, SEQUENCE)
            if current is None or version != current.version:
                current = self._definitions = _load(self.db, conn, version)
                self._access = {}
            self._checked = now
        return current

    def require_security(self, caller: Caller) -> None:
        """ForbiddenError unless the caller may manage this environment's security."""
        self.access(caller, False).require_capability(
            Capability.SECURITY, f"environment {self.name}"
        )

    def forget(self) -> None:
        """Drop the cached definitions and rights."""
        with self._lock:
            self._definitions = None
            self._access = {}

    # -- reading definitions -------------------------------------------------------------

    def permission_sets(self) -> list[PermissionSet]:
        """Every permission set, by name."""
        return sorted(self.definitions().permission_sets.values(), key=lambda s: s.name.lower())

    def permission_set(self, name: str) -> PermissionSet:
        """One permission set (NotFoundError when there is none)."""
        found = self.definitions().permission_sets.get(name.lower())
        if found is None:
            raise NotFoundError("Permission set", name, self.name)
        return found

    def roles(self) -> list[Role]:
        """Every role, by name."""
        return sorted(self.definitions().roles.values(), key=lambda r: r.name.lower())

    def role(self, name: str) -> Role:
        """One role (NotFoundError when there is none)."""
        found = self.definitions().roles.get(name.lower())
        if found is None:
            raise NotFoundError("Role", name, self.name)
        return found

    def members(self, role: str) -> list[Member]:
        """The holders of a role."""
        found = self.role(role)
        return list(self.definitions().members.get(found.name, []))

    # -- changes -------------------------------------------------------------------------

    def save_permission_set(self, actor: Caller, permission_set: PermissionSet) -> PermissionSet:
        """Create or replace a custom permission set (built-in sets stay as they are)."""
        self.require_security(actor)
        existing = self.definitions().permission_sets.get(permission_set.name.lower())
        if existing is not None and existing.builtin:
            raise DefinitionError(f"built-in permission set '{existing.name}' cannot be changed")
        if permission_set.builtin:
            raise DefinitionError("only the product creates built-in permission sets")
        checked = check_permission_set(permission_set, self._model())
        with self._changing(actor, "permission set saved", checked.name, _dump(checked)) as conn:
            self._delete_definition(conn, PERMISSION_SET, (existing or checked).name)
            conn.execute(insert(self.db.system["security"]).values(_row(PERMISSION_SET, checked)))
        return checked

    def delete_permission_set(self, actor: Caller, name: str) -> None:
        """Delete a custom permission set no role uses."""
        self.require_security(actor)
        found = self.permission_set(name)
        if found.builtin:
            raise DefinitionError(f"built-in permission set '{found.name}' cannot be deleted")
        users = [r.name for r in self.roles() if found.name.lower() in _lower(r.permission_sets)]
        if users:
            raise DefinitionError(
                f"permission set '{found.name}' is used by role(s) {', '.join(users)}"
            )
        with self._changing(actor, "permission set deleted", found.name) as conn:
            self._delete_definition(conn, PERMISSION_SET, found.name)

    def save_role(self, actor: Caller, role: Role) -> Role:
        """Create a role or change one; a built-in role keeps its name and capabilities."""
        self.require_security(actor)
        existing = self.definitions().roles.get(role.name.lower())
        if existing is None and role.builtin:
            raise DefinitionError("only the product creates built-in roles")
        if existing is not None and existing.builtin:
            if role.capabilities != existing.capabilities:
                raise DefinitionError(f"built-in role '{existing.name}' keeps its capabilities")
            role = role.model_copy(update={"name": existing.name, "builtin": True})
        names = [self.permission_set(n).name for n in role.permission_sets]
        role = role.model_copy(update={"permission_sets": tuple(dict.fromkeys(names))})
        with self._changing(actor, "role saved", role.name, _dump(role)) as conn:
            self._delete_definition(conn, ROLE, (existing or role).name)
            conn.execute(insert(self.db.system["security"]).values(_row(ROLE, role)))
        return role

    def delete_role(self, actor: Caller, name: str) -> None:
        """Delete a custom role and take it from its members."""
        self.require_security(actor)
        found = self.role(name)
        if found.builtin:
            raise DefinitionError(f"built-in role '{found.name}' cannot be deleted")
        with self._changing(actor, "role deleted", found.name) as conn:
            self._delete_definition(conn, ROLE, found.name)
            members = self.db.system["role_members"]
            conn.execute(delete(members).where(members.c.role == found.name))

    def add_member(self, actor: Caller, role: str, member: Member) -> None:
        """Give a role to a user, group or application user."""
        self.require_security(actor)
        found = self.role(role)
        if any(_same(m, member) for m in self.members(found.name)):
            raise AlreadyExistsError("Role member", str(member), found.name)
        detail = {"role": found.name, "member": str(member)}
        with self._changing(actor, "role granted", str(member), detail) as conn:
            conn.execute(
                insert(self.db.system["role_members"]).values(
                    role=found.name, kind=member.kind.value, name=member.name
                )
            )

    def remove_member(self, actor: Caller, role: str, member: Member) -> None:
        """Take a role from a holder."""
        self.require_security(actor)
        found = self.role(role)
        held = [m for m in self.members(found.name) if _same(m, member)]
        if not held:
            raise NotFoundError("Role member", str(member), found.name)
        detail = {"role": found.name, "member": str(member)}
        with self._changing(actor, "role revoked", str(member), detail) as conn:
            table = self.db.system["role_members"]
            conn.execute(
                delete(table).where(
                    (table.c.role == found.name)
                    & (table.c.kind == held[0].kind.value)
                    & (table.c.name == held[0].name)
                )
            )

    def drop_member(self, member: Member, actor: str) -> int:
        """Take every role from an identity the directory no longer has (so a new identity
        of the same name does not inherit them); how many roles it held. The directory's
        deletion was the authorized act, so no capability is asked here."""
        held = {
            (role, m.name)
            for role, members in self.definitions().members.items()
            for m in members
            if _same(m, member)
        }
        if not held:
            return 0
        table = self.db.system["role_members"]
        with self.db.write() as conn:
            _bump(self.db, conn)
            for role, name in held:
                conn.execute(
                    delete(table).where(
                        (table.c.role == role)
                        & (table.c.kind == member.kind.value)
                        & (table.c.name == name)
                    )
                )
        self.forget()
        if self.audit_trail is not None:
            detail = {"roles": sorted(role for role, _ in held), "member": str(member)}
            self.audit_trail.audit(actor, "roles dropped", str(member), detail, self.name)
        return len(held)

    def entity_added(self, conn: Connection, entity: str) -> None:
        """A new entity gets its View and Maintain sets (in the schema change's transaction)."""
        rows = [_row(PERMISSION_SET, s) for s in entity_sets(entity)]
        conn.execute(insert(self.db.system["security"]), rows)
        _bump(self.db, conn)

    def entity_dropped(self, conn: Connection, entity: str) -> None:
        """A dropped entity leaves no permission behind (in the schema change's transaction):
        its own sets go, other sets lose their permission on it."""
        for permission_set in self.definitions().permission_sets.values():
            if entity.lower() not in _lower(permission_set.entities):
                continue
            self._delete_definition(conn, PERMISSION_SET, permission_set.name)
            if permission_set.builtin:
                continue
            kept = {e: p for e, p in permission_set.entities.items() if e.lower() != entity.lower()}
            narrowed = permission_set.model_copy(update={"entities": kept})
            conn.execute(insert(self.db.system["security"]).values(_row(PERMISSION_SET, narrowed)))
        _bump(self.db, conn)

    def _delete_definition(self, conn: Connection, kind: str, name: str) -> None:
        table = self.db.system["security"]
        conn.execute(delete(table).where((table.c.kind == kind) & (table.c.name == name)))

    @contextmanager
    def _changing(
        self, actor: Caller, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> Iterator[Connection]:
        """A write transaction that changes definitions: it moves the change counter, drops
        the cached rights, and writes the audit entry once the change has committed."""
        with self.db.write() as conn:
            _bump(self.db, conn)
            yield conn
        self.forget()
        self.audit(actor, action, target, detail)

    def audit(
        self, actor: Caller, action: str, target: str, detail: dict[str, Any] | None = None
    ) -> None:
        """Write a security change to the audit trail, when there is one."""
        if self.audit_trail is not None:
            self.audit_trail.audit(actor.name, action, target, detail, self.name)


def _load(db: Database, conn: Connection, version: int) -> Definitions:
    out = Definitions(version=version)
    for row in conn.execute(select(db.system["security"])):
        if row.kind == PERMISSION_SET:
            permission_set = PermissionSet.model_validate_json(row.definition)
            out.permission_sets[permission_set.name.lower()] = permission_set
        elif row.kind == ROLE:
            role = Role.model_validate_json(row.definition)
            out.roles[role.name.lower()] = role
    for row in conn.execute(select(db.system["role_members"])):
        member = Member(kind=MemberKind(row.kind), name=row.name)
        out.members.setdefault(row.role, []).append(member)
    return out


def check_permission_set(permission_set: PermissionSet, model: DataModel) -> PermissionSet:
    """A permission set with canonical entity and field names; DefinitionError naming the
    set, entity, operation and field of the first permission that cannot work."""
    entities: dict[str, EntityPermission] = {}
    for name, permission in permission_set.entities.items():
        if not model.has_entity(name):
            raise DefinitionError(f"permission set '{permission_set.name}': no entity '{name}'")
        entity = model.entity(name)
        policies = {}
        for operation, policy in permission.policies.items():
            where = f"permission set '{permission_set.name}', {entity.name} {operation} policy"
            found = entity.field_or_none(policy.field)
            if found is None:
                raise DefinitionError(f"{where}: no field '{policy.field}'")
            if policy.values is not None:
                if found.type is not FieldType.PICKLIST or found.picklist is None:
                    raise DefinitionError(f"{where}: {found.name} is not a picklist")
                picklist = model.picklist(found.picklist)
                unknown = [v for v in policy.values if picklist.value_of(v) is None]
                if unknown:
                    raise DefinitionError(
                        f"{where}: {', '.join(unknown)} not in picklist {picklist.name}"
                    )
            elif found.storage is not Storage.STRING or found.is_compound:
                raise DefinitionError(
                    f"{where}: {found.name} cannot hold a user name (use a text field such as "
                    f"{CREATED_BY} or {MODIFIED_BY})"
                )
            policies[operation] = policy.model_copy(update={"field": found.name})
        entities[entity.name] = permission.model_copy(update={"policies": policies})
    return permission_set.model_copy(update={"entities": entities})


def _same(a: Member, b: Member) -> bool:
    return a.kind is b.kind and a.name.lower() == b.name.lower()


def _lower(names: Iterable[str]) -> set[str]:
    return {n.lower() for n in names}


def _dump(item: PermissionSet | Role) -> dict[str, Any]:
    return dict(item.model_dump(mode="json"))
