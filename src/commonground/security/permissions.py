"""What a role grants, as data: entity permissions grouped into permission sets, permission
sets combined into roles, roles given to users, groups and application users.

    entity permission (Create / Read / Update / Delete on one entity, maybe under a policy)
       └─ grouped into a PermissionSet
            └─ permission sets combined into a Role (which may also carry capabilities)
                 └─ roles given to Members: users, groups, application users

A role grants the union of its permission sets. A record policy narrows one operation on one
entity inside a permission set to the records whose picklist field holds one of some values,
or whose user field names the caller. Definitions are plain data so they travel as YAML or
JSON between files, the CLI and the API unchanged.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9 _.()-]{0,99}$")


class Operation(StrEnum):
    """An entity privilege."""

    CREATE = "Create"
    READ = "Read"
    UPDATE = "Update"
    DELETE = "Delete"


ALL_OPERATIONS = frozenset(Operation)


class Capability(StrEnum):
    """What a role allows beyond entity data."""

    ALL_DATA = "AllData"  # every operation on every entity, present and future
    SCHEMA = "Schema"  # create and change entities, fields, keys and picklists
    SECURITY = "Security"  # manage permission sets, roles, members and the access mode
    INTEGRATIONS = "Integrations"  # manage connections, projects and runs


class Policy(BaseModel):
    """Which records an operation reaches: a picklist field holding one of `values`, or a
    user field (such as CreatedByUser) naming the caller when `current_user` is set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    values: tuple[str, ...] | None = None
    current_user: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Policy:
        if (self.values is None) == (not self.current_user):
            raise ValueError("a policy has either `values` or `current_user: true`")
        if self.values is not None and not self.values:
            raise ValueError("a picklist policy lists at least one value")
        return self


class EntityPermission(BaseModel):
    """The operations a permission set allows on one entity, and their policies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    operations: frozenset[Operation]
    policies: dict[Operation, Policy] = {}

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        """`[Read, Update]` is short for `{operations: [Read, Update]}`."""
        if isinstance(value, list | tuple | set | frozenset):
            return {"operations": value}
        return value

    @model_validator(mode="after")
    def _policies_on_granted(self) -> EntityPermission:
        stray = sorted(str(op) for op in self.policies if op not in self.operations)
        if stray:
            raise ValueError(f"policies on operations not granted: {', '.join(stray)}")
        return self


class PermissionSet(BaseModel):
    """The entity permissions one task or app needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    builtin: bool = False
    entities: dict[str, EntityPermission] = {}

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return check_name(value, "permission set")


class Role(BaseModel):
    """Permission sets combined, plus capabilities; given to members."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    builtin: bool = False
    permission_sets: tuple[str, ...] = ()
    capabilities: frozenset[Capability] = frozenset()

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return check_name(value, "role")


class MemberKind(StrEnum):
    """Who a role can be given to."""

    USER = "user"
    GROUP = "group"
    APPLICATION = "application"


class Member(BaseModel):
    """One holder of a role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MemberKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def check_name(value: str, what: str) -> str:
    """A security object's name: a letter, then letters, digits, spaces or `_.()-`."""
    if not NAME_PATTERN.match(value):
        raise ValueError(
            f"invalid {what} name '{value}': use a letter, then letters, digits, spaces "
            "or _.()- (at most 100 characters)"
        )
    return value
