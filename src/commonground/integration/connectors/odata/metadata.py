"""Discovery: a service's `$metadata` (CSDL XML) as the integrator's entities.

Each EntitySet is an entity named by the set. Its fields are the entity type's structural
properties (base types included) in the portable vocabulary (`KINDS`; enumerations travel as
member names, complex types as dicts), plus one LOOKUP per single-valued navigation property
that has a referential constraint: its value is the related record's key, read from the
constrained property (`_parent_value` on Dataverse-style services), which is then not listed
on its own. Keys are the declared key, then the alternate keys of the Dataverse-style
`OData.Community.Keys.V1.AlternateKeys` annotation. `Core.Computed` marks read-only
properties, `Nullable="false"` required ones (unless computed or with a computed default),
and `Capabilities.ChangeTracking` with Supported=true tells that delta links work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from commonground.integration.contracts import EntityInfo, FieldInfo, SchemaError, ValueKind

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
KINDS: dict[str, ValueKind] = {
    "Edm.String": ValueKind.TEXT,
    "Edm.Int16": ValueKind.INTEGER,
    "Edm.Int32": ValueKind.INTEGER,
    "Edm.Int64": ValueKind.INTEGER,
    "Edm.Byte": ValueKind.INTEGER,
    "Edm.SByte": ValueKind.INTEGER,
    "Edm.Decimal": ValueKind.DECIMAL,
    "Edm.Double": ValueKind.FLOAT,
    "Edm.Single": ValueKind.FLOAT,
    "Edm.Boolean": ValueKind.BOOLEAN,
    "Edm.Date": ValueKind.DATE,
    "Edm.DateTimeOffset": ValueKind.DATETIME,
    "Edm.Guid": ValueKind.GUID,
}
COMPUTED = ("Core.V1.Computed", "Core.Computed")
COMPUTED_DEFAULT = ("Core.V1.ComputedDefaultValue", "Core.ComputedDefaultValue")


@dataclass(frozen=True)
class Lookup:
    """A single-valued navigation property: its target set and the property holding the key."""

    name: str
    target: str  # entity set name
    value_property: str


@dataclass(frozen=True)
class EntitySet:
    """One entity set as the connector needs it: its entity, key, lookups, change tracking."""

    info: EntityInfo
    key: tuple[str, ...]  # the declared key of the entity type
    lookups: dict[str, Lookup] = field(default_factory=dict)  # by lower-case name
    kinds: dict[str, ValueKind] = field(default_factory=dict)  # by property name

    def lookup(self, name: str) -> Lookup | None:
        """A lookup by name, matched case-insensitively."""
        return self.lookups.get(name.lower())


def parse_metadata(xml: bytes) -> dict[str, EntitySet]:
    """Every entity set of a `$metadata` document, by lower-case name."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise SchemaError(f"$metadata is not CSDL XML ({exc})") from None
    schemas = list(root.iter(f"{EDM}Schema"))
    types: dict[str, ET.Element] = {}
    for schema in schemas:
        namespace, alias = schema.get("Namespace", ""), schema.get("Alias")
        for element in schema:
            if element.tag in (f"{EDM}EntityType", f"{EDM}ComplexType", f"{EDM}EnumType"):
                for prefix in filter(None, (namespace, alias)):
                    types[f"{prefix}.{element.get('Name')}"] = element
    entity_sets = [s for c in root.iter(f"{EDM}EntityContainer") for s in c.iter(f"{EDM}EntitySet")]
    sets: dict[str, ET.Element] = {}  # entity type -> its (first) entity set
    for entity_set in entity_sets:
        sets.setdefault(entity_set.get("EntityType", ""), entity_set)
    found: dict[str, EntitySet] = {}
    for entity_set in entity_sets:
        entity_type = types.get(entity_set.get("EntityType", ""))
        if entity_type is not None:
            parsed = _entity_set(entity_set, entity_type, types, sets)
            found[parsed.info.name.lower()] = parsed
    return found


def _entity_set(
    entity_set: ET.Element,
    entity_type: ET.Element,
    types: dict[str, ET.Element],
    sets: dict[str, ET.Element],
) -> EntitySet:
    chain = _type_chain(entity_type, types)
    key = tuple(ref.get("Name", "") for t in chain for k in t.findall(f"{EDM}Key") for ref in k)
    lookups = _lookups(chain, sets)
    hidden = {lookup.value_property for lookup in lookups.values()} - set(key)
    fields: list[FieldInfo] = []
    kinds: dict[str, ValueKind] = {}
    for prop in (p for t in chain for p in t.findall(f"{EDM}Property")):
        name = prop.get("Name", "")
        kinds[name] = _kind(prop.get("Type", ""), types)
        if name not in hidden:
            fields.append(_field(prop, kinds[name], key))
    fields += [
        FieldInfo(lookup.name, ValueKind.LOOKUP, targets=(lookup.target,))
        for lookup in lookups.values()
    ]
    info = EntityInfo(
        name=entity_set.get("Name", ""),
        fields=tuple(fields),
        keys=(key, *_alternate_keys(chain)),
        change_tracking=_tracks_changes(entity_set),
    )
    return EntitySet(info, key, lookups, kinds)


def _type_chain(entity_type: ET.Element, types: dict[str, ET.Element]) -> list[ET.Element]:
    """The entity type and its base types, base first."""
    chain = [entity_type]
    while (base := types.get(chain[0].get("BaseType", ""))) is not None and base not in chain:
        chain.insert(0, base)
    return chain


def _kind(type_name: str, types: dict[str, ET.Element]) -> ValueKind:
    if type_name in KINDS:
        return KINDS[type_name]
    declared = types.get(type_name)
    if declared is not None and declared.tag == f"{EDM}ComplexType":
        return ValueKind.STRUCTURED
    if type_name.startswith("Collection("):
        return ValueKind.STRUCTURED
    return ValueKind.TEXT  # enumerations (member names), durations, times of day


def _field(prop: ET.Element, kind: ValueKind, key: tuple[str, ...]) -> FieldInfo:
    terms = {
        a.get("Term", "") for a in prop.findall(f"{EDM}Annotation") if a.get("Bool") != "false"
    }
    computed = any(t.endswith(COMPUTED) for t in terms)
    defaulted = any(t.endswith(COMPUTED_DEFAULT) for t in terms) or prop.get("DefaultValue")
    length = prop.get("MaxLength", "")
    return FieldInfo(
        name=prop.get("Name", ""),
        kind=kind,
        max_length=int(length) if length.isdigit() else None,
        required=prop.get("Nullable") == "false" and not computed and not defaulted,
        read_only=computed,
    )


def _lookups(chain: list[ET.Element], sets: dict[str, ET.Element]) -> dict[str, Lookup]:
    found: dict[str, Lookup] = {}
    for nav in (n for t in chain for n in t.findall(f"{EDM}NavigationProperty")):
        type_name = nav.get("Type", "")
        constraint = nav.find(f"{EDM}ReferentialConstraint")
        target = sets.get(type_name)
        if type_name.startswith("Collection(") or constraint is None or target is None:
            continue
        name = nav.get("Name", "")
        found[name.lower()] = Lookup(name, target.get("Name", ""), constraint.get("Property", ""))
    return found


def _alternate_keys(chain: list[ET.Element]) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = []
    for annotation in (a for t in chain for a in t.findall(f"{EDM}Annotation")):
        if not annotation.get("Term", "").endswith("AlternateKeys"):
            continue
        for record in annotation.iter(f"{EDM}Record"):
            if record.get("Type", "").endswith("AlternateKey"):
                names = [
                    value.get("PropertyPath", "")
                    for value in record.iter(f"{EDM}PropertyValue")
                    if value.get("Property") == "Name"
                ]
                keys.append(tuple(names))
    return keys


def _tracks_changes(entity_set: ET.Element) -> bool:
    for annotation in entity_set.findall(f"{EDM}Annotation"):
        if annotation.get("Term", "").endswith("ChangeTracking"):
            for value in annotation.iter(f"{EDM}PropertyValue"):
                if value.get("Property") == "Supported":
                    return value.get("Bool", "true") == "true"
    return False
