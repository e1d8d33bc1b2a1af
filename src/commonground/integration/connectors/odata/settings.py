"""What an OData connection needs: the service root, credentials, and what `$metadata` lacks.

Credentials are either fixed headers (an API key) or OAuth2 client credentials (`token_url`,
`client_id`, `client_secret`, optional `scope`); the client secret is the secret. `keys`
names the fields identifying a record of an entity set when the service declares no
alternate key for them, and `cursors` the field incremental reads follow when the service
offers no change tracking.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

T = TypeVar("T")


class ODataSettings(BaseModel):
    """Settings of an `odata` connection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str  # the service root, e.g. https://host/odata/
    headers: dict[str, str] = {}  # sent with every request (an API key header, say)
    token_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    scope: str | None = None
    keys: dict[str, list[str]] = {}  # entity set -> fields identifying a record
    cursors: dict[str, str] = {}  # entity set -> field incremental reads follow
    page_size: int = Field(default=5000, ge=1)
    timeout: float = Field(default=30, gt=0)
    max_retries: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _complete_credentials(self) -> ODataSettings:
        credentials = (self.token_url, self.client_id, self.client_secret)
        if any(c is not None for c in credentials) and not all(c is not None for c in credentials):
            raise ValueError("client credentials need token_url, client_id and client_secret")
        return self

    @property
    def root(self) -> str:
        """The service root with exactly one trailing slash."""
        return self.url.rstrip("/") + "/"

    def key_of(self, entity: str) -> list[str] | None:
        """The key configured for an entity set (names compare case-insensitively)."""
        return _by_entity(self.keys, entity)

    def cursor_of(self, entity: str) -> str | None:
        """The cursor field configured for an entity set."""
        return _by_entity(self.cursors, entity)


def _by_entity(mapping: dict[str, T], entity: str) -> T | None:
    wanted = entity.lower()
    return next((value for name, value in mapping.items() if name.lower() == wanted), None)
