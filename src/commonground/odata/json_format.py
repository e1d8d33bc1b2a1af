"""The OData JSON format: records to response objects and request bodies to records.

Responses follow the Dataverse Web API: every entity carries `@odata.etag` (W/"<version>"),
a lookup is shown as `_<Lookup>_value` (its RecordId), picklists as member names, compound
fields as nested objects, decimals as JSON numbers (or strings with IEEE754Compatible=true),
dates as `YYYY-MM-DD` and instants as ISO 8601 in UTC with a `Z`.

Request bodies may set a lookup with `<Lookup>@odata.bind: "Accounts(5)"` or
`"Accounts(AccountId='A-1')"`, or directly as `_<Lookup>_value: 5`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from uuid import UUID

from commonground.errors import RecordError, RecordValidationError
from commonground.model.datamodel import DataModel
from commonground.model.entity import VERSION, Entity
from commonground.model.types import FieldType
from commonground.odata.memo import PerDefinition
from commonground.odata.naming import child_collections, lookup_value_property
from commonground.odata.properties import collection_name
from commonground.service.codec import Record

ODATA_ANNOTATION = "@odata."


def etag(version: int) -> str:
    """The weak ETag of a record version."""
    return f'W/"{version}"'


def version_of_etag(value: str) -> int | None:
    """The version in an ETag (`W/"12"` or `"12"`), or None when it is not one of ours."""
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return int(text) if text.isascii() and text.isdigit() else None  # isdigit() alone: '¹'


def json_value(value: Any, ieee754_compatible: bool = False) -> Any:
    """A Python value as a JSON value."""
    kind = type(value)
    if kind in JSON_NATIVE:
        return value
    if kind is dict:  # a compound field's parts: mostly native values
        return {
            k: v if type(v) in JSON_NATIVE else json_value(v, ieee754_compatible)
            for k, v in value.items()
        }
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if ieee754_compatible:
            return str(value.normalize()) if value == value.to_integral() else str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: json_value(v, ieee754_compatible) for k, v in value.items()}
    return value


# Values of these exact types are JSON as they are: most of a record, so they skip the checks.
JSON_NATIVE = frozenset({str, int, bool, float, type(None)})


def _property_names(entity: Entity) -> dict[str, str]:
    """Field name -> the OData property holding its value (`_<Lookup>_value` for lookups)."""
    return {
        field.name: lookup_value_property(field.name)
        if field.type is FieldType.LOOKUP
        else field.name
        for field in entity.all_fields
    }


property_names: PerDefinition[Entity, dict[str, str]] = PerDefinition(_property_names)


@dataclass(frozen=True)
class RecordEncoder:
    """Encodes records of one entity as OData JSON objects."""

    model: DataModel
    entity: Entity
    ieee754_compatible: bool = False

    def encode(self, record: Record) -> dict[str, Any]:
        """One record, with its related records under their navigation property names."""
        out: dict[str, Any] = {}
        version = record.get(VERSION)
        if version is not None:
            out["@odata.etag"] = etag(int(version))
        names = self._names
        ieee754 = self.ieee754_compatible
        for name, value in record.items():
            key = names.get(name) or self._property_name(name)
            out[key] = value if type(value) in JSON_NATIVE else json_value(value, ieee754)
        if record.has_related():
            for include, related in record.related.items():
                nav = include
                if self.entity.field_or_none(include) is None:
                    nav = collection_name(self.model, self.entity, include) or include
                out[nav] = self._encode_related(include, related)
        return out

    @cached_property
    def _names(self) -> dict[str, str]:
        return property_names(self.entity)

    def _property_name(self, name: str) -> str:
        """The property of a record key not spelled as its field is (or of no field)."""
        field = self.entity.field_or_none(name)
        return lookup_value_property(name) if field and field.type is FieldType.LOOKUP else name

    def _encode_related(self, include: str, related: Any) -> Any:
        if related is None:
            return None
        if isinstance(related, list):
            if not related:
                return []
            child = self.model.entity(include.split(".")[0])
            encoder = RecordEncoder(self.model, child, self.ieee754_compatible)
            return [encoder.encode(r) for r in related]
        field = self.entity.field_or_none(include)
        assert field is not None
        assert field.target is not None
        target = RecordEncoder(self.model, self.model.entity(field.target), self.ieee754_compatible)
        return target.encode(related)


BindResolver = Callable[[str, int, str], int]


@dataclass(frozen=True)
class BodyDecoder:
    """Turns request bodies into records the service accepts."""

    model: DataModel
    entity: Entity

    def decode(
        self, body: Any, index: int, resolve_bind: BindResolver
    ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """A record and the deep-insert children it carries (by child collection name)."""
        if not isinstance(body, dict):
            raise RecordValidationError(
                self.entity.name, [RecordError(index, None, "the body must be a JSON object")]
            )
        collections = {c.name.lower(): c for c in child_collections(self.model, self.entity)}
        record: dict[str, Any] = {}
        children: dict[str, list[dict[str, Any]]] = {}
        errors: list[RecordError] = []
        for key, value in body.items():
            if key.startswith("@") or (ODATA_ANNOTATION in key and not key.endswith("@odata.bind")):
                continue
            if key.endswith("@odata.bind"):
                name = key[: -len("@odata.bind")]
                lookup = self.entity.field_or_none(name)
                if lookup is None or lookup.type is not FieldType.LOOKUP:
                    errors.append(RecordError(index, name, "not a lookup that can be bound"))
                    continue
                if value is None:
                    record[lookup.name] = None
                elif isinstance(value, str):
                    record[lookup.name] = resolve_bind(value, index, lookup.name)
                else:
                    errors.append(
                        RecordError(index, name, "@odata.bind takes a URL like Accounts(5)")
                    )
                continue
            if key.startswith("_") and key.endswith("_value"):
                record[key[1:-6]] = value
                continue
            if key.lower() in collections and isinstance(value, list):
                children[collections[key.lower()].name] = value
                continue
            record[key] = value
        if errors:
            raise RecordValidationError(self.entity.name, errors)
        return record, children
