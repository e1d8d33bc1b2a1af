"""A short way through for the API's hottest request: `GET <root>/<EntitySet>(<RecordId>)`.

Through the whole stack (Starlette's routing, the middleware, the request object, the read
transaction, SQLAlchemy's result machinery) this request costs several times the work its
answer needs. `PointReads` sits in front of that stack and answers only the plain case
itself, with state made once per environment and entity: the point read's SQL run on a
connection of its own (on SQLite a single SELECT is its own snapshot, so no BEGIN/COMMIT),
the stored values converted by the column types' own result processors, then the entity's
codec, the record encoder and the document of the normal path (`reading.record_document`).

It answers only what it can answer exactly as the normal path would: an SQLite environment
already open, a bearer token whose caller is cached, Read on the entity without record
policies, no query string, no If-None-Match, and a record that exists. Everything else (no or
a bad token, a caller not looked up yet, a refusal, a policy, a missing record, any other
request or database) goes to the normal app unchanged, which answers or refuses as always.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

from commonground.api.errors import ApiError
from commonground.api.payloads import JSON_MEDIA, base_url, json_bytes
from commonground.api.reading import ieee754_asked, record_document
from commonground.api.resources import parse_resource
from commonground.errors import CommonGroundError
from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.field import Field
from commonground.odata.json_format import RecordEncoder, etag
from commonground.odata.memo import PerDefinition
from commonground.security.authentication import Authenticator
from commonground.security.permissions import Operation
from commonground.security.token_guard import App, Receive, Scope, Send, bearer_token
from commonground.security.tokens import InvalidTokenError
from commonground.service.codec import Record
from commonground.service.environment import Environment
from commonground.service.environments import Environments
from commonground.store.prepared import DriverSelect

PREFIX = "/environments/"
SERVICE = "/api/data/v1/"
ODATA_VERSION = (b"odata-version", b"4.0")
CONTENT_TYPE = (b"content-type", JSON_MEDIA.encode("latin-1"))
INT64_MAX = 2**63 - 1  # a larger key is the normal path's to refuse


class PointReads:
    """Answers plain reads of one record by RecordId itself; passes on every other request."""

    def __init__(self, app: App, environments: Environments, authenticator: Authenticator):
        self.app = app
        self.environments = environments
        self.authenticator = authenticator
        self._reads: dict[tuple[str, str], PointRead] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = self.answer(scope) if scope["type"] == "http" else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        start, body = answer
        await send(start)
        await send(body)

    def answer(self, scope: Scope) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The two ASGI messages of the answer, or None when the normal app is to answer."""
        path: str = scope["path"]
        if (
            scope["method"] != "GET"
            or scope["query_string"]
            or scope.get("root_path")
            or not path.startswith(PREFIX)
            or not path.endswith(")")
        ):
            return None
        env_name, found, rest = path[len(PREFIX) :].partition(SERVICE)
        if not found or not env_name or "/" in env_name or "/" in rest:
            return None
        env = self.environments.opened(env_name)
        if env is None or env.db.dialect.name != "sqlite":
            return None
        accept: str | None = None  # the first Accept header, as Starlette's headers give it
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                return None
            if name == b"accept" and accept is None:
                accept = value.decode("latin-1")
        record_id = _record_id(env, rest)
        if record_id is None or not self._may_read_all(scope, env, record_id[0]):
            return None
        entity, key = record_id
        read = self._read(env, entity)
        record = read.fetch(key)
        if record is None:
            return None
        encoder = read.encoders[ieee754_asked(accept or "")]
        root = f"{base_url(scope)}environments/{env_name}/api/data/v1/"
        content = json_bytes(record_document(root, encoder, record))
        headers = [  # json_response's headers, in the order Starlette's Response sends them
            ODATA_VERSION,
            (b"etag", etag(int(record[VERSION])).encode("latin-1")),
            (b"content-length", str(len(content)).encode("latin-1")),
            CONTENT_TYPE,
        ]
        return (
            {"type": "http.response.start", "status": 200, "headers": headers},
            {"type": "http.response.body", "body": content},
        )

    def _may_read_all(self, scope: Scope, env: Environment, entity: Entity) -> bool:
        """Whether the request's token names a cached caller who may read every record of
        the entity (a policy is checked record by record, by the normal path)."""
        token = bearer_token(scope)
        if token is None:
            return False
        try:
            claims = self.authenticator.claims_of(token)
        except InvalidTokenError:
            return False
        caller = self.authenticator.cached_caller(claims)
        if caller is None:
            return False
        try:
            grant = env.access(caller).grant(entity.name, Operation.READ)
        except CommonGroundError:  # the definitions could not be read: the normal path says so
            return False
        return grant is not None and grant.policies is None

    def _read(self, env: Environment, entity: Entity) -> PointRead:
        """The point read of an entity, made again when the environment or its model changed."""
        known = self._reads.get((env.name, entity.name))
        if known is not None and known.env is env and known.entity is entity:
            return known
        if known is not None:
            known.close()
        read = self._reads[(env.name, entity.name)] = PointRead.of(env, entity)
        return read


def _record_id(env: Environment, rest: str) -> tuple[Entity, int] | None:
    """The entity and RecordId of `<EntitySet>(<digits>)`, parsed as the normal path parses
    it; None for any other resource (or a path the normal path refuses). An entity set once
    parsed so is remembered per model: the next `<EntitySet>(<digits>)` needs no parsing."""
    opening = rest.find("(")
    digits = rest[opening + 1 : -1]
    if opening < 1 or not (digits.isascii() and digits.isdigit()):
        return None
    known = record_sets(env.model)
    set_name = rest[:opening].lower()  # entity sets are found case-insensitively
    entity = known.get(set_name)
    if entity is None:
        try:
            resource = parse_resource(env.model, rest)
        except (ApiError, CommonGroundError):
            return None
        key = resource.key
        if key is None or list(key) != [RECORD_ID] or resource.property is not None:
            return None
        entity = known[set_name] = resource.entity
    record_id = int(digits)
    return (entity, record_id) if record_id <= INT64_MAX else None


# Entity-set names (lower-cased) whose `Set(<digits>)` is a read by RecordId.
record_sets: PerDefinition[DataModel, dict[str, Entity]] = PerDefinition(lambda _: {})


@dataclass
class PointRead:
    """One entity's point read in one environment: the SQL of the store's own point read,
    run on a connection kept for it, and what turns its row into the answer."""

    env: Environment
    entity: Entity
    select: DriverSelect
    fields: list[Field]
    encoders: tuple[RecordEncoder, RecordEncoder]  # by whether IEEE754Compatible is asked
    connection: Any = None  # a pooled connection detached from its pool

    @classmethod
    def of(cls, env: Environment, entity: Entity) -> PointRead:
        """The point read of an entity with the statement and fields `Reader.get` uses."""
        statement, fields = env.reader.point_read_statement(entity)
        select = DriverSelect.of(statement, env.db.engine.dialect)
        assert select is not None  # SQLite's placeholders are positional; no list parameters
        encoders = (
            RecordEncoder(env.model, entity, False),
            RecordEncoder(env.model, entity, True),
        )
        return cls(env, entity, select, fields, encoders)

    def fetch(self, record_id: int) -> Record | None:
        """The record, decoded by the entity's codec; None when there is none (or the
        database failed: the normal path then reports that as it always does)."""
        try:
            if self.connection is None:
                self.connection = self.env.db.engine.raw_connection()
                self.connection.detach()  # the pool's connect hooks ran; it is now ours alone
            # all rows fetched: stepping to the end resets the statement, so no read snapshot
            # stays open
            rows = self.select.rows(self.connection.dbapi_connection, {"record_id": record_id})
        except DBAPIError:
            self.close()
            return None
        if not rows:
            return None
        return self.env.reader.codec(self.entity).decode(self.fields, rows[0])

    def close(self) -> None:
        """Close the connection (a new one is made on the next read)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
