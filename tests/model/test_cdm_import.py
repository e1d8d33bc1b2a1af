"""The CDM importer: names, layering, groups, traits, option sets, lookups, model.json, errors.

Fixtures under fixtures/cdm/ follow the documented CDM shapes (cds-model.md section 18); see
fixtures/cdm/ATTRIBUTION.md. Small single-purpose documents are written to tmp_path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.errors import DefinitionError
from commonground.model import DataModel, Entity, Field, FieldType, Picklist
from commonground.model.cdm import (
    CdmImport,
    ReportCode,
    entity_name,
    field_name,
    import_cdm,
)
from commonground.model.cdm.names import unique_name
from commonground.model.entity import ENTITY_NAME_PATTERN
from commonground.model.field import NAME_PATTERN
from commonground.model.yaml_loader import standard_picklists

FIXTURES = Path(__file__).parent / "fixtures" / "cdm"
SCHEMA = FIXTURES / "schema"
APP = SCHEMA / "core" / "applicationCommon"
MANIFEST = APP / "applicationCommon.manifest.cdm.json"
LAYER = APP / "foundationCommon" / "Account.cdm.json"
ORDERS = FIXTURES / "modeljson" / "orders" / "model.json"
LINKED = FIXTURES / "modeljson" / "linked" / "model.json"


@pytest.fixture(scope="module")
def manifest() -> CdmImport:
    return import_cdm(MANIFEST)


@pytest.fixture(scope="module")
def orders() -> CdmImport:
    return import_cdm(ORDERS)


def entity(result: CdmImport, name: str) -> Entity:
    found = [e for e in result.entities if e.name == name]
    assert found, f"no entity {name} in {[e.name for e in result.entities]}"
    return found[0]


def field(result: CdmImport, entity_label: str, name: str) -> Field:
    found = entity(result, entity_label).field_or_none(name)
    assert found is not None, f"no field {entity_label}.{name}"
    return found


def picklist(result: CdmImport, name: str) -> Picklist:
    return next(p for p in result.picklists if p.name == name)


def environment_picklists() -> list[Picklist]:
    """The standard picklists, plus a minimal CurrencyCode if the standard set lacks it."""
    found = standard_picklists()
    if not any(p.name == "CurrencyCode" for p in found):
        found.append(Picklist(name="CurrencyCode", items=["USD", "EUR"]))
    return found


def write_document(folder: Path, definitions: list[Any], name: str = "Doc.cdm.json") -> Path:
    path = folder / name
    path.write_text(json.dumps({"jsonSchemaSemanticVersion": "1.0.0", "definitions": definitions}))
    return path


def one_entity(tmp_path: Path, attributes: list[Any], name: str = "Widget") -> CdmImport:
    return import_cdm(write_document(tmp_path, [{"entityName": name, "hasAttributes": attributes}]))


# --------------------------------------------------------------------------- names


@given(st.text())
def test_field_name_is_valid_and_stable(text: str) -> None:
    name = field_name(text)
    assert NAME_PATTERN.match(name)
    assert name[0].isupper()
    assert field_name(text) == name
    assert field_name(name) == name


@given(st.text())
def test_entity_name_is_valid_and_stable(text: str) -> None:
    name = entity_name(text)
    assert ENTITY_NAME_PATTERN.match(name)
    assert entity_name(name) == name


@given(st.from_regex(NAME_PATTERN, fullmatch=True))
def test_valid_field_names_only_gain_a_capital(name: str) -> None:
    assert field_name(name) == name[0].upper() + name[1:]


@given(st.text(min_size=1), st.sets(st.text(min_size=1)))
def test_unique_name_avoids_taken_names(name: str, taken: set[str]) -> None:
    lowered = {t.lower() for t in taken}
    chosen = unique_name(field_name(name), lowered)
    assert chosen.lower() not in lowered
    assert NAME_PATTERN.match(chosen)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("primaryContact", "PrimaryContact"),
        ("Order Date", "OrderDate"),
        ("statusCode_display", "StatusCode_display"),
        ("1st line", "Field1stLine"),
        ("Ünïcode naïve", "UnicodeNaive"),
        ("", "Field"),
        ("x" * 80, "X" + "x" * 63),
    ],
)
def test_field_name_examples(text: str, expected: str) -> None:
    assert field_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Order Lines", "OrderLines"), ("sales_order", "SalesOrder"), ("3D model", "Entity3DModel")],
)
def test_entity_name_examples(text: str, expected: str) -> None:
    assert entity_name(text) == expected


# --------------------------------------------------------------------------- manifests


def test_manifest_imports_entities_of_sub_manifests(manifest: CdmImport) -> None:
    assert sorted(e.name for e in manifest.entities) == ["Account", "Contact", "PriceList"]
    assert all(not e.standard for e in manifest.entities)


def test_manifest_result_is_a_valid_data_model(manifest: CdmImport) -> None:
    model = DataModel(manifest.entities, environment_picklists() + manifest.picklists)
    assert {r.child for r in model.children_of("Contact")} == {"Account"}


def test_deepest_layer_wins_over_the_base_declaration(manifest: CdmImport) -> None:
    account = entity(manifest, "Account")
    assert account.field_or_none("DefaultPriceLevel") is not None  # from the layer
    assert account.field_or_none("Name") is not None  # from the base through the moniker
    assert account.field_or_none("ImportSequenceNumber") is not None  # from CdsStandard
    (line,) = manifest.lines(ReportCode.DUPLICATE_ENTITY, "Account")
    assert (
        "kept /core/applicationCommon/foundationCommon/Account.cdm.json (4 layers)" in line.message
    )


def test_a_later_layer_redeclaring_an_attribute_wins(manifest: CdmImport) -> None:
    number = field(manifest, "Account", "AccountNumber")
    assert (number.max_length, number.required) == (30, True)
    assert number.display_name == "Account Number (extended)"
    names = [f.name for f in entity(manifest, "Account").fields]
    assert names.count("AccountNumber") == 1
    assert names.index("AccountNumber") < names.index("DefaultPriceLevel")  # base position kept


def test_manifest_entity_schema_with_namespace_resolves(manifest: CdmImport) -> None:
    price_list = entity(manifest, "PriceList")
    assert price_list.display_name == "Price List"


def test_referenced_entity_is_followed_into_another_manifest(tmp_path: Path) -> None:
    declaration = "/core/applicationCommon/foundationCommon/foundationCommon.manifest.cdm.json"
    path = tmp_path / "mine.manifest.cdm.json"
    entities = [
        {"type": "ReferencedEntity", "entityName": "PriceList", "entityDeclaration": declaration}
    ]
    path.write_text(json.dumps({"manifestName": "mine", "entities": entities}))
    result = import_cdm(path, schema_root=SCHEMA)
    assert [e.name for e in result.entities] == ["PriceList"]
    assert field(result, "PriceList", "Code").max_length == 20


def test_missing_standard_namespace_document_is_reported_not_fatal(manifest: CdmImport) -> None:
    (line,) = manifest.lines(ReportCode.NOT_FOLLOWED)
    assert "cdm:/meanings.location.cdm.json" in line.message
    assert line.entity is None


# --------------------------------------------------------------------------- groups and layers


def test_attribute_group_named_by_a_plain_string_is_included(manifest: CdmImport) -> None:
    contact = entity(manifest, "Contact")
    assert contact.field_or_none("CustomerId") is not None  # "customerIdAttribute" member
    assert contact.field_or_none("OverriddenCreatedOn") is not None  # CdsStandard group


def test_group_reference_by_name_object_is_included(manifest: CdmImport) -> None:
    assert field(manifest, "PriceList", "OwningBusinessUnit").type is FieldType.GUID


def test_missing_attribute_group_is_reported(manifest: CdmImport) -> None:
    (line,) = manifest.lines(ReportCode.ATTRIBUTE_GROUP_MISSING)
    assert (line.entity, line.attribute) == ("PriceList", None)
    assert "pricingExtrasGroup" in line.message


def test_missing_base_entity_is_reported(tmp_path: Path) -> None:
    result = import_cdm(
        write_document(
            tmp_path,
            [{"entityName": "Gadget", "extendsEntity": "Nowhere/Gadget", "hasAttributes": []}],
        )
    )
    (line,) = result.lines(ReportCode.BASE_ENTITY_MISSING, "Gadget")
    assert "Nowhere/Gadget" in line.message


def test_extends_entity_cycle_terminates(tmp_path: Path) -> None:
    definitions = [
        {
            "entityName": "A",
            "extendsEntity": "B",
            "hasAttributes": [{"name": "a", "dataType": "string"}],
        },
        {
            "entityName": "B",
            "extendsEntity": "A",
            "hasAttributes": [{"name": "b", "dataType": "string"}],
        },
    ]
    result = import_cdm(write_document(tmp_path, definitions), entity="A")
    assert {f.name for f in entity(result, "A").fields} >= {"A", "B"}
    assert result.lines(ReportCode.BASE_ENTITY_MISSING, "A")


def test_importing_a_layer_document_alone_keeps_missing_targets_as_guids() -> None:
    result = import_cdm(LAYER)
    assert [e.name for e in result.entities] == ["Account"]
    assert field(result, "Account", "PrimaryContact").type is FieldType.GUID
    assert field(result, "Account", "DefaultPriceLevel").type is FieldType.GUID
    missing = {line.attribute for line in result.lines(ReportCode.LOOKUP_TARGET_MISSING, "Account")}
    assert {"primaryContact", "defaultPriceLevel", "transactionCurrency"} <= missing


def test_explicit_schema_root_is_used_for_absolute_paths(tmp_path: Path) -> None:
    assert [e.name for e in import_cdm(LAYER, schema_root=SCHEMA).entities] == ["Account"]
    with pytest.raises(DefinitionError, match="not found"):
        import_cdm(LAYER, schema_root=tmp_path)


# --------------------------------------------------------------------------- type attributes


@pytest.mark.parametrize(
    ("name", "field_type"),
    [
        ("Name", FieldType.TEXT),
        ("Revenue", FieldType.CURRENCY),
        ("NumberOfEmployees", FieldType.INTEGER),
        ("SharesOutstanding", FieldType.INTEGER),
        ("ExchangeRate", FieldType.NUMBER),
        ("EmailAddress1", FieldType.EMAIL),
        ("Telephone1", FieldType.PHONE),
        ("WebSiteUrl", FieldType.URL),
        ("CreditOnHold", FieldType.BOOLEAN),
        ("LastUsedInCampaign", FieldType.DATETIME),
        ("EstablishedOn", FieldType.DATE),
        ("StageId", FieldType.GUID),
        ("DiscountRate", FieldType.NUMBER),  # discountRate < percentage < decimal
        ("FavouriteColour", FieldType.TEXT),  # unknown
        ("StateCode", FieldType.PICKLIST),
    ],
)
def test_data_types_map_to_field_types(
    manifest: CdmImport, name: str, field_type: FieldType
) -> None:
    assert field(manifest, "Account", name).type is field_type


def test_unknown_data_type_is_text_with_a_report_line(manifest: CdmImport) -> None:
    colour = manifest.lines(ReportCode.UNKNOWN_TYPE, "Account", "favouriteColour")
    assert colour
    assert "rgbColour" in colour[0].message
    (shape,) = manifest.lines(ReportCode.UNKNOWN_TYPE, "Account", "serviceArea")
    assert "geoShape < any" in shape.message  # the declared chain ends in no known type


def test_big_integers_become_integers_with_a_note(manifest: CdmImport) -> None:
    assert manifest.lines(ReportCode.BIG_INTEGER, "Account", "sharesOutstanding")
    (chain,) = manifest.lines(ReportCode.BIG_INTEGER, "Account", "timeZoneRuleVersionNumber")
    assert "cdsVersionNumber < bigInteger" in chain.message
    assert field(manifest, "Account", "TimeZoneRuleVersionNumber").type is FieldType.INTEGER


def test_required_level_and_nullable_map_to_required(manifest: CdmImport) -> None:
    assert field(manifest, "Account", "Name").required  # required
    assert field(manifest, "Account", "StateCode").required  # systemrequired
    assert not field(manifest, "Account", "TickerSymbol").required
    assert field(manifest, "PriceList", "Code").required  # isNullable false, no level
    assert field(manifest, "Contact", "LastName").required


def test_recommended_level_is_not_required() -> None:
    base = import_cdm(APP / "Account.cdm.json")
    assert not field(base, "Account", "AccountNumber").required
    assert field(base, "Account", "AccountNumber").max_length == 20


def test_maximum_length_as_property_and_as_trait(manifest: CdmImport) -> None:
    assert field(manifest, "Account", "Name").max_length == 100  # maximumLength property
    assert field(manifest, "Account", "TickerSymbol").max_length == 10  # is.constrained trait
    assert field(manifest, "Account", "EmailAddress1").max_length == 100


def test_long_text_becomes_multiline_and_is_clamped_beyond(manifest: CdmImport) -> None:
    description = field(manifest, "Account", "Description")
    assert (description.type, description.max_length) == (FieldType.MULTILINE, 2000)
    notes = field(manifest, "Account", "Notes")
    assert (notes.type, notes.max_length) == (FieldType.MULTILINE, 2048)
    lines = {line.attribute: line.message for line in manifest.lines(ReportCode.LENGTH, "Account")}
    assert "mapped to Multiline" in lines["description"]
    assert "clamped to 2048" in lines["notes"]


def test_email_longer_than_our_limit_is_clamped(tmp_path: Path) -> None:
    result = one_entity(tmp_path, [{"name": "mail", "dataType": "email", "maximumLength": 500}])
    assert field(result, "Widget", "Mail").max_length == 256
    assert result.lines(ReportCode.LENGTH, "Widget", "mail")


def test_primary_key_is_not_a_field(manifest: CdmImport) -> None:
    assert entity(manifest, "Account").field_or_none("AccountId") is None
    (line,) = manifest.lines(ReportCode.PRIMARY_KEY, "Account")
    assert line.attribute == "accountId"
    assert "RecordId" in line.message


def test_attributes_held_by_system_fields_are_not_imported(manifest: CdmImport) -> None:
    account = entity(manifest, "Account")
    assert [
        f.name for f in account.fields if f.name in {"CreatedOn", "CreatedBy", "VersionNumber"}
    ] == []
    reported = {line.attribute for line in manifest.lines(ReportCode.SYSTEM_FIELD, "Account")}
    assert reported == {"createdOn", "modifiedOn", "createdBy", "modifiedBy", "versionNumber"}


def test_display_names_and_descriptions_are_kept(manifest: CdmImport) -> None:
    account = entity(manifest, "Account")
    assert account.display_name == "Account"
    assert account.description is not None
    assert account.description.startswith("Business that")
    name = field(manifest, "Account", "Name")
    assert name.display_name == "Account Name"
    assert name.description == "Type the company or business name."  # from the localized trait
    assert (
        entity(manifest, "Contact").description
        == "Person with whom a business unit has a relationship."
    )


def test_traits_without_equivalent_are_reported(manifest: CdmImport) -> None:
    (line,) = manifest.lines(ReportCode.TRAITS_IGNORED, "Account")
    assert "is.readOnly (1)" in line.message
    assert "minimumValue/maximumValue (1)" in line.message


# --------------------------------------------------------------------------- option sets


def test_option_set_becomes_a_picklist(manifest: CdmImport) -> None:
    category = field(manifest, "Account", "AccountCategoryCode")
    assert category.picklist == "AccountAccountCategoryCode"
    listed = picklist(manifest, "AccountAccountCategoryCode")
    assert [(i.name, i.value, i.display_name) for i in listed.items] == [
        ("PreferredCustomer", 1, "Preferred Customer"),
        ("Standard", 2, "Standard"),
    ]
    assert listed.display_name == "Category"
    assert listed.description == "Drop-down list for selecting the category of the account."


def test_correlated_option_set_keeps_values_and_reports_the_correlation(
    manifest: CdmImport,
) -> None:
    status = picklist(manifest, "AccountStatusCode")
    assert [(i.name, i.value) for i in status.items] == [("Active", 1), ("Inactive", 2)]
    (line,) = manifest.lines(ReportCode.OPTION_SET, "Account", "statusCode")
    assert "correlated" in line.message
    assert "1->0, 2->1" in line.message


def test_option_set_takes_english_and_skips_bad_values(manifest: CdmImport) -> None:
    method = picklist(manifest, "ContactPreferredContactMethodCode")
    assert [(i.name, i.value) for i in method.items] == [("Any", 1), ("Email", 2)]
    (line,) = manifest.lines(ReportCode.OPTION_SET, "Contact", "preferredContactMethodCode")
    assert "'Other' skipped" in line.message


def test_option_set_from_resolved_default_value_objects(tmp_path: Path) -> None:
    rows = [
        {
            "languageTag": "en",
            "displayText": "Net 30 days",
            "attributeValue": 30,
            "displayOrder": 1,
        },
        {
            "languageTag": "en",
            "displayText": "Net 30 Days!",
            "attributeValue": "60",
            "displayOrder": 0,
        },
    ]
    result = one_entity(
        tmp_path, [{"name": "terms", "dataType": "listLookup", "defaultValue": rows}]
    )
    items = picklist(result, "WidgetTerms").items
    assert [(i.name, i.value) for i in items] == [("Net30Days", 60), ("Net30Days2", 30)]


def test_option_set_without_values_becomes_integer(tmp_path: Path) -> None:
    result = one_entity(tmp_path, [{"name": "level", "dataType": "listLookup"}])
    assert field(result, "Widget", "Level").type is FieldType.INTEGER
    assert result.lines(ReportCode.OPTION_SET, "Widget", "level")
    assert result.picklists == []


def test_picklist_names_avoid_existing_picklists(tmp_path: Path) -> None:
    rows = [["en", "Red", "1", "0"]]
    data_type = {
        "dataTypeReference": "listLookup",
        "appliedTraits": [
            {
                "traitReference": "does.haveDefault",
                "arguments": [
                    {"entityReference": {"entityShape": "listLookupValues", "constantValues": rows}}
                ],
            }
        ],
    }
    existing = DataModel([], [Picklist(name="WidgetColour", items=["Blue"])])
    path = write_document(
        tmp_path,
        [{"entityName": "Widget", "hasAttributes": [{"name": "colour", "dataType": data_type}]}],
    )
    result = import_cdm(path, existing=existing)
    assert field(result, "Widget", "Colour").picklist == "WidgetColour2"
    DataModel(result.entities, [*existing.picklists, *result.picklists])


# --------------------------------------------------------------------------- relationships


def test_lookup_between_imported_entities(manifest: CdmImport) -> None:
    contact = field(manifest, "Account", "PrimaryContact")
    assert (contact.type, contact.target, contact.display_name) == (
        FieldType.LOOKUP,
        "Contact",
        "Primary Contact",
    )
    assert field(manifest, "Contact", "ParentAccount").target == "Account"
    assert field(manifest, "Account", "DefaultPriceLevel").target == "PriceList"


def test_lookup_to_entity_outside_the_import_is_a_guid(manifest: CdmImport) -> None:
    currency = field(manifest, "Account", "TransactionCurrency")
    assert currency.type is FieldType.GUID
    (line,) = manifest.lines(ReportCode.LOOKUP_TARGET_MISSING, "Account", "transactionCurrency")
    assert "Currency" in line.message
    assert "Guid" in line.message


def test_lookup_to_an_existing_entity_stays_a_lookup() -> None:
    existing = DataModel(
        [Entity(name="Contact", fields=(Field(name="Title", type="Text"),), primary_name="Title")],
        [],
    )
    result = import_cdm(LAYER, existing=existing)
    assert field(result, "Account", "PrimaryContact").target == "Contact"
    DataModel([*result.entities, *existing.entities], environment_picklists() + result.picklists)


def test_polymorphic_lookup_is_kept_as_id_and_type(manifest: CdmImport) -> None:
    customer_id = field(manifest, "Contact", "CustomerId")
    customer_type = field(manifest, "Contact", "CustomerIdType")
    assert (customer_id.type, customer_id.required) == (FieldType.GUID, True)
    assert (customer_type.type, customer_type.display_name) == (FieldType.TEXT, "Customer Type")
    (line,) = manifest.lines(ReportCode.POLYMORPHIC, "Contact", "customer")
    assert "Account | Contact" in line.message


def test_address_expansion_becomes_address_fields(manifest: CdmImport) -> None:
    account = entity(manifest, "Account")
    assert [
        f.type for f in (account.field_or_none("Address1"), account.field_or_none("Address2")) if f
    ] == [
        FieldType.ADDRESS,
        FieldType.ADDRESS,
    ]
    (line,) = manifest.lines(ReportCode.ADDRESS, "Account", "address")
    assert "line1->Line1" in line.message
    assert "not kept: line3, latitude, telephone1" in line.message


def test_repeating_group_that_is_no_address_is_reported(tmp_path: Path) -> None:
    attributes = [
        {
            "name": "tags",
            "entity": {"entityReference": "Tag"},
            "resolutionGuidance": {"cardinality": "many"},
        }
    ]
    result = one_entity(tmp_path, attributes)
    assert [f.name for f in entity(result, "Widget").fields] == ["Title"]
    assert result.lines(ReportCode.UNSUPPORTED_ATTRIBUTE, "Widget", "tags")


# --------------------------------------------------------------------------- entity assembly


def test_primary_name_prefers_named_by(tmp_path: Path) -> None:
    attributes = [
        {"name": "name", "dataType": "string"},
        {"name": "label", "purpose": "namedBy", "dataType": "string"},
    ]
    result = one_entity(tmp_path, attributes)
    assert entity(result, "Widget").primary_name == "Label"
    assert field(result, "Widget", "Label").searchable


def test_obvious_name_fields_become_the_primary_name(manifest: CdmImport) -> None:
    assert entity(manifest, "Account").primary_name == "Name"
    assert entity(manifest, "Contact").primary_name == "FullName"
    assert not manifest.lines(ReportCode.TITLE_ADDED)


def test_title_is_added_when_no_name_field_exists(tmp_path: Path) -> None:
    result = one_entity(tmp_path, [{"name": "title", "dataType": "integer"}])
    widget = entity(result, "Widget")
    assert widget.primary_name == "Title2"
    assert field(result, "Widget", "Title2").type is FieldType.TEXT
    (line,) = result.lines(ReportCode.TITLE_ADDED, "Widget")
    assert "Title2" in line.message


def test_colliding_field_names_are_made_unique(tmp_path: Path) -> None:
    attributes = [
        {"name": "first-name", "dataType": "string"},
        {"name": "firstName", "dataType": "string"},
        {"name": "address1_Line1", "dataType": "string"},
        {
            "name": "address",
            "entity": {"entityReference": "postalAddress"},
            "resolutionGuidance": {"cardinality": "many", "expansion": {"maximumExpansion": 1}},
        },
    ]
    result = one_entity(tmp_path, attributes)
    names = [f.name for f in entity(result, "Widget").fields]
    assert names[:4] == ["FirstName", "FirstName2", "Address1_Line1", "Address1_2"]
    renamed = {line.attribute for line in result.lines(ReportCode.RENAMED, "Widget")}
    assert renamed == {"firstName", "address"}


def test_entity_name_taken_in_the_environment_gets_a_suffix() -> None:
    existing = DataModel(
        [Entity(name="Account", fields=(Field(name="Title", type="Text"),), primary_name="Title")],
        [],
    )
    result = import_cdm(LAYER, existing=existing)
    assert [e.name for e in result.entities] == ["Account2"]
    assert result.lines(ReportCode.RENAMED, "Account2")


# --------------------------------------------------------------------------- entity paths


def test_entity_path_and_entity_argument_pick_one_definition(tmp_path: Path) -> None:
    path = write_document(
        tmp_path,
        [
            {"entityName": "First", "hasAttributes": [{"name": "name", "dataType": "string"}]},
            {"entityName": "Second", "hasAttributes": [{"name": "name", "dataType": "string"}]},
        ],
    )
    assert [e.name for e in import_cdm(path).entities] == ["First", "Second"]
    assert [e.name for e in import_cdm(f"{path}/Second").entities] == ["Second"]
    assert [e.name for e in import_cdm(path, entity="First").entities] == ["First"]


def test_unknown_entity_names_the_path(tmp_path: Path) -> None:
    path = write_document(tmp_path, [{"entityName": "First", "hasAttributes": []}])
    with pytest.raises(DefinitionError, match=re.escape(str(path))) as raised:
        import_cdm(path, entity="Missing")
    assert "Missing" in str(raised.value)
    with pytest.raises(DefinitionError, match="Missing"):
        import_cdm(MANIFEST, entity="Missing")


# --------------------------------------------------------------------------- errors


def test_malformed_json_names_file_and_line() -> None:
    path = FIXTURES / "errors" / "malformed.cdm.json"
    with pytest.raises(DefinitionError) as raised:
        import_cdm(path)
    assert raised.value.location is not None
    assert (raised.value.location.file, raised.value.location.line) == (str(path.resolve()), 4)
    assert "malformed JSON" in str(raised.value)


def test_missing_import_names_the_importing_file() -> None:
    path = FIXTURES / "errors" / "missing_import.cdm.json"
    with pytest.raises(DefinitionError, match=re.escape("does/not/exist.cdm.json")) as raised:
        import_cdm(path)
    assert raised.value.location is not None
    assert raised.value.location.file.endswith("missing_import.cdm.json")


def test_manifest_entity_without_document_names_the_manifest() -> None:
    with pytest.raises(DefinitionError, match=re.escape("Ghost.cdm.json")) as raised:
        import_cdm(FIXTURES / "errors" / "missing_entity.manifest.cdm.json")
    assert raised.value.location is not None
    assert raised.value.location.file.endswith("missing_entity.manifest.cdm.json")


def test_other_files_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("{}")
    with pytest.raises(DefinitionError, match="not a CDM definition"):
        import_cdm(path)
    with pytest.raises(DefinitionError, match="file not found"):
        import_cdm(tmp_path / "absent.cdm.json")


# --------------------------------------------------------------------------- model.json


@pytest.mark.parametrize(
    ("name", "field_type"),
    [
        ("LineID", FieldType.GUID),
        ("OrderDate", FieldType.DATE),
        ("ShippedAt", FieldType.DATETIME),
        ("Updated", FieldType.DATETIME),
        ("DeliveryWindow", FieldType.TEXT),
        ("Payload", FieldType.TEXT),
        ("Misc", FieldType.TEXT),
        ("Quantity", FieldType.INTEGER),
        ("Price", FieldType.NUMBER),
        ("CustomerID", FieldType.LOOKUP),
    ],
)
def test_model_json_data_types(orders: CdmImport, name: str, field_type: FieldType) -> None:
    assert field(orders, "OrderLines", name).type is field_type


def test_model_json_reports_types_without_equivalent(orders: CdmImport) -> None:
    unknown = {line.attribute for line in orders.lines(ReportCode.UNKNOWN_TYPE, "OrderLines")}
    assert unknown == {"Delivery Window", "Payload", "Misc"}
    assert orders.lines(ReportCode.BIG_INTEGER, "OrderLines", "Quantity")


def test_model_json_traits_give_length_and_required(orders: CdmImport) -> None:
    company = field(orders, "Customers", "CompanyName")
    assert (company.type, company.max_length) == (FieldType.MULTILINE, 300)
    assert field(orders, "OrderLines", "CustomerID").required
    assert entity(orders, "Customers").description == "People who order"


def test_model_json_relationships_become_lookups_with_keys(orders: CdmImport) -> None:
    assert field(orders, "OrderLines", "CustomerID").target == "Customers"
    assert field(orders, "OrderLines", "ProductID").target == "Products"
    assert entity(orders, "Customers").keys == {"CustomerID": ("CustomerID",)}
    assert entity(orders, "Products").keys == {"ProductId": ("ProductId",)}
    (missing_target,) = orders.lines(ReportCode.LOOKUP_TARGET_MISSING, "OrderLines", "Warehouse")
    assert "Warehouses" in missing_target.message
    assert field(orders, "OrderLines", "Warehouse").type is FieldType.TEXT
    (missing_from,) = orders.lines(ReportCode.RELATIONSHIP, "OrderLines", "Carrier")
    assert "does not exist" in missing_from.message


def test_model_json_reference_entities(orders: CdmImport) -> None:
    assert sorted(e.name for e in orders.entities) == ["Customers", "OrderLines", "Products"]
    assert entity(orders, "Products").primary_name == "Name"  # followed into ../products
    (line,) = orders.lines(ReportCode.NOT_FOLLOWED, "Suppliers")
    assert "https://example.com/suppliers/model.json" in line.message


def test_model_json_system_fields_and_title(orders: CdmImport) -> None:
    customers = entity(orders, "Customers")
    assert customers.field_or_none("CreatedOn") is None
    assert {line.attribute for line in orders.lines(ReportCode.SYSTEM_FIELD, "Customers")} == {
        "createdOn",
        "versionNumber",
    }
    assert customers.primary_name == "CompanyName"
    assert entity(orders, "OrderLines").primary_name == "Title"
    assert orders.lines(ReportCode.TITLE_ADDED, "OrderLines")


def test_model_json_result_is_valid(orders: CdmImport) -> None:
    DataModel(orders.entities, environment_picklists())


def test_microsoft_sample_model_json_with_relationship() -> None:
    result = import_cdm(LINKED)
    assert [e.name for e in result.entities] == ["Orders", "Customers"]
    assert field(result, "Orders", "FkCustomerId").target == "Customers"
    assert entity(result, "Customers").keys == {"CustomerID": ("CustomerID",)}
    model = DataModel(result.entities, [])
    assert [r.field for r in model.children_of("Customers")] == ["FkCustomerId"]


def test_reference_model_that_is_missing_locally_is_an_error(tmp_path: Path) -> None:
    data = {
        "name": "m",
        "version": "1.0",
        "entities": [{"$type": "ReferenceEntity", "name": "Far", "source": "Far", "modelId": "x"}],
        "referenceModels": [{"id": "x", "location": "elsewhere/model.json"}],
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DefinitionError, match="file not found"):
        import_cdm(path)


def test_report_lines_render_entity_and_attribute(manifest: CdmImport) -> None:
    line = manifest.lines(ReportCode.PRIMARY_KEY, "Contact")[0]
    assert str(line).startswith("Contact.contactId: ")
