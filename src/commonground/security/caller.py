"""The caller of a service operation: the one identity that rights are computed for.

Authentication turns a bearer token into a `Caller`; every data and metadata operation is
then checked against the caller's roles in the environment. `SYSTEM` is the local operator
(the embedded SDK and CLI without a signed-in user): whoever can open the database files has
every right anyway, so it is not a way around security but the name of that fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CallerKind(StrEnum):
    """What kind of identity calls."""

    USER = "user"
    APPLICATION = "application"
    SYSTEM = "system"


@dataclass(frozen=True)
class Caller:
    """A signed-in identity: its name (what CreatedBy/ModifiedBy record), kind, the groups it
    belongs to, and whether it administers the installation."""

    name: str
    kind: CallerKind = CallerKind.USER
    groups: frozenset[str] = field(default_factory=frozenset)
    admin: bool = False

    @property
    def is_system(self) -> bool:
        """The local operator, who holds every right."""
        return self.kind is CallerKind.SYSTEM


SYSTEM = Caller("system", CallerKind.SYSTEM, admin=True)
