"""The settings of a Common Ground connection: one environment, embedded or served remotely.

Embedded means in this process, over the installation's own store (`home` for SQLite files,
`database_url` for PostgreSQL); remote means over the OData API of `commonground serve` at
`url`, optionally with OAuth2 client credentials. Exactly one of the two must be given, so a
connection never silently talks to a different system than the one its author meant.

Whoever the connection acts as holds the rights: remotely, the application user of the client
credentials; embedded, the identity in `run_as` (`user:NAME` or `application:NAME`), or the
local operator when none is named.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from commonground.security.caller import CallerKind


class CommonGroundSettings(BaseModel):
    """Where the environment lives and how to reach it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str
    home: str | None = None
    database_url: SecretStr | None = None
    url: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    run_as: str | None = Field(default=None, pattern=r"^(user|application):.+$")
    batch_size: int = Field(default=5000, ge=1)

    @model_validator(mode="after")
    def _embedded_or_remote(self) -> CommonGroundSettings:
        embedded = self.home is not None or self.database_url is not None
        if embedded == self.is_remote:
            raise ValueError(
                "give either home or database_url (embedded) or url (remote), not both or neither"
            )
        credentials = (self.token_url, self.client_id, self.client_secret)
        if any(c is not None for c in credentials) and not all(c is not None for c in credentials):
            raise ValueError("client credentials need token_url, client_id and client_secret")
        if self.token_url is not None and not self.is_remote:
            raise ValueError("token_url applies to a remote environment (url) only")
        if self.run_as is not None and self.is_remote:
            raise ValueError(
                "run_as applies to an embedded environment; remotely, the client "
                "credentials say who acts"
            )
        return self

    @property
    def identity(self) -> tuple[CallerKind, str] | None:
        """Who an embedded connection acts as (None: the local operator)."""
        if self.run_as is None:
            return None
        kind, _, name = self.run_as.partition(":")
        return CallerKind(kind), name

    @property
    def is_remote(self) -> bool:
        """True when the environment is reached over HTTP."""
        return self.url is not None
