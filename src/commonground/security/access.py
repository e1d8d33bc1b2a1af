"""A caller's rights in one environment, worked out once from its roles and then asked on
every operation: may this caller do this operation on this entity, and on which records.

Grants are a union: one permission set granting Read on Account without a policy makes every
Account readable, whatever other sets add; grants that all carry policies reach the records
any of their policies reaches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from commonground.errors import ForbiddenError
from commonground.query.expressions import Expr, Path
from commonground.security.caller import Caller, CallerKind
from commonground.security.defaults import ORGANIZATION_USER
from commonground.security.permissions import (
    Capability,
    Member,
    MemberKind,
    Operation,
    PermissionSet,
    Policy,
    Role,
)

ALL_CAPABILITIES = frozenset(Capability)


@dataclass(frozen=True)
class Grant:
    """How far one operation on one entity reaches: every record (`policies` None) or the
    records at least one of `policies` reaches."""

    policies: tuple[Policy, ...] | None = None

    def widened(self, policy: Policy | None) -> Grant:
        """This grant united with one more permission set's grant."""
        if self.policies is None or policy is None:
            return EVERY_RECORD
        if policy in self.policies:
            return self
        return Grant((*self.policies, policy))


EVERY_RECORD = Grant()


class Access:
    """What one caller may do in one environment (see the module docstring)."""

    def __init__(
        self,
        caller: Caller,
        grants: Mapping[str, Mapping[Operation, Grant]] | None,
        capabilities: frozenset[Capability],
    ) -> None:
        """`grants` by lower-case entity name; None means every operation on every entity."""
        self.caller = caller
        self._grants = grants
        self.capabilities = capabilities

    @property
    def unrestricted(self) -> bool:
        """Every record of every entity, for every operation."""
        return self._grants is None

    def grant(self, entity: str, operation: Operation) -> Grant | None:
        """The grant for an operation on an entity, None when there is none."""
        if self._grants is None:
            return EVERY_RECORD
        return self._grants.get(entity.lower(), {}).get(operation)

    def allows(self, entity: str, operation: Operation) -> bool:
        """Whether the operation is granted on at least some records of the entity."""
        return self.grant(entity, operation) is not None

    def require(self, entity: str, operation: Operation) -> Grant:
        """The grant, or ForbiddenError naming the missing privilege."""
        found = self.grant(entity, operation)
        if found is None:
            raise ForbiddenError(str(operation), entity)
        return found

    def condition(self, entity: str, operation: Operation) -> Expr | None:
        """The filter that keeps an operation inside its policies (None: every record);
        ForbiddenError when the operation is not granted at all."""
        found = self.require(entity, operation)
        if found.policies is None:
            return None
        condition: Expr | None = None
        for policy in found.policies:
            term = policy_condition(policy, self.caller)
            condition = term if condition is None else condition | term
        return condition

    def require_capability(self, capability: Capability, target: str) -> None:
        """ForbiddenError unless the caller's roles carry the capability."""
        if capability not in self.capabilities:
            raise ForbiddenError(str(capability), target)


def policy_condition(policy: Policy, caller: Caller) -> Expr:
    """A policy as a query condition for one caller."""
    if policy.values is not None:
        return Path((policy.field,)).in_(list(policy.values))
    return Path((policy.field,)) == caller.name


def full_access(caller: Caller) -> Access:
    """Every right: the local operator and installation administrators."""
    return Access(caller, None, ALL_CAPABILITIES)


def roles_of(caller: Caller, members: Mapping[str, Iterable[Member]]) -> list[str]:
    """The names of the roles a caller holds, directly, through a group, or by default
    (Organization User, which every user and application user holds)."""
    kind = MemberKind.APPLICATION if caller.kind is CallerKind.APPLICATION else MemberKind.USER
    name = caller.name.lower()
    groups = {g.lower() for g in caller.groups}
    held = [ORGANIZATION_USER]
    for role, holders in members.items():
        for member in holders:
            if (member.kind is kind and member.name.lower() == name) or (
                member.kind is MemberKind.GROUP and member.name.lower() in groups
            ):
                held.append(role)
                break
    return held


def access_for(
    caller: Caller,
    open_access: bool,
    roles: Mapping[str, Role],
    permission_sets: Mapping[str, PermissionSet],
    members: Mapping[str, Iterable[Member]],
) -> Access:
    """A caller's rights from the environment's security definitions (`roles` and
    `permission_sets` keyed by lower-case name, `members` by role name)."""
    if caller.is_system or caller.admin:
        return full_access(caller)
    held = [roles[r.lower()] for r in roles_of(caller, members) if r.lower() in roles]
    capabilities = frozenset(c for role in held for c in role.capabilities)
    if open_access or Capability.ALL_DATA in capabilities:
        return Access(caller, None, capabilities)
    grants: dict[str, dict[Operation, Grant]] = {}
    for role in held:
        for set_name in role.permission_sets:
            permission_set = permission_sets.get(set_name.lower())
            if permission_set is None:
                continue
            for entity, permission in permission_set.entities.items():
                by_operation = grants.setdefault(entity.lower(), {})
                for operation in permission.operations:
                    policy = permission.policies.get(operation)
                    current = by_operation.get(operation)
                    by_operation[operation] = (
                        Grant(None if policy is None else (policy,))
                        if current is None
                        else current.widened(policy)
                    )
    return Access(caller, grants, capabilities)
