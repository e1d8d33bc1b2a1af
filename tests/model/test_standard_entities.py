"""The shipped standard entities and picklists match cds-model.md section 17 and Appendix A."""

from __future__ import annotations

from typing import Any

import pytest

from commonground.model import DataModel, FieldType, RelationshipKind
from commonground.model.entity import DEFAULT_FIELD_GROUPS, SYSTEM_FIELD_NAMES
from commonground.model.yaml_loader import standard_model

# Entity -> number of fields in its section 17 table (system fields not counted).
DOCUMENTED_FIELD_COUNTS = {
    "Account": 52,
    "Contact": 42,
    "Lead": 61,
    "Opportunity": 39,
    "OpportunityProduct": 10,
    "Product": 15,
    "ProductCategory": 5,
    "UnitOfMeasureConversion": 4,
    "Quotation": 31,
    "QuotationLine": 21,
    "SalesOrder": 25,
    "SalesOrderLine": 19,
    "SalesOrderLineShipment": 7,
    "SalesInvoice": 22,
    "SalesInvoiceLine": 17,
    "Organization": 39,
    "BusinessUnit": 28,
    "Worker": 45,
}
# Lookup targets whose fields the sources do not transcribe; shipped in a minimal shape.
MINIMAL_ENTITIES = ("AccountGroup", "CostCenter")
ALL_ENTITIES = (*DOCUMENTED_FIELD_COUNTS, *MINIMAL_ENTITIES)

# Appendix A, in its order. The appendix says 190, but one of its table rows is the page title
# ("title: Standard picklists reference | Microsoft Docs"), so there are 189 picklists.
APPENDIX_A_TEXT = """
AccountStatus AccountStatusReason AccountType ActiveInactive AddRemove AddressRole AddUpdate
Affix AllChosen AllDraftCompleted AllPositiveNegativeZero AlumnusStatus AlumnusStatusReason
ApplicationUserGroupStatus ApplicationUserGroupStatusReason ApplicationUserStatus
ApplicationUserStatusReason AscendingDescending BodyContentType BudgetStatus
BusinessUnitStatus BusinessUnitStatusReason CaseActivityType CaseCategory CaseContactType
CaseCustomerSatisfactionCode CaseOrigin CaseOriginCode CaseReassignedReason CaseSolutionType
CaseStatus CaseStatusReason CaseWorkerAssignmentReason ChannelActivity ChargeType Color
CommunicationMethod CompetitorStatus ConstituentStatus ConstituentStatusReason ContactMethod
ContractorStatus ConversionRounding CountryCode CurrencyCode CustomerStatus DayOfTheWeek
DocumentStatus DonationType DonationValuationMethod DonorStatus EducationStatus
ElectronicAddressCategory ElectronicAddressFormat ElectronicAddressType EmploymentStatus
EmploymentUnitOfNotice EnableDisable Ethnicity EventImportance EventResponse
EventSensitivity EventTimeStatus EventType ExpenseCategory FamilyMemberStatus
FamilyMemberStatusReason FamilyRole FamilyStatus FamilyStatusReason FanStatus
FanStatusReason FiscalPeriod FreightTerms Gender HorizontalVertical HotWarmCold
HouseholdMemberStatus HouseholdMemberStatusReason HouseholdRole HouseholdStatus
HouseholdStatusReason InboundOutbound IndustryCode InternalExternal InvoiceChargeType
InvoiceLineChargeType InvoiceLineStatus InvoiceLineStatusReason InvoiceLineTaxType
InvoiceStatus InvoiceStatusReason InvoiceTaxType JobExemptStatus JobStatus JobTitle
LeadRating LeadSource LeadState LeadStatus LeadStatusReason LeaveRequestStatus LeftRight
LineChargeType LineTaxType LowMedHigh MaritalStatus MemberStatus MessageImportance
MessageInferenceClassification MonthsOfTheYear Nationality NoYes NoYesUnchanged
OpportunityRole OpportunitySource OpportunityState OpportunityStatus OrderLineStatus
OrderLineStatusReason OrderStatus OrderStatusReason OrganizationStatus
OrganizationStatusReason OrganizationType PartnerStatus PartnerStatusReason PartyRole
PartyType PaymentTerms PersonStatus PersonStatusReason PersonTitle PledgeFrequency
PledgeType PositionClassification PreferenceType PrimaryAccountRole Priority Process
ProductStatus ProductStatusReason ProductType ProductVendorStatus ProductVendorStatusReason
PurchaseOrderLineStatus PurchaseOrderLineStatusReason PurchaseOrderStatus
PurchaseOrderStatusReason PurchaseTimeframe QuotationLineStatus QuotationLineStatusReason
QuotationStatus QuotationStatusReason QuotationType ReferencedType Severity sex
ShipmentStatus ShipmentStatusReason ShippingMethod Size SkillLevel SocialNetwork Source
Status StatusReason StockExchange SupplierApprovalStatus SyncStatus TaskType TaxType
TeamMemberStatus TeamMemberStatusReason TeamRole TeamStatus TeamStatusReason TenantStatus
TenantStatusReason TimeFrame Timezone UnitOfMeasure UpDown UserOrGroupType VendorStatus
VolunteerStatus WorkerStatus WorkerStatusReason WorkerType
"""
APPENDIX_A_PICKLISTS = APPENDIX_A_TEXT.split()

SOURCE_VALUES = [
    "Attract",
    "CustomerEngagement",
    "Default",
    "Finance",
    "Gauge",
    "Greenhouse",
    "iCIMS",
    "LinkedIn",
    "Onboarding",
    "Operations",
    "Talent",
]


@pytest.fixture(scope="module")
def model() -> DataModel:
    return standard_model()


def picklist_names(model: DataModel, name: str) -> list[str]:
    return [item.name for item in model.picklist(name).items]


# ---------------------------------------------------------------- entities


@pytest.mark.parametrize("name", ALL_ENTITIES)
def test_entity_exists_and_is_standard(model: DataModel, name: str) -> None:
    entity = model.entity(name)
    assert entity.name == name
    assert entity.standard


def test_no_other_entities_are_shipped(model: DataModel) -> None:
    assert sorted(e.name for e in model.entities) == sorted(ALL_ENTITIES)


@pytest.mark.parametrize(("name", "count"), DOCUMENTED_FIELD_COUNTS.items())
def test_every_documented_field_is_declared(model: DataModel, name: str, count: int) -> None:
    fields = model.entity(name).fields
    assert len(fields) == count
    names = [f.name for f in fields]
    assert names == sorted(names, key=str.lower), "fields keep the doc's alphabetical order"
    assert not SYSTEM_FIELD_NAMES & set(names)


# (entity, field, expected properties) taken from the section 17 tables.
FIELD_CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("Account", "AccountId", {"type": FieldType.AUTONUMBER, "unique": True, "searchable": True}),
    ("Account", "OfficeGraphIdentifier", {"type": FieldType.TEXT, "length": 200}),
    ("Account", "PersonInformation", {"type": FieldType.TEXT, "length": 2048}),
    ("Account", "CreditLimitAmount", {"type": FieldType.CURRENCY, "decimals": 6}),
    ("Account", "ParentAccount", {"type": FieldType.LOOKUP, "target": "Account"}),
    ("Account", "Status", {"picklist": "AccountStatus", "required": True}),
    ("Account", "SalesCurrencyCode", {"type": FieldType.PICKLIST, "picklist": "CurrencyCode"}),
    ("Contact", "Name", {"type": FieldType.PERSON_NAME, "required": False}),
    ("Contact", "WorkerResponsible", {"target": "Worker", "kind": RelationshipKind.ASSOCIATION}),
    ("Contact", "PrimaryAccountRole", {"picklist": "PrimaryAccountRole"}),
    ("Contact", "IsPostalMailAllowed", {"type": FieldType.BOOLEAN, "required": False}),
    ("Contact", "Department", {"type": FieldType.TEXT, "length": 128}),
    ("Lead", "SIC", {"type": FieldType.TEXT, "length": 2048}),
    ("Lead", "QualificationDescription", {"type": FieldType.MULTILINE}),
    ("Lead", "PreferredContactMethod", {"picklist": "ContactMethod"}),
    ("Lead", "PurchaseTimeline", {"picklist": "PurchaseTimeframe"}),
    ("Lead", "IsSecurityPrincipal", {"type": FieldType.BOOLEAN, "required": True}),
    ("Lead", "QualifyingOpportunity", {"target": "Opportunity"}),
    ("Lead", "Status", {"picklist": "LeadStatus", "required": True}),
    ("Opportunity", "ActualValueAmount", {"type": FieldType.CURRENCY, "required": True}),
    ("Opportunity", "CustomerNeedDescription", {"type": FieldType.MULTILINE}),
    ("Opportunity", "Name", {"type": FieldType.TEXT, "length": 128, "required": True}),
    ("Opportunity", "RatingCode", {"picklist": "HotWarmCold", "required": True}),
    ("Opportunity", "PurchaseTimeFrame", {"picklist": "TimeFrame", "required": True}),
    ("Opportunity", "Source", {"picklist": "OpportunitySource", "required": True}),
    ("Opportunity", "CloseProbability", {"type": FieldType.INTEGER}),
    ("Opportunity", "OriginatingLead", {"target": "Lead"}),
    ("OpportunityProduct", "Opportunity", {"target": "Opportunity", "required": True}),
    ("OpportunityProduct", "Opportunity", {"kind": RelationshipKind.ASSOCIATION}),
    ("OpportunityProduct", "Quantity", {"type": FieldType.QUANTITY, "required": False}),
    ("OpportunityProduct", "Description", {"type": FieldType.MULTILINE}),
    ("Product", "Name", {"type": FieldType.TEXT, "length": 60, "required": True}),
    ("Product", "Description", {"length": 255, "searchable": True, "required": False}),
    ("Product", "DefaultBuyingUnitOfMeasure", {"picklist": "UnitOfMeasure"}),
    ("Product", "ProductType", {"picklist": "ProductType", "required": True}),
    ("Product", "Image", {"type": FieldType.IMAGE_URL}),
    ("ProductCategory", "CategoryId", {"type": FieldType.AUTONUMBER, "unique": True}),
    ("ProductCategory", "Description", {"type": FieldType.MULTILINE}),
    ("ProductCategory", "ParentProductCategory", {"target": "ProductCategory"}),
    ("UnitOfMeasureConversion", "FromToConversionRate", {"type": FieldType.NUMBER}),
    ("UnitOfMeasureConversion", "FromUnitOfMeasure", {"picklist": "UnitOfMeasure"}),
    ("UnitOfMeasureConversion", "ToUnitOfMeasure", {"required": True}),
    ("Quotation", "Account", {"target": "Account", "required": True}),
    ("Quotation", "CustomerPurchaseOrderReference", {"type": FieldType.TEXT, "length": 20}),
    ("Quotation", "ExpirationDate", {"type": FieldType.DATE, "required": True}),
    ("Quotation", "DiscountPercent", {"type": FieldType.NUMBER, "required": True}),
    ("Quotation", "QuotationType", {"picklist": "QuotationType", "required": True}),
    ("Quotation", "StatusReason", {"picklist": "QuotationStatusReason", "required": False}),
    ("Quotation", "InvoiceAccount", {"target": "Account", "required": False}),
    ("QuotationLine", "Quotation", {"target": "Quotation", "required": True}),
    ("QuotationLine", "Quotation", {"kind": RelationshipKind.COMPOSITION}),
    ("QuotationLine", "Product", {"kind": RelationshipKind.ASSOCIATION, "required": True}),
    ("QuotationLine", "ProductName", {"length": 60, "required": True}),
    ("QuotationLine", "Sequence", {"type": FieldType.INTEGER, "required": True}),
    ("SalesOrder", "OrderDate", {"type": FieldType.DATETIME, "required": True}),
    ("SalesOrder", "Account", {"target": "Account", "required": False}),
    ("SalesOrder", "Status", {"picklist": "OrderStatus", "required": True}),
    ("SalesOrder", "TotalDiscountAmount", {"decimals": 6, "required": False}),
    ("SalesOrder", "SalesPersonWorker", {"target": "Worker"}),
    ("SalesOrderLine", "SalesOrder", {"kind": RelationshipKind.COMPOSITION, "required": True}),
    ("SalesOrderLine", "DeliveryPostalAddress", {"type": FieldType.ADDRESS}),
    ("SalesOrderLine", "Status", {"picklist": "OrderLineStatus", "required": False}),
    ("SalesOrderLine", "DiscountAmount", {"type": FieldType.CURRENCY, "required": True}),
    ("SalesOrderLineShipment", "SalesOrderLine", {"target": "SalesOrderLine"}),
    ("SalesOrderLineShipment", "SalesOrderLine", {"kind": RelationshipKind.COMPOSITION}),
    ("SalesOrderLineShipment", "Description", {"type": FieldType.TEXT, "length": 60}),
    ("SalesOrderLineShipment", "ActualShipDate", {"type": FieldType.DATE}),
    ("SalesOrderLineShipment", "Status", {"picklist": "ShipmentStatus"}),
    ("SalesInvoice", "InvoiceDate", {"type": FieldType.DATETIME, "required": True}),
    ("SalesInvoice", "SalesOrder", {"target": "SalesOrder", "kind": RelationshipKind.ASSOCIATION}),
    ("SalesInvoice", "TotalAmount", {"type": FieldType.CURRENCY, "required": False}),
    ("SalesInvoice", "Status", {"picklist": "InvoiceStatus", "required": False}),
    ("SalesInvoiceLine", "SalesInvoice", {"kind": RelationshipKind.COMPOSITION, "required": True}),
    ("SalesInvoiceLine", "Product", {"target": "Product", "required": False}),
    ("SalesInvoiceLine", "ProductName", {"length": 60, "required": True}),
    ("SalesInvoiceLine", "Status", {"picklist": "InvoiceLineStatus", "required": True}),
    ("Organization", "Type", {"picklist": "OrganizationType", "required": True}),
    ("Organization", "IsInternal", {"type": FieldType.BOOLEAN, "required": True}),
    ("Organization", "ParentOrganization", {"target": "Organization"}),
    ("Organization", "WebsiteURL", {"type": FieldType.TEXT, "length": 255}),
    ("BusinessUnit", "CostCenter", {"target": "CostCenter"}),
    ("BusinessUnit", "IsDefaultForOrganization", {"type": FieldType.BOOLEAN, "required": True}),
    ("BusinessUnit", "Status", {"picklist": "BusinessUnitStatus", "required": True}),
    ("BusinessUnit", "EmailPrimary", {"type": FieldType.EMAIL, "searchable": True}),
    ("Worker", "Alias", {"type": FieldType.TEXT, "length": 64}),
    ("Worker", "LinkedInAPIURL", {"type": FieldType.MULTILINE}),
    ("Worker", "Manager", {"target": "Worker"}),
    ("Worker", "OfficeGraphIdentifier", {"length": 200, "searchable": True}),
    ("Worker", "Type", {"picklist": "WorkerType", "required": True}),
    ("Worker", "PhoneCell", {"type": FieldType.PHONE}),
    ("Worker", "OriginalHireDate", {"type": FieldType.DATETIME}),
]


@pytest.mark.parametrize(
    ("entity", "field", "expected"),
    FIELD_CASES,
    ids=[f"{e}.{f}-{'-'.join(x)}" for e, f, x in FIELD_CASES],
)
def test_field_matches_the_doc(
    model: DataModel, entity: str, field: str, expected: dict[str, Any]
) -> None:
    declared = model.entity(entity).field_or_none(field)
    assert declared is not None, f"{entity}.{field} is missing"
    assert not declared.system
    actual = {
        "type": declared.type,
        "length": declared.length,
        "decimals": declared.decimals,
        "required": declared.required,
        "searchable": declared.searchable,
        "unique": declared.unique,
        "target": declared.target,
        "picklist": declared.picklist,
        "kind": declared.kind if declared.type is FieldType.LOOKUP else None,
    }
    assert {k: actual[k] for k in expected} == expected


def test_every_currency_field_keeps_six_decimals(model: DataModel) -> None:
    currencies = [
        (e.name, f.name) for e in model.entities for f in e.fields if f.type is FieldType.CURRENCY
    ]
    assert len(currencies) == 45  # the Currency rows of the section 17 tables
    for entity, field in currencies:
        assert model.entity(entity).field_or_none(field).decimals == 6, f"{entity}.{field}"


def test_every_text_field_declares_its_length(model: DataModel) -> None:
    for entity in model.entities:
        for field in entity.fields:
            if field.type is FieldType.TEXT:
                assert field.max_length is not None, f"{entity.name}.{field.name}"


def test_compositions_are_exactly_the_documented_ones(model: DataModel) -> None:
    compositions = {
        (e.name, f.name)
        for e in model.entities
        for f in e.lookups
        if f.kind is RelationshipKind.COMPOSITION
    }
    assert compositions == {
        ("QuotationLine", "Quotation"),
        ("SalesOrderLine", "SalesOrder"),
        ("SalesOrderLineShipment", "SalesOrderLine"),
        ("SalesInvoiceLine", "SalesInvoice"),
    }
    children = {(r.child, r.kind) for r in model.children_of("SalesOrder")}
    assert ("SalesOrderLine", RelationshipKind.COMPOSITION) in children
    assert ("SalesInvoice", RelationshipKind.ASSOCIATION) in children


AUTONUMBER_KEYS = {
    "Account": "AccountId",
    "Contact": "ContactId",
    "Lead": "LeadId",
    "Opportunity": "OpportunityId",
    "Product": "ProductId",
    "ProductCategory": "CategoryId",
    "Quotation": "QuotationId",
    "SalesOrder": "SalesOrderId",
    "SalesInvoice": "SalesInvoiceId",
    "Organization": "OrganizationId",
    "BusinessUnit": "BusinessUnitId",
    "Worker": "WorkerId",
    "AccountGroup": "AccountGroupId",
    "CostCenter": "CostCenterId",
}
LINE_KEYS = {
    "OpportunityProduct": ("Opportunity", "Sequence"),
    "QuotationLine": ("Quotation", "Sequence"),
    "SalesOrderLine": ("SalesOrder", "Sequence"),
    "SalesOrderLineShipment": ("SalesOrderLine", "Sequence"),
    "SalesInvoiceLine": ("SalesInvoice", "Sequence"),
    "UnitOfMeasureConversion": ("FromUnitOfMeasure", "ToUnitOfMeasure"),
}


def test_every_entity_has_a_key() -> None:
    assert set(AUTONUMBER_KEYS) | set(LINE_KEYS) == set(ALL_ENTITIES)


@pytest.mark.parametrize(("entity", "field"), AUTONUMBER_KEYS.items())
def test_autonumber_business_id_is_the_key(model: DataModel, entity: str, field: str) -> None:
    found = model.entity(entity)
    assert found.keys == {field: (field,)}
    assert found.primary_key == (field,)
    business_id = found.field_or_none(field)
    assert business_id is not None
    assert business_id.type is FieldType.AUTONUMBER
    assert business_id.unique
    assert business_id.searchable
    assert business_id.prefix
    assert 2 <= len(business_id.prefix) <= 4
    assert business_id.prefix.isupper()
    assert business_id.digits == 6


def test_autonumber_prefixes_are_distinct(model: DataModel) -> None:
    prefixes = [
        f.prefix for e in model.entities for f in e.fields if f.type is FieldType.AUTONUMBER
    ]
    assert len(prefixes) == len(AUTONUMBER_KEYS)
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize(("entity", "fields"), LINE_KEYS.items())
def test_line_entity_key(model: DataModel, entity: str, fields: tuple[str, ...]) -> None:
    assert model.entity(entity).keys == {entity: fields}


@pytest.mark.parametrize(
    ("entity", "primary_name"),
    [
        ("Account", "FullName"),
        ("Contact", "FullName"),
        ("Lead", "FullName"),
        ("Organization", "FullName"),
        ("BusinessUnit", "FullName"),
        ("Worker", "FullName"),
        ("Opportunity", "Name"),
        ("Product", "Name"),
        ("ProductCategory", "Name"),
        ("Quotation", "Name"),
        ("QuotationLine", "Name"),
        ("SalesOrder", "Name"),
        ("SalesOrderLine", "Name"),
        ("SalesInvoice", "Name"),
        ("SalesInvoiceLine", "Name"),
        ("AccountGroup", "Name"),
        ("CostCenter", "Name"),
        ("OpportunityProduct", None),
        ("UnitOfMeasureConversion", None),
        ("SalesOrderLineShipment", None),
    ],
)
def test_primary_name(model: DataModel, entity: str, primary_name: str | None) -> None:
    found = model.entity(entity)
    assert found.primary_name == primary_name
    if primary_name is not None:
        assert found.field_or_none(primary_name).type is FieldType.TEXT


@pytest.mark.parametrize("name", ALL_ENTITIES)
def test_entity_has_all_seven_field_groups(model: DataModel, name: str) -> None:
    groups = model.entity(name).field_groups
    assert set(groups) == set(DEFAULT_FIELD_GROUPS)
    assert all(groups[g] for g in DEFAULT_FIELD_GROUPS), "no group is empty"


@pytest.mark.parametrize(
    ("entity", "group", "members"),
    [
        ("Account", "DefaultIdentification", ("AccountId", "FullName")),
        ("Contact", "DefaultLookup", ("ContactId", "FullName", "EmailPrimary")),
        (
            "Lead",
            "DefaultCreate",
            (
                "PersonName",
                "Status",
                "WebsiteURL",
                "PartyType",
                "Source",
                "IsEmailContactAllowed",
                "IsPhoneContactAllowed",
                "IsSecurityPrincipal",
            ),
        ),
        ("OpportunityProduct", "DefaultLookup", ("Product", "Opportunity")),
        ("ProductCategory", "DefaultLookup", ("CategoryId", "Name", "Description")),
        ("QuotationLine", "DefaultIdentification", ("Sequence", "ProductName")),
        ("SalesOrderLine", "DefaultIdentification", ("SalesOrder", "Sequence", "ProductName")),
        (
            "SalesOrderLineShipment",
            "DefaultReport",
            ("Status", "ActualShipDate", "SalesOrderLine", "Description", "Quantity"),
        ),
        ("SalesInvoice", "DefaultLookup", ("SalesInvoiceId", "InvoiceDate", "Name", "Account")),
        ("SalesInvoiceLine", "DefaultIdentification", ("SalesInvoice", "Sequence", "Product")),
        ("BusinessUnit", "DefaultCard", ("FullName", "OrganizationName", "ParentBusinessUnit")),
        (
            "Worker",
            "DefaultCreate",
            (
                "Name",
                "Status",
                "Description",
                "Manager",
                "BusinessUnit",
                "PartyType",
                "Source",
                "IsEmailContactAllowed",
                "IsPhoneContactAllowed",
                "Type",
            ),
        ),
    ],
)
def test_field_group_members(
    model: DataModel, entity: str, group: str, members: tuple[str, ...]
) -> None:
    assert model.entity(entity).field_groups[group] == members


@pytest.mark.parametrize("name", MINIMAL_ENTITIES)
def test_minimal_entity_shape(model: DataModel, name: str) -> None:
    entity = model.entity(name)
    assert [f.name for f in entity.fields] == [f"{name}Id", "Description", "Name"]
    assert entity.field_or_none("Name").required
    assert entity.field_or_none("Name").length == 128
    assert entity.field_or_none("Description").length == 128


# ---------------------------------------------------------------- picklists


def test_all_appendix_a_picklists_are_shipped(model: DataModel) -> None:
    assert len(APPENDIX_A_PICKLISTS) == 189
    shipped = [p.name for p in model.picklists]
    assert len(shipped) >= 189
    assert sorted(shipped) == sorted(APPENDIX_A_PICKLISTS)
    assert all(p.standard for p in model.picklists)


def test_picklist_values_are_numbered_in_listed_order(model: DataModel) -> None:
    for picklist in model.picklists:
        assert [i.value for i in picklist.items] == list(range(len(picklist.items))), picklist.name


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("AccountStatus", ["Active", "Inactive"]),
        ("Gender", ["Female", "Male", "Nonspecific", "NotSpecified"]),
        ("QuotationType", ["Maintainence", "Product", "Service"]),
        (
            "OrderStatus",
            [
                "Active",
                "Cancelled",
                "Confirmed",
                "Invoice",
                "PackingSlip",
                "PartiallyInvoiced",
                "PartiallyPacked",
                "PartiallyPicked",
                "PartiallyShipped",
                "Picked",
                "Quote",
                "Shipped",
            ],
        ),
        ("PaymentTerms", ["Net30", "Net45", "Net60", "TwoPercent10Net30"]),
        ("ShippingMethod", ["AirBorne", "DHL", "Fedex", "PostalMail", "UPS"]),
        ("WorkerType", ["Contractor", "Employee", "Unspecified", "Volunteer"]),
        ("sex", ["Female", "Male", "Unknown"]),
        ("JobTitle", ["NotSpecified"]),
        ("MaritalStatus", ["Divorced", "Married", "None", "Single", "Widowed"]),
        # YAML 1.1 would read these as booleans unless quoted.
        ("NoYes", ["No", "Yes"]),
        ("NoYesUnchanged", ["No", "Unchanged", "Yes"]),
        # Appendix A has only Default; the entity tables add ten more, appended after it.
        ("Source", ["Default"] + [v for v in SOURCE_VALUES if v != "Default"]),
    ],
)
def test_picklist_values(model: DataModel, name: str, values: list[str]) -> None:
    assert picklist_names(model, name) == values


def test_quotation_type_keeps_the_source_spelling(model: DataModel) -> None:
    field = model.entity("Quotation").field_or_none("QuotationType")
    assert field.picklist == "QuotationType"
    assert model.picklist(field.picklist).value_of("Maintainence") is not None


@pytest.mark.parametrize(
    ("name", "count", "first", "last", "samples"),
    [
        ("CurrencyCode", 179, "AED", "ZWL", ["USD", "EUR", "JPY", "ALL", "TRY", "XXX"]),
        ("CountryCode", 252, "AD", "ZW", ["NO", "US", "DE", "GB"]),
        ("UnitOfMeasure", 72, "Bag", "Yard", ["pHValue", "Each", "KilowattHour"]),
        (
            "Timezone",
            104,
            "GMT_CASABLANCA",
            "GMTPLUS1300NUKU_ALOFA",
            ["GMTMINUS0500EASTERNTIME", "GMTPLUS0100_AMSTERDAM_BERLIN_BERN_ROME"],
        ),
        ("IndustryCode", 34, "Accounting", "NotSpecified", ["Wholesale", "SIGAffiliations"]),
    ],
)
def test_long_picklists(
    model: DataModel, name: str, count: int, first: str, last: str, samples: list[str]
) -> None:
    items = picklist_names(model, name)
    assert len(items) == count
    assert items[0] == first
    assert items[-1] == last
    for sample in samples:
        assert sample in items


def test_industry_code_appends_not_specified_after_the_appendix_values(model: DataModel) -> None:
    items = picklist_names(model, "IndustryCode")
    assert items[-2:] == ["Wholesale", "NotSpecified"]


@pytest.mark.parametrize(
    "entity", ["Account", "Contact", "Lead", "Organization", "BusinessUnit", "Worker"]
)
def test_source_values_of_the_entity_tables_are_valid(model: DataModel, entity: str) -> None:
    field = model.entity(entity).field_or_none("Source")
    assert field.required
    picklist = model.picklist(field.picklist)
    for value in SOURCE_VALUES:
        assert picklist.value_of(value) is not None, value


def test_currency_parts_resolve_to_the_currency_code_picklist(model: DataModel) -> None:
    amount = model.entity("SalesOrder").field_or_none("TotalAmount")
    picklists = {part.picklist for part in amount.parts if part.picklist}
    assert picklists == {"CurrencyCode"}
    assert model.has_picklist("CurrencyCode")


def test_every_picklist_and_lookup_reference_resolves(model: DataModel) -> None:
    for entity in model.entities:
        for field in entity.fields:
            if field.type is FieldType.PICKLIST:
                assert model.has_picklist(field.picklist), f"{entity.name}.{field.name}"
            if field.type is FieldType.LOOKUP:
                assert model.has_entity(field.target), f"{entity.name}.{field.name}"
