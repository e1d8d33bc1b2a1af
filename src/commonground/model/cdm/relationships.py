"""CDM entity attributes (relationships) to lookups, id columns and Address fields.

An entity attribute references another entity (cds-model.md 18.5). Three shapes occur:

- a plain reference (`primaryContact` -> Contact): a Lookup named after the attribute
  (`PrimaryContact`), our naming rule for lookups; when the target is not part of the import
  (nor already in the environment) the id is kept as a Guid field and reported;
- a polymorphic reference (`selectsSubAttribute: one`, Customer = Account | Contact): our
  lookups have one target, so the id is kept as a Guid plus a Text column naming the type;
- an expansion (`cardinality: many` with `expansion` and `renameFormat`, the address1*/address2*
  families of Account): mapped to our Address compound, one field per ordinal.
"""

from __future__ import annotations

from typing import Any

from commonground.model.cdm.context import FieldDraft, MappingContext
from commonground.model.cdm.corpus import Document
from commonground.model.cdm.names import field_name
from commonground.model.cdm.report import ReportCode
from commonground.model.cdm.traits import Json, description, display_name, is_required
from commonground.model.field import Field
from commonground.model.types import ADDRESS_PARTS, FieldType

# CDM address member -> the part of our Address compound that holds it.
ADDRESS_MEMBERS = {
    "line1": "Line1",
    "line2": "Line2",
    "city": "City",
    "stateorprovince": "StateOrProvince",
    "postalcode": "PostalCode",
    "country": "CountryRegion",
}
MAX_EXPANSION = 10


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int) -> int:
    """An integer from JSON (CDM writes numbers as strings too), or the default."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _target(entity: Any) -> str | None:
    """The referenced entity's name, from `Name`, `moniker/Name` or a path ending in `/Name`."""
    reference = _dict(entity).get("entityReference", entity)
    if isinstance(reference, dict):
        reference = reference.get("entityName")
    return reference.rpartition("/")[2] if isinstance(reference, str) else None


def _options(entity: Any) -> list[str]:
    """The option targets of an inline polymorphic entity (`accountOption` -> Account, ...)."""
    reference = _dict(_dict(entity).get("entityReference"))
    members = reference.get("hasAttributes")
    targets = (
        [_target(m.get("entity")) for m in members if isinstance(m, dict)]
        if isinstance(members, list)
        else []
    )
    return [t for t in targets if t]


def _render(form: str, attribute: str, member: str, ordinal: int | None) -> str:
    """Apply a CDM renameFormat: {a}/{A} attribute, {m}/{M} member, {o} ordinal."""
    capital = attribute[:1].upper() + attribute[1:]
    text = form.replace("{a}", attribute).replace("{A}", capital)
    text = text.replace("{m}", member).replace("{M}", member[:1].upper() + member[1:])
    return text.replace("{o}", "" if ordinal is None else str(ordinal))


def map_entity_attribute(
    attribute: Json, document: Document | None, ctx: MappingContext
) -> list[FieldDraft]:
    """The fields for one entity attribute (see the module docstring for the three shapes)."""
    source = str(attribute["name"])
    if ctx.covered_by_system_field(source):
        return []
    guidance = _dict(attribute.get("resolutionGuidance"))
    entity = attribute.get("entity")
    if guidance.get("cardinality") == "many" or "expansion" in guidance:
        return _expansion(attribute, guidance, document, ctx)
    options = _options(entity)
    selects = _dict(guidance.get("selectsSubAttribute")).get("selects")
    if selects == "one" or len(options) > 1:
        return _polymorphic(attribute, guidance, options, ctx)
    return [_lookup(attribute, guidance, _target(entity), ctx)]


def _key_attribute(attribute: Json, guidance: Json) -> Json:
    """The foreign-key attribute (label, Required), falling back to the entity attribute."""
    key = _dict(_dict(guidance.get("entityByReference")).get("foreignKeyAttribute"))
    return key or attribute


def _lookup(attribute: Json, guidance: Json, target: str | None, ctx: MappingContext) -> FieldDraft:
    """A Lookup named after the attribute; a Guid (reported) when the target is not available."""
    source = str(attribute["name"])
    key = _key_attribute(attribute, guidance)
    common: dict[str, Any] = {
        "name": field_name(source),
        "display_name": display_name(key) or display_name(attribute),
        "description": description(key) or description(attribute),
        "required": is_required(key),
    }
    ours = ctx.lookup_target(target) if target else None
    if ours is not None:
        return FieldDraft(Field(type=FieldType.LOOKUP, target=ours, **common), source)
    ctx.note(
        source,
        ReportCode.LOOKUP_TARGET_MISSING,
        f"lookup to {target or 'an unnamed entity'}, which is not part of the import: "
        f"kept as Guid field {common['name']} holding the referenced id",
    )
    return FieldDraft(Field(type=FieldType.GUID, **common), source)


def _polymorphic(
    attribute: Json, guidance: Json, options: list[str], ctx: MappingContext
) -> list[FieldDraft]:
    """The id (named as CDM resolves it: `customer` + `id` -> CustomerId) and the type column."""
    source = str(attribute["name"])
    key = _key_attribute(attribute, guidance)
    key_name = str(key.get("name") or "id") if key is not attribute else "id"
    if key_name.lower().startswith(source.lower()):
        id_name = field_name(key_name)  # already a full name, as in older documents
    else:
        id_name = field_name(_render("{a}{M}", source, key_name, None))
    chooser = _dict(_dict(guidance.get("selectsSubAttribute")).get("selectedTypeAttribute"))
    type_name = field_name(str(chooser.get("name") or id_name + "Type"))
    id_field = Field(
        name=id_name,
        type=FieldType.GUID,
        display_name=display_name(key) or display_name(attribute),
        description=description(key) or description(attribute),
        required=is_required(key),
    )
    type_field = Field(
        name=type_name,
        type=FieldType.TEXT,
        max_length=64,
        display_name=display_name(chooser),
        description=description(chooser),
        required=is_required(chooser) if chooser else False,
    )
    ctx.note(
        source,
        ReportCode.POLYMORPHIC,
        f"polymorphic lookup to {' | '.join(options) or 'several entities'}: our lookups have one "
        f"target, so it is kept as Guid {id_name} plus Text {type_name} naming the entity",
    )
    return [FieldDraft(id_field, source), FieldDraft(type_field, source)]


def _expansion(
    attribute: Json, guidance: Json, document: Document | None, ctx: MappingContext
) -> list[FieldDraft]:
    """Address1, Address2, ... for an address expansion; anything else is reported and skipped."""
    source = str(attribute["name"])
    target = _target(attribute.get("entity")) or ""
    members = ctx.members_of(document, target) if ctx.members_of and document else None
    known = [m for m in members or [] if m.lower() in ADDRESS_MEMBERS]
    if "address" not in target.lower() and len(known) < 2:
        ctx.note(
            source,
            ReportCode.UNSUPPORTED_ATTRIBUTE,
            f"repeating group of {target or 'an inline entity'} (cardinality many) not imported: "
            "our entities hold no repeating groups",
        )
        return []
    expansion = _dict(guidance.get("expansion"))
    start = _int(expansion.get("startingOrdinal"), 1)
    count = max(1, min(_int(expansion.get("maximumExpansion"), 1), MAX_EXPANSION))
    form = str(guidance.get("renameFormat") or "{a}{o}{M}")
    if "{o}" not in form:
        form += "{o}"
    label = display_name(attribute) or source[:1].upper() + source[1:]
    drafts = [
        FieldDraft(
            Field(
                name=field_name(_render(form, source, "", o)),
                type=FieldType.ADDRESS,
                display_name=f"{label} {o}",
            ),
            source,
        )
        for o in range(start, start + count)
    ]
    ctx.note(source, ReportCode.ADDRESS, _address_message(drafts, target, members, known))
    return drafts


def _address_message(
    drafts: list[FieldDraft], target: str, members: list[str] | None, known: list[str]
) -> str:
    names = ", ".join(d.field.name for d in drafts)
    parts = ", ".join(p.name for p in ADDRESS_PARTS)
    text = f"expansion of {target} mapped to Address fields {names} (parts {parts})"
    if members is None:
        return text + f"; the definition of {target} was not found, so its members were not checked"
    kept = ", ".join(f"{m}->{ADDRESS_MEMBERS[m.lower()]}" for m in known) or "none"
    dropped = ", ".join(m for m in members if m.lower() not in ADDRESS_MEMBERS) or "none"
    return text + f"; kept {kept}; not kept: {dropped}"
