"""Resource paths under a service root: `Accounts`, `Accounts(5)`, `Accounts(AccountId='A-1')`,
`Accounts/$count`, `Accounts(5)/FullName`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from commonground.api.errors import ApiError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata.keys import parse_key
from commonground.odata.naming import entity_for_set


@dataclass(frozen=True)
class Resource:
    """What a path addresses: an entity set, maybe one record, maybe one of its properties."""

    entity: Entity
    key: dict[str, Any] | None = None
    property: str | None = None
    count: bool = False


def split_key(segment: str) -> tuple[str, str | None]:
    """`Accounts(5)` -> ("Accounts", "(5)"); `Accounts` -> ("Accounts", None)."""
    opening = segment.find("(")
    if opening == -1:
        return segment, None
    if not segment.endswith(")"):
        raise ApiError(400, "InvalidPath", f"'{segment}': a key predicate ends with ')'")
    return segment[:opening], segment[opening:]


def parse_resource(model: DataModel, path: str) -> Resource:
    """The resource of a path relative to the service root (404 for unknown entity sets)."""
    segments = [unquote(s) for s in path.strip("/").split("/")]
    name, key_text = split_key(segments[0])
    entity = entity_for_set(model, name)
    if entity is None:
        raise ApiError(404, "NotFound", f"entity set '{name}' does not exist")
    key = parse_key(entity, model, key_text) if key_text else None
    rest = segments[1:]
    if not rest:
        return Resource(entity, key)
    if len(rest) > 1:
        raise ApiError(404, "NotFound", f"'{path}' does not address a resource")
    if rest[0] == "$count" and key is None:
        return Resource(entity, count=True)
    if key is None:
        raise ApiError(404, "NotFound", f"'{rest[0]}' needs a record: use {name}(<key>)/{rest[0]}")
    field = entity.field_or_none(rest[0])
    if field is None or (field.system and rest[0] != "RecordId"):
        raise ApiError(404, "NotFound", f"entity {entity.name} has no property '{rest[0]}'")
    return Resource(entity, key, field.name)


def split_key_url(url: str) -> tuple[str, str | None]:
    """The entity set and key of a record URL, absolute or relative: `.../Accounts(5)`."""
    last = url.rstrip("/").rsplit("/", 1)[-1]
    return split_key(unquote(last))
