"""The caller of a service operation: the one identity that rights are computed for.

Authentication turns a bearer token into a `Caller`; every data and metadata operation is
then checked against the caller's roles in the environment. `SYSTEM` is the local operator
(the embedded SDK and CLI without a signed-in user): whoever can open the database files has
every right anyway, so it is not a way around security but the name of that fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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


CALLER_KEY = "commonground.caller"
"""The ASGI scope key under which the authentication middleware puts the request's caller."""


class NoCallerError(LookupError):
    """A request reached code that needs its caller without passing authentication: the
    app was assembled without the middleware, which is a bug, never a client's fault."""


def caller_of(scope_or_request: Mapping[str, Any]) -> Caller:
    """The caller the authentication middleware set on an ASGI scope or Starlette request
    (a request is a mapping over its scope)."""
    caller = scope_or_request.get(CALLER_KEY)
    if not isinstance(caller, Caller):
        raise NoCallerError("the request carries no authenticated caller")
    return caller
