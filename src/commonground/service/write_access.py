"""Whether a caller may write a batch: Create for the records it inserts, Update for the ones
it changes, and, where record policies limit those privileges, each record inside them.

An update is checked twice, like a row-security USING and WITH CHECK pair: the stored record
must be inside the caller's update policies (asked of the database, with the same condition
reads use), and the record as changed must still be (asked of the new values), so nobody
moves a record into or out of reach of a policy that does not admit them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from commonground.model.entity import CREATED_BY, MODIFIED_BY, Entity
from commonground.security.access import Grant
from commonground.security.permissions import Operation, Policy
from commonground.service.codec import EntityCodec
from commonground.service.context import WriteContext

Values = Mapping[str, Any]  # the columns a record provides, as stored values


@dataclass(frozen=True)
class Denial:
    """One record the caller may not write, and why (no data in it)."""

    position: int
    privilege: Operation
    reason: str


class WriteAccess:
    """The checks of one batch of one entity for the transaction's caller."""

    def __init__(self, ctx: WriteContext, entity: Entity, codec: EntityCodec) -> None:
        self.ctx = ctx
        self.entity = entity
        self.codec = codec

    def limited(self, inserting: bool, updating: bool) -> bool:
        """Whether record policies limit a batch that inserts and/or updates (so `denials`
        must look at the records); ForbiddenError when a privilege is missing altogether."""
        access = self.ctx.access
        if access.unrestricted:
            return False
        grants = []
        if inserting:
            grants.append(access.require(self.entity.name, Operation.CREATE))
        if updating:
            grants.append(access.require(self.entity.name, Operation.UPDATE))
        return any(grant.policies is not None for grant in grants)

    def denials(
        self,
        inserts: Sequence[tuple[int, Values]],
        updates: Sequence[tuple[int, int, Values]],
    ) -> list[Denial]:
        """Records outside the caller's policies; ForbiddenError when the caller lacks the
        privilege on the entity altogether. `inserts` are (position, values), `updates`
        (position, RecordId, values)."""
        access = self.ctx.access
        if access.unrestricted:
            return []
        out: list[Denial] = []
        if inserts:
            grant = access.require(self.entity.name, Operation.CREATE)
            out += self._outside(grant, Operation.CREATE, inserts, inserting=True)
        if updates:
            grant = access.require(self.entity.name, Operation.UPDATE)
            if grant.policies is not None:
                out += self._stored_outside(updates)
                changed = [(p, values) for p, _, values in updates]
                out += self._outside(grant, Operation.UPDATE, changed, inserting=False)
        return sorted(out, key=lambda d: d.position)

    def _stored_outside(self, updates: Sequence[tuple[int, int, Values]]) -> list[Denial]:
        """Updates whose stored record the caller's update policies do not reach (asked with
        the same condition a read would add)."""
        condition = self.ctx.access.condition(self.entity.name, Operation.UPDATE)
        assert condition is not None  # only asked when the grant carries policies
        ids = [rid for _, rid, _ in updates]
        admitted = self.ctx.reader.within(self.ctx.conn, self.entity.name, ids, condition)
        reason = "the record is outside the caller's update policy"
        return [Denial(p, Operation.UPDATE, reason) for p, rid, _ in updates if rid not in admitted]

    def _outside(
        self,
        grant: Grant,
        privilege: Operation,
        records: Sequence[tuple[int, Values]],
        inserting: bool,
    ) -> list[Denial]:
        if grant.policies is None:
            return []
        reason = f"the record would be outside the caller's {privilege.value.lower()} policy"
        return [
            Denial(position, privilege, reason)
            for position, values in records
            if not any(self._admits(p, values, inserting) for p in grant.policies)
        ]

    def _admits(self, policy: Policy, values: Values, inserting: bool) -> bool:
        """Whether the record as written satisfies a policy; a field an update leaves alone
        keeps its stored value, which the stored-record check has looked at already."""
        if policy.field in values:
            value = values[policy.field]
        elif policy.field == MODIFIED_BY or (inserting and policy.field == CREATED_BY):
            value = self.ctx.user
        elif inserting:
            found = self.entity.field_or_none(policy.field)
            default = None if found is None else found.default
            value = None if default is None else self.codec.canonical_param(policy.field, default)
        else:
            return True
        if policy.values is not None:
            return value in {self.codec.canonical_param(policy.field, v) for v in policy.values}
        return bool(value == self.ctx.access.caller.name)
