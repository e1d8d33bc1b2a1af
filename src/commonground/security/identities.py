"""What the directory hands out: users, application users, groups, one-time credentials,
and the identity a token is checked against. Plain frozen records, no database access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from commonground.security.caller import Caller


@dataclass(frozen=True)
class User:
    """A person who signs in with a name and password."""

    name: str
    email: str
    admin: bool
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ApplicationUser:
    """A program that signs in with a client id and secret (client credentials)."""

    name: str
    client_id: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Group:
    """A named set of users and application users that roles can be granted to."""

    name: str
    members: tuple[str, ...]


class Credentials(NamedTuple):
    """An application user's client id and secret; the secret is shown this once only."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Identity:
    """What a token is checked against: the token's subject, the caller it stands for, the
    current stamp and whether the identity is disabled."""

    subject: str
    caller: Caller
    stamp: str
    disabled: bool
