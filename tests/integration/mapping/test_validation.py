"""Validation before a run: one focused case per DIPV (and CGV) code."""

from __future__ import annotations

from typing import Any

import pytest

from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.definitions import FieldMapping, Leg
from commonground.integration.mapping import Problem, compile_leg, validate_leg

K = ValueKind

SOURCE = EntityInfo(
    "CustomersV3",
    (
        FieldInfo("CUSTOMERACCOUNT", K.TEXT),
        FieldInfo("NAME", K.TEXT),
        FieldInfo("CITY", K.TEXT),
        FieldInfo("CREDITLIMIT", K.DECIMAL),
        FieldInfo("ONHOLD", K.TEXT),
        FieldInfo("CREATED", K.DATE),
        FieldInfo("COUNTRY", K.TEXT),
        FieldInfo("GROUP", K.LOOKUP, targets=("CustomerGroups",)),
    ),
)
DESTINATION = EntityInfo(
    "account",
    (
        FieldInfo("accountnumber", K.TEXT, required=True),
        FieldInfo("name", K.TEXT, required=True),
        FieldInfo("address1_city", K.TEXT),
        FieldInfo("creditlimit", K.DECIMAL),
        FieldInfo("creditonhold", K.BOOLEAN),
        FieldInfo("numberofemployees", K.INTEGER),
        FieldInfo("address1_country", K.TEXT),
        FieldInfo("customertypecode", K.TEXT),
        FieldInfo("createdon", K.DATETIME, read_only=True),
        FieldInfo("lastusedincampaign", K.DATETIME),
        FieldInfo("versionnumber", K.INTEGER, required=True, read_only=True),
        FieldInfo("owningbusinessunit", K.TEXT, required=True),
        FieldInfo("transactioncurrencyid", K.LOOKUP, targets=("transactioncurrency",)),
        FieldInfo("parentaccountid", K.LOOKUP),
    ),
    organization_field="owningbusinessunit",
)
GOOD = [
    ("CUSTOMERACCOUNT", "accountnumber", None),
    ("NAME", "name", None),
    ("CITY", "address1_city", None),
]


def m(source: str | None, destination: str, transform: Any = None) -> FieldMapping:
    return FieldMapping(source=source, destination=destination, transform=transform)


def check(
    *extra: FieldMapping,
    key: list[str] | None = None,
    filter: str | None = None,
    query: str | None = None,
    base: list[tuple[str, str, Any]] = GOOD,
) -> list[Problem]:
    mappings = [m(*row) for row in base] + list(extra)
    leg = Leg(
        source="operations",
        source_entity=SOURCE.name,
        destination="sales",
        destination_entity=DESTINATION.name,
        mappings=mappings,
    )
    return validate_leg(
        "Customers", leg, SOURCE, DESTINATION, key or ["accountnumber"], filter, query
    )


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def only(problems: list[Problem], code: str) -> Problem:
    assert codes(problems) == [code], problems
    return problems[0]


def test_a_good_leg_has_no_problems_and_compiles() -> None:
    assert check() == []
    leg = Leg(
        source="o",
        source_entity="x",
        destination="s",
        destination_entity="y",
        mappings=[m(*row) for row in GOOD],
    )
    compile_leg(leg, SOURCE, DESTINATION, ["accountnumber"])


def test_dipv1003_missing_integration_key() -> None:
    leg = Leg(
        source="o",
        source_entity="x",
        destination="s",
        destination_entity="y",
        mappings=[m(*row) for row in GOOD],
    )
    keys: list[list[str] | None] = [None, []]
    for key in keys:
        problem = only(validate_leg("Customers", leg, SOURCE, DESTINATION, key), "DIPV1003")
        assert problem.message == "Integration keys are missing for account"
        assert problem.task == "Customers"


def test_dipv1010_mandatory_destination_unmapped() -> None:
    problem = only(check(base=GOOD[:1] + GOOD[2:]), "DIPV1010")
    assert problem.field == "name"
    assert problem.message == "Mandatory destination field name must be mapped"


def test_dipv1011_read_only_destination_mapped() -> None:
    problem = only(check(m("CREATED", "createdon")), "DIPV1011")
    assert problem.message == "Read-only destination field createdon must not be mapped"


def test_dipv1012_filter_does_not_parse() -> None:
    assert check(filter="CITY eq 'Seattle' and CREDITLIMIT gt 100") == []
    problem = only(check(filter="CITY eq"), "DIPV1012")
    assert problem.message.startswith("Source filter cannot be parsed:")
    assert "position 7" in problem.message
    only(check(filter="NOPE eq 1"), "DIPV1012")


def test_filters_on_lookups_system_names_and_odd_names() -> None:
    source = EntityInfo(
        "contacts",
        (
            FieldInfo("RecordId", K.INTEGER, read_only=True),
            FieldInfo("parentcustomerid", K.LOOKUP, targets=("account",)),
            FieldInfo("Is Active Customer", K.BOOLEAN),
            FieldInfo("msdynce_isactivecustomer", K.BOOLEAN),
            FieldInfo("address", K.STRUCTURED),
        ),
    )
    leg = Leg(
        source="s", source_entity="contacts", destination="o", destination_entity="x", mappings=[]
    )
    destination = EntityInfo("x", ())
    for text in ("RecordId gt 5", "parentcustomerid eq 'A1'", "msdynce_isactivecustomer eq true"):
        found = validate_leg("Contacts", leg, source, destination, ["k"], text)
        assert codes(found) == ["DIPV1014"]  # the key is not mapped; the filter is fine
    found = validate_leg("Contacts", leg, source, destination, ["k"], "address eq 'x'")
    assert codes(found) == ["DIPV1012", "DIPV1014"]


def test_dipv1014_key_field_unmapped() -> None:
    problem = only(check(key=["accountnumber", "address1_country"]), "DIPV1014")
    assert problem.field == "address1_country"


def test_dipv1015_lookup_problems() -> None:
    assert check(m("COUNTRY", "transactioncurrencyid.isocurrencycode")) == []
    missing_key = only(check(m("COUNTRY", "transactioncurrencyid")), "DIPV1015")
    assert "map transactioncurrencyid.<key field>" in missing_key.message
    not_lookup = only(check(m("COUNTRY", "customertypecode.code")), "DIPV1015")
    assert "customertypecode is not a lookup field" in not_lookup.message
    no_target = only(check(m("COUNTRY", "parentaccountid.accountnumber")), "DIPV1015")
    assert "declares no target entity" in no_target.message
    unknown = only(check(m("COUNTRY", "transactioncurrencyid.currency(code)")), "DIPV1015")
    assert "cannot reference currency" in unknown.message


def test_dipv1021_row_without_source_or_default() -> None:
    problem = only(check(m(None, "customertypecode")), "DIPV1021")
    assert problem.field == "customertypecode"
    blank_key_map = [{"transformType": "ValueMap", "valueMap": {"": "Customer"}}]
    assert check(m(None, "customertypecode", blank_key_map)) == []


def test_dipv1022_source_field_missing_from_schema() -> None:
    problem = only(check(m("CURRENCYCODE", "customertypecode")), "DIPV1022")
    assert problem.message == "Missing source field CURRENCYCODE in the schema"


def test_dipv1023_duplicate_rows() -> None:
    problem = only(check(m("city", "Address1_City")), "DIPV1023")
    assert problem.field == "city"


def test_dipv1024_row_without_destination() -> None:
    only(check(m("COUNTRY", " ")), "DIPV1024")


def test_dipv1025_destination_field_missing_from_schema() -> None:
    problem = only(check(m("COUNTRY", "address1_county")), "DIPV1025")
    assert problem.message == "Missing destination field address1_county in the schema"


def test_dipv1026_duplicate_destination_fields() -> None:
    problem = only(check(m("COUNTRY", "ADDRESS1_CITY")), "DIPV1026")
    assert problem.message == "Duplicate destination fields - address1_city present in the mapping"
    assert problem.field == "COUNTRY"


def test_dipv1028_source_path_through_a_field_that_is_not_a_lookup() -> None:
    assert check(m("GROUP.name", "customertypecode")) == []
    only(check(m("NAME.first", "customertypecode")), "DIPV1028")


def test_dipv1029_duplicate_value_map_keys() -> None:
    transform = [{"transformType": "ValueMap", "valueMap": {"US": "US", "us": "US"}}]
    problem = only(check(m("COUNTRY", "address1_country", transform)), "DIPV1029")
    assert "'us'" in problem.message


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        ("ONHOLD", "creditonhold"),
        ("CREATED", "numberofemployees"),
        ("NAME", "creditlimit"),
        ("NAME", "lastusedincampaign"),
    ],
)
def test_dipv1030_type_mismatch(source: str, destination: str) -> None:
    problem = only(check(m(source, destination)), "DIPV1030")
    assert problem.message.startswith(f"Data type mismatch: source field {source} is ")


def test_dipv1030_not_raised_when_a_value_map_converts_or_numbers_meet() -> None:
    yes_no = [{"transformType": "ValueMap", "valueMap": {"yes": True, "no": False}}]
    assert check(m("ONHOLD", "creditonhold", yes_no)) == []
    assert check(m("CREDITLIMIT", "numberofemployees")) == []
    assert check(m("CREDITLIMIT", "creditlimit")) == []
    assert check(m("CREATED", "lastusedincampaign")) == []
    country = [{"transformType": "CountryRegionCode"}]
    only(check(m("COUNTRY", "numberofemployees", country)), "DIPV1030")


def test_dipv1031_mandatory_destination_without_source_or_default() -> None:
    problem = only(check(m(None, "name"), base=GOOD[:1]), "DIPV1031")
    assert problem.field == "name"
    default = [{"transformType": "Default", "defaultValue": "Unnamed"}]
    assert check(m(None, "name", default), base=GOOD[:1]) == []


def test_cgv1001_malformed_transforms() -> None:
    problem = only(check(m("COUNTRY", "address1_country", [{"transformType": "X"}])), "CGV1001")
    assert "mapping COUNTRY -> address1_country, transform 1" in problem.message


def test_cgv1002_field_reference_does_not_parse() -> None:
    problem = only(check(m("COUNTRY", "transactioncurrencyid.x(")), "CGV1002")
    assert "position 24" in problem.message


def test_cgv1003_query_is_not_a_select() -> None:
    problem = only(check(query="delete from source"), "CGV1003")
    assert "only a SELECT is allowed" in problem.message


def test_query_output_columns_become_sources() -> None:
    query = "select *, upper(CITY) as CITYUPPER from source"
    assert check(m("CITYUPPER", "customertypecode"), query=query) == []
    only(check(m("CITYUPPER", "customertypecode")), "DIPV1022")
    narrow = "select CUSTOMERACCOUNT, NAME from source"
    only(check(query=narrow), "DIPV1022")


def test_organization_field_need_not_be_mapped_and_problems_accumulate() -> None:
    problems = check(
        m("CURRENCYCODE", "x"),
        m("CREATED", "createdon"),
        key=["accountnumber", "y"],
        filter="(",
    )
    assert sorted(codes(problems)) == ["DIPV1011", "DIPV1012", "DIPV1014", "DIPV1022", "DIPV1025"]
