"""Import the older model.json format (CDM folders, Power BI dataflows), cds-model.md 18.8.

model.json is flat: local entities list typed attributes, reference entities point into other
models through `referenceModels`, and `SingleKeyRelationship`s link an attribute of one entity
to the key attribute of another. Reference entities are followed when their model is a local
file; a relationship becomes a Lookup in place of its from-attribute, and its to-attribute
becomes an alternate key of the target, because the data carries those key values rather than
our RecordIds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from commonground.errors import DefinitionError, SourceLocation
from commonground.model.cdm.context import FieldDraft, MappingContext, PicklistRegistry
from commonground.model.cdm.corpus import read_json
from commonground.model.cdm.datatypes import fit_length
from commonground.model.cdm.entities import EntityBuilder
from commonground.model.cdm.names import field_name
from commonground.model.cdm.report import Report, ReportCode
from commonground.model.cdm.result import CdmImport, lookup_resolver, our_entity_names
from commonground.model.cdm.traits import Json, is_required, max_length, unhandled_traits
from commonground.model.datamodel import DataModel
from commonground.model.field import Field
from commonground.model.types import FieldType

MODEL_JSON_TYPES = {
    "string": FieldType.TEXT,
    "int64": FieldType.BIG_INTEGER,
    "double": FieldType.NUMBER,
    "decimal": FieldType.NUMBER,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "datetimeoffset": FieldType.DATETIME,
    "boolean": FieldType.BOOLEAN,
    "guid": FieldType.GUID,
}


def _objects(value: Any) -> list[Json]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def import_model_json(path: Path, *, existing: DataModel | None = None) -> CdmImport:
    """Import the local (and locally referenced) entities of a model.json file."""
    report = Report()
    data = read_json(path)
    if not isinstance(data.get("entities"), list):
        raise DefinitionError("model.json lists no entities", SourceLocation(str(path)))
    sources = _entities(data, path, report)
    names = our_entity_names([name for name, _ in sources], existing, report)
    lookups = lookup_resolver(names, existing)
    drafts: dict[str, list[FieldDraft]] = {}
    for name, entity in sources:
        ctx = MappingContext(names[name.lower()], report, PicklistRegistry(set()), lookups)
        drafts[ctx.entity] = [
            d for a in _objects(entity.get("attributes")) for d in _attribute(a, ctx)
        ]
        ctx.report_ignored_traits()
    keys = _relationships(data, drafts, names, lookups, report)
    entities = []
    for name, entity in sources:
        ours = names[name.lower()]
        builder = EntityBuilder(ours, report)
        builder.add_all(drafts[ours])
        text = entity.get("description")
        entities.append(
            builder.build(None, text if isinstance(text, str) and text else None, keys.get(ours))
        )
    return CdmImport(entities, [], report.lines)


def _entities(data: Json, path: Path, report: Report) -> list[tuple[str, Json]]:
    """(name, entity) for each local entity and each followed reference entity."""
    out: list[tuple[str, Json]] = []
    for item in _objects(data.get("entities")):
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise DefinitionError("an entity of model.json has no name", SourceLocation(str(path)))
        kind = item.get("$type")
        if kind == "LocalEntity":
            out.append((name, item))
        elif kind == "ReferenceEntity":
            followed = _follow(item, data, path, report)
            if followed is not None:
                out.append((name, followed))
        else:
            report.add(name, None, ReportCode.NOT_FOLLOWED, f"entity of $type {kind!r} skipped")
    return out


def _follow(item: Json, data: Json, path: Path, report: Report) -> Json | None:
    """The local entity a reference entity points to, if its model is a local file."""
    name = str(item["name"])
    models = {m.get("id"): m.get("location") for m in _objects(data.get("referenceModels"))}
    location = models.get(item.get("modelId"))
    if not isinstance(location, str) or not location:
        report.add(
            name,
            None,
            ReportCode.NOT_FOLLOWED,
            f"reference model {item.get('modelId')!r} is not listed in referenceModels: "
            "entity not imported",
        )
        return None
    parsed = urlparse(location)
    if parsed.scheme not in ("", "file") and len(parsed.scheme) > 1:
        report.add(
            name,
            None,
            ReportCode.NOT_FOLLOWED,
            f"reference model at {location} is not a local file: entity not followed or imported",
        )
        return None
    target = Path(url2pathname(parsed.path)) if parsed.scheme == "file" else Path(location)
    target = target if target.is_absolute() else path.parent / target
    target = target / "model.json" if target.is_dir() else target
    source = item.get("source") or name
    for entity in _objects(read_json(target).get("entities")):
        if entity.get("name") == source and entity.get("$type") == "LocalEntity":
            return entity
    raise DefinitionError(
        f"entity '{source}' is not a local entity of {target}", SourceLocation(str(path))
    )


def _attribute(attribute: Json, ctx: MappingContext) -> list[FieldDraft]:
    """The field for one model.json attribute; `cdm:traits` may add length and Required."""
    source = attribute.get("name")
    if not isinstance(source, str) or not source:
        ctx.note(None, ReportCode.UNSUPPORTED_ATTRIBUTE, "an attribute without a name was skipped")
        return []
    if ctx.covered_by_system_field(source):
        return []
    traits = {**attribute, "appliedTraits": attribute.get("cdm:traits") or []}
    ctx.ignored_traits.update(unhandled_traits(traits))
    written = str(attribute.get("dataType", ""))
    field_type = MODEL_JSON_TYPES.get(written.lower())
    if field_type is None:
        ctx.note(
            source,
            ReportCode.UNKNOWN_TYPE,
            f"dataType {written!r} has no equivalent: mapped to Text",
        )
        field_type = FieldType.TEXT
    if field_type is FieldType.BIG_INTEGER:
        ctx.note(
            source,
            ReportCode.BIG_INTEGER,
            "dataType int64 mapped to Integer (BigInteger is reserved for RecordId); "
            "values beyond 32 bits will not fit",
        )
        field_type = FieldType.INTEGER
    fit = fit_length(field_type, max_length(traits))
    if fit.note is not None:
        ctx.note(source, ReportCode.LENGTH, fit.note)
    text = attribute.get("description")
    field = Field(
        name=field_name(source),
        type=fit.field_type,
        max_length=fit.max_length,
        description=text if isinstance(text, str) and text else None,
        required=is_required(traits),
    )
    return [FieldDraft(field, source)]


def _relationships(
    data: Json,
    drafts: dict[str, list[FieldDraft]],
    names: dict[str, str],
    lookups: Callable[[str], str | None],
    report: Report,
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Turn each SingleKeyRelationship into a Lookup; return the keys this adds to targets."""
    keys: dict[str, dict[str, tuple[str, ...]]] = {}
    for relationship in _objects(data.get("relationships")):
        ends = relationship.get("fromAttribute"), relationship.get("toAttribute")
        if relationship.get("$type") != "SingleKeyRelationship" or not all(
            isinstance(e, dict) for e in ends
        ):
            report.add(
                None,
                None,
                ReportCode.RELATIONSHIP,
                f"relationship of $type {relationship.get('$type')!r} skipped",
            )
            continue
        start, end = (_end(e) for e in ends)
        target = lookups(end[0])
        key = _link(start, end, target, drafts, names, report)
        if key is not None and target is not None and target in drafts:
            keys.setdefault(target, {})[key] = (key,)
    return keys


def _key_field(fields: list[FieldDraft], attribute: str) -> str | None:
    """The field of an imported target that a relationship points at, if it can be a key."""
    for draft in fields:
        if draft.source.lower() == attribute.lower() and not draft.field.is_compound:
            return draft.field.name if draft.field.type is not FieldType.LOOKUP else None
    return None


def _end(end: Any) -> tuple[str, str]:
    return str(end.get("entityName", "")), str(end.get("attributeName", ""))


def _link(
    start: tuple[str, str],
    end: tuple[str, str],
    target: str | None,
    drafts: dict[str, list[FieldDraft]],
    names: dict[str, str],
    report: Report,
) -> str | None:
    """Replace the from-attribute by a Lookup; the name of the target's key field, if any."""
    where = f"{start[0]}.{start[1]} -> {end[0]}.{end[1]}"
    entity = names.get(start[0].lower())
    fields = drafts.get(entity or "", [])
    index = next((i for i, d in enumerate(fields) if d.source.lower() == start[1].lower()), None)
    if entity is None or index is None:
        report.add(
            entity,
            start[1],
            ReportCode.RELATIONSHIP,
            f"relationship {where} not imported: its from-attribute does not exist",
        )
        return None
    draft = fields[index]
    if target is None:
        report.add(
            entity,
            start[1],
            ReportCode.LOOKUP_TARGET_MISSING,
            f"relationship {where}: entity {end[0]} is not part of the import, "
            f"so {draft.field.name} stays a {draft.field.type} field",
        )
        return None
    lookup = Field(
        name=draft.field.name,
        type=FieldType.LOOKUP,
        target=target,
        description=draft.field.description,
        required=draft.field.required,
    )
    fields[index] = FieldDraft(lookup, draft.source)
    key = _key_field(drafts.get(target, []), end[1])
    via = f"; its values are resolved through the key {target}.{key}" if key else ""
    report.add(
        entity,
        start[1],
        ReportCode.RELATIONSHIP,
        f"relationship {where} imported as Lookup {lookup.name} to {target}{via}",
    )
    return key
