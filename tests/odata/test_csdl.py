"""The $metadata document: parsed back and checked against the model and CSDL 4.0's rules."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest

from commonground.model import DataModel
from commonground.model.entity import SYSTEM_FIELD_NAMES
from commonground.odata.csdl import CAPABILITIES, CORE, EDM_NS, EDMX_NS, KEYS, csdl_xml
from commonground.odata.naming import child_collections, entity_set_name
from tests.odata.metadata_models import custom_model, minimal_model, standard

NS = {"edmx": EDMX_NS, "edm": EDM_NS}
PRIMITIVES = {
    "Edm.String",
    "Edm.Decimal",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.Boolean",
    "Edm.Date",
    "Edm.DateTimeOffset",
    "Edm.Guid",
}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def parse(model: DataModel) -> ET.Element:
    return ET.fromstring(csdl_xml(model).encode("utf-8"))


def schema_of(root: ET.Element) -> ET.Element:
    schemas = root.findall("edmx:DataServices/edm:Schema", NS)
    assert len(schemas) == 1
    return schemas[0]


def entity_type(root: ET.Element, name: str) -> ET.Element:
    found = schema_of(root).find(f"edm:EntityType[@Name='{name}']", NS)
    assert found is not None, name
    return found


def properties(element: ET.Element) -> dict[str, dict[str, str]]:
    return {p.get("Name", ""): dict(p.attrib) for p in element.findall("edm:Property", NS)}


def navigation(element: ET.Element) -> dict[str, ET.Element]:
    return {p.get("Name", ""): p for p in element.findall("edm:NavigationProperty", NS)}


def terms(element: ET.Element) -> set[str]:
    return {a.get("Term", "") for a in element.findall("edm:Annotation", NS)}


@pytest.fixture(scope="module")
def root() -> ET.Element:
    return parse(standard())


# -- document -------------------------------------------------------------------------------


def test_document_is_an_edmx_4_0_with_the_vocabulary_references(root: ET.Element) -> None:
    assert root.tag == f"{{{EDMX_NS}}}Edmx"
    assert root.get("Version") == "4.0"
    included = {
        include.get("Namespace"): reference.get("Uri", "")
        for reference in root.findall("edmx:Reference", NS)
        for include in reference.findall("edmx:Include", NS)
    }
    assert set(included) == {CORE, CAPABILITIES, KEYS}
    assert all(uri.endswith(f"/{namespace}.xml") for namespace, uri in included.items())
    schema = schema_of(root)
    assert schema.get("Namespace") == "CommonGround"
    container = schema.findall("edm:EntityContainer", NS)
    assert [c.get("Name") for c in container] == ["CommonGround"]


def test_output_is_deterministic() -> None:
    assert csdl_xml(standard()) == csdl_xml(standard())
    assert csdl_xml(custom_model()) == csdl_xml(custom_model(reverse=True))


# -- entity types ---------------------------------------------------------------------------


def test_every_entity_has_an_entity_type_keyed_by_record_id(root: ET.Element) -> None:
    names = [e.get("Name", "") for e in schema_of(root).findall("edm:EntityType", NS)]
    assert sorted(names) == sorted(e.name for e in standard().entities)
    for name in names:
        element = entity_type(root, name)
        assert element[0].tag == f"{{{EDM_NS}}}Key", "Key comes first"
        refs = element.findall("edm:Key/edm:PropertyRef", NS)
        assert [r.get("Name") for r in refs] == ["RecordId"]
        record_id = properties(element)["RecordId"]
        assert record_id["Type"] == "Edm.Int64"
        assert record_id["Nullable"] == "false"


def test_system_fields_are_computed(root: ET.Element) -> None:
    account = entity_type(root, "Account")
    props = {p.get("Name"): p for p in account.findall("edm:Property", NS)}
    for name in SYSTEM_FIELD_NAMES:
        assert f"{CORE}.Computed" in terms(props[name]), name
    assert props["CreatedOnDateTime"].get("Type") == "Edm.DateTimeOffset"
    assert props["VersionNumber"].get("Type") == "Edm.Int64"
    assert props["CreatedByUser"].get("Type") == "Edm.String"
    assert f"{CORE}.Computed" not in terms(props["FullName"])
    assert f"{CORE}.ComputedDefaultValue" in terms(props["AccountId"])


def test_account_properties_have_their_types_and_facets(root: ET.Element) -> None:
    props = properties(entity_type(root, "Account"))
    assert props["FullName"] == {"Name": "FullName", "Type": "Edm.String", "MaxLength": "128"}
    assert props["AccountId"]["MaxLength"] == "64"
    assert props["EmailPrimary"]["MaxLength"] == "256"
    assert props["Image"]["MaxLength"] == "2048"
    assert props["Status"] == {
        "Name": "Status",
        "Type": "CommonGround.AccountStatus",
        "Nullable": "false",
    }
    assert props["IsEmailContactAllowed"]["Type"] == "Edm.Boolean"
    assert props["IsEmailContactAllowed"]["Nullable"] == "false"
    assert props["EmployeeCount"]["Type"] == "Edm.Int32"
    assert props["Birthdate"]["Type"] == "Edm.Date"
    assert props["MailingPostalAddress"]["Type"] == "CommonGround.Address"
    assert props["PersonName"]["Type"] == "CommonGround.PersonName"
    assert props["CreditLimitAmount"]["Type"] == "CommonGround.Currency"
    assert props["_ParentAccount_value"] == {"Name": "_ParentAccount_value", "Type": "Edm.Int64"}
    assert "ParentAccount" not in props, "a lookup's name is its navigation property"


def test_decimals_have_precision_32_and_the_field_scale(root: ET.Element) -> None:
    quantity = properties(entity_type(root, "SalesOrderLine"))["Quantity"]
    assert quantity["Type"] == "Edm.Decimal"
    assert (quantity["Precision"], quantity["Scale"]) == ("32", "6")


def test_lookup_navigation_property_with_referential_constraint(root: ET.Element) -> None:
    nav = navigation(entity_type(root, "Account"))
    parent = nav["ParentAccount"]
    assert parent.get("Type") == "CommonGround.Account"
    assert parent.get("Nullable") is None
    assert parent.get("Partner") == "Accounts"
    constraints = parent.findall("edm:ReferentialConstraint", NS)
    assert [(c.get("Property"), c.get("ReferencedProperty")) for c in constraints] == [
        ("_ParentAccount_value", "RecordId")
    ]
    children = nav["Accounts"]
    assert children.get("Type") == "Collection(CommonGround.Account)"
    assert children.get("Partner") == "ParentAccount"
    assert children.find("edm:OnDelete", NS) is None


def test_sales_order_lines_are_a_cascading_composition(root: ET.Element) -> None:
    order = navigation(entity_type(root, "SalesOrder"))
    lines = order["SalesOrderLines"]
    assert lines.get("Type") == "Collection(CommonGround.SalesOrderLine)"
    assert lines.get("Partner") == "SalesOrder"
    assert lines.get("ContainsTarget") == "false"
    on_delete = lines.findall("edm:OnDelete", NS)
    assert [d.get("Action") for d in on_delete] == ["Cascade"]
    invoices = order["SalesInvoices"]  # an association: no cascade
    assert invoices.get("ContainsTarget") is None
    assert invoices.find("edm:OnDelete", NS) is None

    line = entity_type(root, "SalesOrderLine")
    header = navigation(line)["SalesOrder"]
    assert header.get("Type") == "CommonGround.SalesOrder"
    assert header.get("Nullable") == "false"
    assert header.get("Partner") == "SalesOrderLines"
    assert properties(line)["_SalesOrder_value"]["Nullable"] == "false"


def alternate_keys(element: ET.Element) -> list[list[tuple[str, str]]]:
    annotation = element.find(f"edm:Annotation[@Term='{KEYS}.AlternateKeys']", NS)
    if annotation is None:
        return []
    out = []
    for key in annotation.findall("edm:Collection/edm:Record", NS):
        assert key.get("Type") == f"{KEYS}.AlternateKey"
        members = []
        path = "edm:PropertyValue[@Property='Key']/edm:Collection/edm:Record"
        for ref in key.findall(path, NS):
            assert ref.get("Type") == f"{KEYS}.PropertyRef"
            alias = ref.find("edm:PropertyValue[@Property='Alias']", NS)
            name = ref.find("edm:PropertyValue[@Property='Name']", NS)
            assert alias is not None
            assert name is not None
            members.append((alias.get("String", ""), name.get("PropertyPath", "")))
        out.append(members)
    return out


def test_alternate_keys_annotation(root: ET.Element) -> None:
    assert alternate_keys(entity_type(root, "Account")) == [[("AccountId", "AccountId")]]
    assert alternate_keys(entity_type(root, "SalesOrderLine")) == [
        [("_SalesOrder_value", "_SalesOrder_value"), ("Sequence", "Sequence")]
    ]
    custom = parse(custom_model())
    assert alternate_keys(entity_type(custom, "Gadget")) == [
        [("Code", "Code")],
        [("_Bin_value", "_Bin_value"), ("Label", "Label")],
    ]
    assert alternate_keys(entity_type(custom, "Crate")) == []


# -- enum and complex types -----------------------------------------------------------------


def test_every_picklist_is_an_enum_type_with_its_members(root: ET.Element) -> None:
    enums = {e.get("Name"): e for e in schema_of(root).findall("edm:EnumType", NS)}
    assert set(enums) == {p.name for p in standard().picklists}
    status = enums["AccountStatus"]
    assert status.get("UnderlyingType") == "Edm.Int32"
    members = [(m.get("Name"), m.get("Value")) for m in status.findall("edm:Member", NS)]
    assert members == [("Active", "0"), ("Inactive", "1")]
    for picklist in standard().picklists:
        listed = [
            (m.get("Name"), int(m.get("Value", "")))
            for m in enums[picklist.name].findall("edm:Member", NS)
        ]
        assert listed == [(i.name, i.value) for i in picklist.items]


def test_unused_picklists_are_declared_and_big_values_get_int64() -> None:
    schema = schema_of(parse(custom_model()))
    enums = {e.get("Name"): e for e in schema.findall("edm:EnumType", NS)}
    assert set(enums) == {"Color", "CurrencyCode", "Unused"}
    assert enums["Unused"].get("UnderlyingType") == "Edm.Int64"


def test_complex_types_are_defined_once_from_their_parts(root: ET.Element) -> None:
    complex_types = schema_of(root).findall("edm:ComplexType", NS)
    assert [c.get("Name") for c in complex_types] == [
        "Address",
        "Currency",
        "PersonName",
        "CreateMultipleResponse",
        "UpsertMultipleResponse",
    ]
    by_name = {c.get("Name"): properties(c) for c in complex_types}
    address = by_name["Address"]
    assert list(address) == [
        "Line1",
        "Line2",
        "City",
        "StateOrProvince",
        "PostalCode",
        "CountryRegion",
    ]
    assert address["PostalCode"] == {"Name": "PostalCode", "Type": "Edm.String", "MaxLength": "32"}
    assert list(by_name["PersonName"]) == ["GivenName", "MiddleName", "FamilyName"]
    currency = by_name["Currency"]
    assert currency["Amount"] == {
        "Name": "Amount",
        "Type": "Edm.Decimal",
        "Precision": "32",
        "Scale": "6",
    }
    assert currency["CurrencyCode"] == {
        "Name": "CurrencyCode",
        "Type": "CommonGround.CurrencyCode",
    }


def test_only_used_complex_types_are_declared() -> None:
    schema = schema_of(parse(minimal_model()))
    responses = ["CreateMultipleResponse", "UpsertMultipleResponse"]
    assert [c.get("Name") for c in schema.findall("edm:ComplexType", NS)] == responses
    assert schema.findall("edm:EnumType", NS) == []


# -- container ------------------------------------------------------------------------------


def test_entity_sets_bind_every_navigation_property(root: ET.Element) -> None:
    schema = schema_of(root)
    sets = schema.findall("edm:EntityContainer/edm:EntitySet", NS)
    assert [s.get("Name") for s in sets] == [
        entity_set_name(e.name) for e in sorted(standard().entities, key=lambda e: e.name)
    ]
    for entity_set in sets:
        type_name = entity_set.get("EntityType", "").removeprefix("CommonGround.")
        nav = navigation(entity_type(root, type_name))
        bindings = {
            b.get("Path"): b.get("Target")
            for b in entity_set.findall("edm:NavigationPropertyBinding", NS)
        }
        assert set(bindings) == set(nav)
    orders = schema.find("edm:EntityContainer/edm:EntitySet[@Name='SalesOrders']", NS)
    assert orders is not None
    binding = orders.find("edm:NavigationPropertyBinding[@Path='SalesOrderLines']", NS)
    assert binding is not None
    assert binding.get("Target") == "SalesOrderLines"


def test_every_entity_set_supports_change_tracking_and_etags(root: ET.Element) -> None:
    for entity_set in schema_of(root).findall("edm:EntityContainer/edm:EntitySet", NS):
        tracking = entity_set.find(f"edm:Annotation[@Term='{CAPABILITIES}.ChangeTracking']", NS)
        assert tracking is not None
        supported = tracking.find("edm:Record/edm:PropertyValue[@Property='Supported']", NS)
        assert supported is not None
        assert supported.get("Bool") == "true"
        path = (
            f"edm:Annotation[@Term='{CORE}.OptimisticConcurrency']/edm:Collection/edm:PropertyPath"
        )
        assert [p.text for p in entity_set.findall(path, NS)] == ["VersionNumber"]


# -- custom entity with every field type ----------------------------------------------------

EXPECTED_CUSTOM = {
    "Label": {"Type": "Edm.String", "MaxLength": "40", "Nullable": "false"},
    "Notes": {"Type": "Edm.String", "MaxLength": "2048"},
    "Weight": {"Type": "Edm.Decimal", "Precision": "32", "Scale": "2"},
    "Count": {"Type": "Edm.Int32", "DefaultValue": "3"},
    "Active": {"Type": "Edm.Boolean", "DefaultValue": "true"},
    "Price": {"Type": "CommonGround.Currency"},
    "Born": {"Type": "Edm.Date"},
    "Seen": {"Type": "Edm.DateTimeOffset"},
    "Mail": {"Type": "Edm.String", "MaxLength": "256"},
    "Phone": {"Type": "Edm.String", "MaxLength": "64"},
    "Site": {"Type": "Edm.String", "MaxLength": "2048"},
    "Token": {"Type": "Edm.Guid"},
    "_Bin_value": {"Type": "Edm.Int64", "Nullable": "false"},
    "Color": {"Type": "CommonGround.Color", "DefaultValue": "Red"},
    "Amount": {"Type": "Edm.Decimal", "Precision": "32", "Scale": "6"},
    "Code": {"Type": "Edm.String", "MaxLength": "64", "Nullable": "false"},
    "Place": {"Type": "CommonGround.Address"},
    "Owner": {"Type": "CommonGround.PersonName", "Nullable": "false"},
    "Picture": {"Type": "Edm.String", "MaxLength": "2048"},
}


@pytest.mark.parametrize("name", list(EXPECTED_CUSTOM))
def test_custom_entity_field_of_every_type(name: str) -> None:
    props = properties(entity_type(parse(custom_model()), "Gadget"))
    assert props[name] == {"Name": name, **EXPECTED_CUSTOM[name]}


def test_custom_entity_property_order_and_navigation() -> None:
    root = parse(custom_model())
    gadget = entity_type(root, "Gadget")
    assert list(properties(gadget)) == [
        "RecordId",
        "CreatedByUser",
        "CreatedOnDateTime",
        "LastModifiedByUser",
        "LastModifiedDateTime",
        "VersionNumber",
        *EXPECTED_CUSTOM,
    ]
    assert navigation(gadget)["Bin"].get("Partner") == "Gadgets"
    gadgets = navigation(entity_type(root, "Bin"))["Gadgets"]
    assert gadgets.get("ContainsTarget") == "false"
    assert gadgets.find("edm:OnDelete", NS) is not None


# -- structural validity --------------------------------------------------------------------

# Children and attributes CSDL 4.0 allows for each element used (from the CSDL XML schema).
ALLOWED: dict[str, tuple[set[str], set[str], set[str]]] = {
    # element: (allowed children, required attributes, optional attributes)
    "Schema": (
        {"EnumType", "ComplexType", "EntityType", "Action", "EntityContainer", "Annotation"},
        {"Namespace"},
        {"Alias"},
    ),
    "EnumType": ({"Member", "Annotation"}, {"Name"}, {"UnderlyingType", "IsFlags"}),
    "Member": ({"Annotation"}, {"Name"}, {"Value"}),
    "ComplexType": ({"Property", "NavigationProperty", "Annotation"}, {"Name"}, set()),
    "EntityType": ({"Key", "Property", "NavigationProperty", "Annotation"}, {"Name"}, set()),
    "Action": ({"Parameter", "ReturnType", "Annotation"}, {"Name"}, {"IsBound", "EntitySetPath"}),
    "Parameter": (
        {"Annotation"},
        {"Name", "Type"},
        {"Nullable", "MaxLength", "Precision", "Scale"},
    ),
    "ReturnType": ({"Annotation"}, {"Type"}, {"Nullable", "MaxLength", "Precision", "Scale"}),
    "Key": ({"PropertyRef"}, set(), set()),
    "PropertyRef": (set(), {"Name"}, {"Alias"}),
    "Property": (
        {"Annotation"},
        {"Name", "Type"},
        {"Nullable", "MaxLength", "Precision", "Scale", "DefaultValue"},
    ),
    "NavigationProperty": (
        {"ReferentialConstraint", "OnDelete", "Annotation"},
        {"Name", "Type"},
        {"Nullable", "Partner", "ContainsTarget"},
    ),
    "ReferentialConstraint": ({"Annotation"}, {"Property", "ReferencedProperty"}, set()),
    "OnDelete": ({"Annotation"}, {"Action"}, set()),
    "EntityContainer": ({"EntitySet", "Annotation"}, {"Name"}, set()),
    "EntitySet": (
        {"NavigationPropertyBinding", "Annotation"},
        {"Name", "EntityType"},
        set(),
    ),
    "NavigationPropertyBinding": (set(), {"Path", "Target"}, set()),
    "Annotation": ({"Record", "Collection"}, {"Term"}, {"Bool", "String"}),
    "Record": ({"PropertyValue"}, set(), {"Type"}),
    "PropertyValue": (
        {"Collection", "Record"},
        {"Property"},
        {"Bool", "String", "PropertyPath"},
    ),
    "Collection": ({"Record", "PropertyPath"}, set(), set()),
    "PropertyPath": (set(), set(), set()),
}


def local(tag: str) -> str:
    assert tag.startswith(f"{{{EDM_NS}}}"), tag
    return tag.split("}", 1)[1]


@pytest.mark.parametrize("make", [standard, custom_model, minimal_model])
def test_elements_follow_the_csdl_structure(make: object) -> None:
    assert callable(make)
    schema = schema_of(parse(make()))
    for element in schema.iter():
        name = local(element.tag)
        children, required, optional = ALLOWED[name]
        assert {local(c.tag) for c in element} <= children, name
        assert required <= set(element.attrib), name
        assert set(element.attrib) <= required | optional, (name, element.attrib)
        for attribute in ("Name", "Partner", "Path", "Target"):
            if attribute in element.attrib and name not in ("PropertyRef",):
                assert IDENTIFIER.match(element.attrib[attribute]), element.attrib


@pytest.mark.parametrize("make", [standard, custom_model])
def test_every_reference_resolves(make: object) -> None:
    assert callable(make)
    root = parse(make())
    schema = schema_of(root)
    kinds = {
        f"CommonGround.{e.get('Name')}": local(e.tag)
        for e in schema
        if local(e.tag) in ("EnumType", "ComplexType", "EntityType")
    }
    types = [e for e in schema if local(e.tag) in ("EnumType", "ComplexType", "EntityType")]
    assert len(kinds) == len(types), "schema element names are unique"
    structural = {}
    navigations = {}
    elements = {}
    for element in schema.findall("edm:EntityType", NS):
        qualified_name = f"CommonGround.{element.get('Name')}"
        elements[qualified_name] = element
        structural[qualified_name] = properties(element)
        navigations[qualified_name] = navigation(element)
        names = [p.get("Name") for p in element if local(p.tag).endswith("Property")]
        assert len(names) == len(set(names)), "property names are unique in a type"
    for element in schema.iter(f"{{{EDM_NS}}}Property"):
        type_ = element.get("Type", "").removeprefix("Collection(").removesuffix(")")
        assert type_ in PRIMITIVES or kinds.get(type_) in ("EnumType", "ComplexType"), type_
    for owner, navs in navigations.items():
        for name, nav in navs.items():
            type_ = nav.get("Type", "")
            target = type_.removeprefix("Collection(").removesuffix(")")
            assert kinds[target] == "EntityType"
            partner = navigations[target][nav.get("Partner", "")]
            assert partner.get("Partner") == name
            assert partner.get("Type", "").removeprefix("Collection(").removesuffix(")") == owner
            for constraint in nav.findall("edm:ReferentialConstraint", NS):
                assert constraint.get("Property") in structural[owner]
                assert constraint.get("ReferencedProperty") in structural[target]
        for keys in alternate_keys(elements[owner]):
            assert all(path in structural[owner] for _, path in keys)
    sets = {s.get("Name"): s for s in schema.iter(f"{{{EDM_NS}}}EntitySet")}
    for entity_set in sets.values():
        owner = entity_set.get("EntityType", "")
        assert kinds[owner] == "EntityType"
        for binding in entity_set.findall("edm:NavigationPropertyBinding", NS):
            target_set = sets[binding.get("Target")]
            nav_type = navigations[owner][binding.get("Path", "")].get("Type", "")
            assert target_set.get("EntityType") == nav_type.removeprefix(
                "Collection("
            ).removesuffix(")")
    referenced = {i.get("Namespace") for i in root.iter(f"{{{EDMX_NS}}}Include")}
    for annotation in schema.iter(f"{{{EDM_NS}}}Annotation"):
        assert annotation.get("Term", "").rsplit(".", 1)[0] in referenced


def test_collections_match_naming_child_collections() -> None:
    model = standard()
    root = parse(model)
    for entity in model.entities:
        nav = navigation(entity_type(root, entity.name))
        for collection in child_collections(model, entity):
            assert nav[collection.name].get("Partner") == collection.relationship.field


# -- bulk actions ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [standard, custom_model, minimal_model])
def test_bulk_actions_are_bound_to_every_entity_set(make: object) -> None:
    assert callable(make)
    model = make()
    schema = schema_of(parse(model))
    complex_types = {c.get("Name"): c for c in schema.findall("edm:ComplexType", NS)}
    declared: dict[tuple[str, str], ET.Element] = {}
    for action in schema.findall("edm:Action", NS):
        assert action.get("IsBound") == "true"
        binding, targets = action.findall("edm:Parameter", NS)
        assert binding.get("Name") == "bindingParameter"
        assert binding.get("Nullable") == "false"
        assert targets.get("Name") == "Targets"
        assert targets.get("Type") == binding.get("Type")
        bound = binding.get("Type", "")
        assert bound.startswith("Collection(CommonGround.")
        declared[(action.get("Name", ""), bound)] = action
    expected = {
        (name, f"Collection(CommonGround.{entity.name})")
        for entity in model.entities
        for name in ("CreateMultiple", "UpsertMultiple")
    }
    assert set(declared) == expected
    for (name, _), action in declared.items():
        returned = action.find("edm:ReturnType", NS)
        assert returned is not None
        assert returned.get("Type") == f"CommonGround.{name}Response"
        assert properties(complex_types[f"{name}Response"]) == {
            "Ids": {"Name": "Ids", "Type": "Collection(Edm.Int64)", "Nullable": "false"},
            "Outcomes": {"Name": "Outcomes", "Type": "Collection(Edm.String)"},
        }
