"""The `$metadata` document: the data model as OData v4.0 CSDL XML.

Generated from the DataModel on every change, never stored, so it cannot drift from what the
service accepts. One schema, `CommonGround`, holds:

- an EnumType per picklist (all of the environment's picklists, used or not: a client may
  filter or write with any of them, and they cost nothing);
- a ComplexType per compound type a field uses (Address, Currency, PersonName);
- the bulk actions CreateMultiple and UpsertMultiple (`commonground.api.bulk`), bound to the
  collection of each entity type (one overload per type, as CSDL allows for bound actions),
  with their parameter `Targets` and the ComplexType each returns (`Ids`, `Outcomes`); the
  binding parameter is called `bindingParameter`, the name OData client libraries look for;
- an EntityType per entity, keyed by RecordId, with its structural properties (see
  `commonground.odata.edm`), a navigation property per lookup (with its referential
  constraint on `_<Lookup>_value`) and a collection navigation property per child collection;
  compositions cascade deletes from the header (`OnDelete Action="Cascade"` on the header's
  collection, which is where CSDL 4.0 puts the action taken when that entity is deleted);
  alternate keys in the `OData.Community.Keys.V1.AlternateKeys` form of the Dataverse Web API;
- the EntityContainer `CommonGround`, an EntitySet per entity with a binding per navigation
  property, advertising change tracking and VersionNumber-based optimistic concurrency.

Every list is sorted or in declaration order, so the same model always gives the same bytes
(clients and caches may compare documents).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, VERSION, Entity
from commonground.model.field import RelationshipKind
from commonground.model.picklist import Picklist
from commonground.model.types import FieldType
from commonground.odata.edm import (
    EdmProperty,
    complex_type_properties,
    complex_types_used,
    enum_underlying_type,
    member_property,
    navigation_targets,
    qualified,
    sorted_entities,
    sorted_picklists,
    structural_properties,
)
from commonground.odata.naming import NAMESPACE, child_collections, entity_set_name

EDMX_NS = "http://docs.oasis-open.org/odata/ns/edmx"
EDM_NS = "http://docs.oasis-open.org/odata/ns/edm"
CONTAINER = NAMESPACE

BULK_ACTIONS = ("CreateMultiple", "UpsertMultiple")  # the actions of commonground.api.bulk

CORE = "Org.OData.Core.V1"
CAPABILITIES = "Org.OData.Capabilities.V1"
KEYS = "OData.Community.Keys.V1"

# (Uri, Namespace, Alias) of the vocabularies whose terms the document uses. The Keys URI is
# the one the Dataverse Web API references (and OData client libraries recognise by suffix);
# Core and Capabilities point at the OASIS vocabularies, which hold every term used here.
VOCABULARIES: tuple[tuple[str, str, str], ...] = (
    (
        "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml",
        CORE,
        "Core",
    ),
    (
        "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml",
        CAPABILITIES,
        "Capabilities",
    ),
    ("http://vocabularies.odata.org/OData.Community.Keys.V1.xml", KEYS, "Keys"),
)


def csdl_xml(model: DataModel) -> str:
    """The `$metadata` document of a data model, as CSDL XML text (UTF-8 declared)."""
    body = ET.tostring(_document(model), encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def _document(model: DataModel) -> ET.Element:
    """The `edmx:Edmx` tree. Names carry their prefixes literally and the namespace
    declarations are plain attributes (edmx on the root, the default edm namespace on Schema,
    as the Dataverse Web API writes them), so no global ElementTree prefix registry is touched.
    """
    root = ET.Element("edmx:Edmx", {"Version": "4.0", "xmlns:edmx": EDMX_NS})
    for uri, namespace, alias in VOCABULARIES:
        reference = ET.SubElement(root, "edmx:Reference", Uri=uri)
        ET.SubElement(reference, "edmx:Include", Namespace=namespace, Alias=alias)
    services = ET.SubElement(root, "edmx:DataServices")
    services.append(_schema(model))
    return root


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    """A CSDL child element (default edm namespace); attributes keep the order given."""
    return ET.SubElement(parent, tag, attributes)


def _schema(model: DataModel) -> ET.Element:
    schema = ET.Element("Schema", {"Namespace": NAMESPACE, "xmlns": EDM_NS})
    for picklist in sorted_picklists(model):
        _enum_type(schema, picklist)
    for field_type in complex_types_used(model):
        _complex_type(schema, field_type)
    entities = sorted_entities(model)
    if entities:
        for action in BULK_ACTIONS:
            _action_response(schema, action)
    for entity in entities:
        _entity_type(schema, model, entity)
    for entity in entities:
        for action in BULK_ACTIONS:
            _bulk_action(schema, action, entity)
    container = _sub(schema, "EntityContainer", Name=CONTAINER)
    for entity in entities:
        _entity_set(container, model, entity)
    return schema


def _action_response(schema: ET.Element, action: str) -> None:
    """What a bulk action answers: each target's RecordId and outcome, in target order."""
    response = _sub(schema, "ComplexType", Name=f"{action}Response")
    _sub(response, "Property", Name="Ids", Type="Collection(Edm.Int64)", Nullable="false")
    _sub(response, "Property", Name="Outcomes", Type="Collection(Edm.String)")


def _bulk_action(schema: ET.Element, action: str, entity: Entity) -> None:
    """`POST <Set>/CommonGround.<action>` with `{"Targets": [...]}`, bound to the set."""
    element = _sub(schema, "Action", Name=action, IsBound="true")
    records = f"Collection({qualified(entity.name)})"
    _sub(element, "Parameter", Name="bindingParameter", Type=records, Nullable="false")
    _sub(element, "Parameter", Name="Targets", Type=records, Nullable="false")
    _sub(element, "ReturnType", Type=qualified(f"{action}Response"), Nullable="false")


def _enum_type(schema: ET.Element, picklist: Picklist) -> None:
    enum = _sub(
        schema, "EnumType", Name=picklist.name, UnderlyingType=enum_underlying_type(picklist)
    )
    for item in picklist.items:
        _sub(enum, "Member", Name=item.name, Value=str(item.value))


def _complex_type(schema: ET.Element, field_type: FieldType) -> None:
    complex_type = _sub(schema, "ComplexType", Name=field_type.value)
    for prop in complex_type_properties(field_type):
        _property(complex_type, prop)


def _property(parent: ET.Element, prop: EdmProperty) -> None:
    """A Property with its facets and, for service-assigned values, a Core annotation."""
    attributes = {"Name": prop.name, "Type": prop.type}
    if not prop.nullable:
        attributes["Nullable"] = "false"
    if prop.max_length is not None:
        attributes["MaxLength"] = str(prop.max_length)
    if prop.precision is not None:
        attributes["Precision"] = str(prop.precision)
    if prop.scale is not None:
        attributes["Scale"] = str(prop.scale)
    if prop.default is not None:
        attributes["DefaultValue"] = prop.default
    element = _sub(parent, "Property", **attributes)
    if prop.computed:
        _sub(element, "Annotation", Term=f"{CORE}.Computed", Bool="true")
    if prop.computed_default:
        _sub(element, "Annotation", Term=f"{CORE}.ComputedDefaultValue", Bool="true")


def _entity_type(schema: ET.Element, model: DataModel, entity: Entity) -> None:
    entity_type = _sub(schema, "EntityType", Name=entity.name)
    key = _sub(entity_type, "Key")
    _sub(key, "PropertyRef", Name=RECORD_ID)
    for prop in structural_properties(entity):
        _property(entity_type, prop)
    for lookup in entity.lookups:
        assert lookup.target is not None
        target = model.entity(lookup.target)
        attributes = {"Name": lookup.name, "Type": qualified(target.name)}
        if lookup.required:
            attributes["Nullable"] = "false"
        partner = _partner_collection(model, target, entity, lookup.name)
        if partner is not None:
            attributes["Partner"] = partner
        navigation = _sub(entity_type, "NavigationProperty", **attributes)
        _sub(
            navigation,
            "ReferentialConstraint",
            Property=member_property(entity, lookup.name),
            ReferencedProperty=RECORD_ID,
        )
    for collection in child_collections(model, entity):
        relationship = collection.relationship
        attributes = {
            "Name": collection.name,
            "Type": f"Collection({qualified(relationship.child)})",
            "Partner": relationship.field,
        }
        composition = relationship.kind is RelationshipKind.COMPOSITION
        if composition:
            attributes["ContainsTarget"] = "false"
        navigation = _sub(entity_type, "NavigationProperty", **attributes)
        if composition:
            _sub(navigation, "OnDelete", Action="Cascade")
    if entity.keys:
        _alternate_keys(entity_type, entity)


def _partner_collection(model: DataModel, target: Entity, child: Entity, lookup: str) -> str | None:
    """The collection on the lookup's target that lists this entity's records through it."""
    for collection in child_collections(model, target):
        relationship = collection.relationship
        if relationship.child == child.name and relationship.field == lookup:
            return collection.name
    return None


def _alternate_keys(entity_type: ET.Element, entity: Entity) -> None:
    """The alternate keys, in declaration order, as the Dataverse Web API annotates them."""
    annotation = _sub(entity_type, "Annotation", Term=f"{KEYS}.AlternateKeys")
    keys = _sub(annotation, "Collection")
    for members in entity.keys.values():
        record = _sub(keys, "Record", Type=f"{KEYS}.AlternateKey")
        value = _sub(record, "PropertyValue", Property="Key")
        refs = _sub(value, "Collection")
        for member in members:
            name = member_property(entity, member)
            ref = _sub(refs, "Record", Type=f"{KEYS}.PropertyRef")
            _sub(ref, "PropertyValue", Property="Alias", String=name)
            _sub(ref, "PropertyValue", Property="Name", PropertyPath=name)


def _entity_set(container: ET.Element, model: DataModel, entity: Entity) -> None:
    entity_set = _sub(
        container,
        "EntitySet",
        Name=entity_set_name(entity.name),
        EntityType=qualified(entity.name),
    )
    for path, target in navigation_targets(model, entity):
        _sub(entity_set, "NavigationPropertyBinding", Path=path, Target=entity_set_name(target))
    tracking = _sub(entity_set, "Annotation", Term=f"{CAPABILITIES}.ChangeTracking")
    record = _sub(tracking, "Record")
    _sub(record, "PropertyValue", Property="Supported", Bool="true")
    concurrency = _sub(entity_set, "Annotation", Term=f"{CORE}.OptimisticConcurrency")
    paths = _sub(concurrency, "Collection")
    _sub(paths, "PropertyPath").text = VERSION
