"""The documented direct mappings of the master-data templates, transcribed as data.

From prospect-to-cash.md sections 9, 10 and 11 (which transcribe the mapping screenshots), row
by row and in the images' order: the source field (None where the image shows None), the map
type as shown (`=` or `Fn`), the destination field, and the transform chain. Where the image
shows `Fn` and the article states the value (Default 10, 1, 13, en-us, "standard", "Default
unit", the Yes flags), the chain is the documented one. Where it says "not documented", the
chain is the value Common Ground chose, marked `ours` with the reason; the templates'
descriptions repeat these choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Transform = list[dict[str, Any]]


@dataclass(frozen=True)
class Row:
    """One documented row of a direct mapping."""

    source: str | None
    map: str  # "=" or "Fn", as the image shows it
    destination: str
    transform: Transform | None = None
    ours: str = ""  # why we chose the transform, where the documentation does not give it


@dataclass(frozen=True)
class Documented:
    """One template's documented task: names, entities and its direct mapping."""

    template: str
    version: str
    task: str
    source: str  # role.entity
    destination: str
    filtered: bool
    rows: tuple[Row, ...]


def default(value: Any) -> Transform:
    """A Default transform, as the article's JSON writes it."""
    return [{"transformType": "Default", "defaultValue": value}]


def value_map(entries: dict[str, Any]) -> Transform:
    """A ValueMap transform."""
    return [{"transformType": "ValueMap", "valueMap": entries}]


# The country value map (not published; "legacy default USA", quotes: "blank = US"): the
# spellings of the data-integrator.md section 12 example, Japan as JP, plus GB, AU and CA
# names and codes; the blank key gives US for blank and for values the map lacks.
COUNTRIES = value_map(
    {
        "": "US",
        "us": "US",
        "usa": "US",
        "united states": "US",
        "united states of america": "US",
        "de": "DE",
        "deu": "DE",
        "germany": "DE",
        "fr": "FR",
        "fra": "FR",
        "france": "FR",
        "gb": "GB",
        "gbr": "GB",
        "uk": "GB",
        "united kingdom": "GB",
        "jp": "JP",
        "jpn": "JP",
        "japan": "JP",
        "in": "IN",
        "ind": "IN",
        "india": "IN",
        "au": "AU",
        "aus": "AU",
        "australia": "AU",
        "ca": "CA",
        "can": "CA",
        "canada": "CA",
    }
)
COUNTRY_CHOICE = "country value map not published: common spellings, blank = US"
CURRENCY_CHOICE = "transform not documented: a missing currency becomes USD (staging shows USD)"

ACCOUNTS = Documented(
    template="Accounts (Sales to Fin and Ops) - Direct",
    version="2.0.0.0",
    task="Accounts - Customers",
    source="sales.accounts",
    destination="operations.CustCustomerV2Entity",
    filtered=False,
    rows=(
        Row("creditlimit", "=", "CREDITLIMIT"),
        Row(None, "Fn", "CUSTOMERGROUPID", default("10")),
        Row("fax", "=", "PRIMARYCONTACTFAX"),
        Row("numberofemployees", "=", "ORGANIZATIONNUMBEROFEMPLOYEES"),
        Row(
            "transactioncurrencyid.isocurrencycode",
            "Fn",
            "SALESCURRENCYCODE",
            default("USD"),
            CURRENCY_CHOICE,
        ),
        Row("accountnumber", "=", "CUSTOMERACCOUNT"),
        Row("address1_city", "=", "ADDRESSCITY"),
        Row("address1_country", "Fn", "ADDRESSCOUNTRYREGIONISOCODE", COUNTRIES, COUNTRY_CHOICE),
        Row("description", "=", "SALESMEMO"),
        Row("emailaddress1", "=", "PRIMARYCONTACTEMAIL"),
        Row("address1_line1", "=", "ADDRESSSTREET"),
        Row(None, "Fn", "PARTYTYPE", default("Organization"), "the DI concept doc's example"),
        Row("telephone1", "=", "PRIMARYCONTACTPHONE"),
        Row("address1_postalcode", "=", "ADDRESSZIPCODE"),
        Row("address1_stateorprovince", "=", "ADDRESSSTATE"),
        Row("websiteurl", "=", "PRIMARYCONTACTURL"),
        Row(None, "Fn", "ADDRESSLOCATIONROLES", default("Invoice"), "seen in F&O staging"),
        Row("name", "=", "ORGANIZATIONNAME"),
        Row(None, "Fn", "SITEID", default("1")),
        Row(None, "Fn", "WAREHOUSEID", default("13")),
        Row(None, "Fn", "LANGUAGEID", default("en-us")),
        Row("accountnumber", "=", "PARTYNUMBER"),
        Row("name", "=", "ADDRESSDESCRIPTION"),
        Row(None, "Fn", "ISEXTERNALLYMAINTAINED", default(True)),
        Row("address2_line1", "=", "DELIVERYADDRESSSTREET"),
        Row("address2_city", "=", "DELIVERYADDRESSCITY"),
        Row(
            "address2_country",
            "Fn",
            "DELIVERYADDRESSCOUNTRYREGIONISOCODE",
            COUNTRIES,
            COUNTRY_CHOICE,
        ),
        Row("address2_postalcode", "=", "DELIVERYADDRESSZIPCODE"),
        Row("address2_stateorprovince", "=", "DELIVERYADDRESSSTATE"),
        Row("name", "=", "DELIVERYADDRESSDESCRIPTION"),
    ),
)

CONTACTS = Documented(
    template="Contacts (Sales to Fin and Ops) - Direct",
    version="2.0.0.1",
    task="Contacts",
    source="sales.contacts",
    destination="operations.smmContactPersonCDSEntity",
    filtered=True,
    rows=(
        Row("department", "=", "EmploymentDepartment"),
        Row("description", "=", "Notes"),
        Row("emailaddress1", "=", "PrimaryEmailAddress"),
        Row(
            "gendercode",
            "Fn",
            "Gender",
            value_map({"1": "Male", "2": "Female"}),
            "value map not documented: Dataverse 1 Male, 2 Female",
        ),
        Row("governmentid", "=", "GovernmentIdentificationNumber"),
        Row("firstname", "=", "FirstName"),
        Row("lastname", "=", "LastName"),
        Row("msdynce_contactnumber", "=", "ContactPersonPartyNumber"),
        Row("address1_city", "=", "PrimaryAddressCity"),
        Row(
            "address1_country",
            "Fn",
            "PrimaryAddressCountryRegionISOCode",
            COUNTRIES,
            COUNTRY_CHOICE,
        ),
        Row("middlename", "=", "MiddleName"),
        Row("address1_line1", "=", "PrimaryAddressStreet"),
        Row(None, "Fn", "ContactPersonPartyType", default("Person"), "default not documented"),
        Row("telephone1", "=", "PrimaryPhoneNumber"),
        Row("address1_postalcode", "=", "PrimaryAddressZipCode"),
        Row("address1_stateorprovince", "=", "PrimaryAddressStateId"),
        Row("websiteurl", "=", "PrimaryURL"),
        Row(
            "familystatuscode",
            "Fn",
            "MaritalStatus",
            value_map({"1": "Single", "2": "Married", "3": "Divorced", "4": "Widowed"}),
            "value map not documented: Dataverse's marital status values",
        ),
        Row(
            "donotemail",
            "Fn",
            "IsReceivingDirectMail",
            value_map({"false": True, "true": False}),
            "value map not documented: not allowing emails means no direct mail",
        ),
        Row("jobtitle", "=", "EmploymentProfession"),
        Row(
            "statecode",
            "Fn",
            "IsInactive",
            value_map({"0": False, "1": True}),
            "value map not documented: statecode 1 is Inactive",
        ),
        Row(
            "parentcustomerid.Account(accountnumber).Contact(msdynce_contactnumber)",
            "=",
            "AssociatedPartyNumber",
        ),
        Row(None, "Fn", "IsContactPersonExternallyMaintained", default(True)),
    ),
)

CONTACTS_TO_CUSTOMERS = Documented(
    template="Contacts to Customers (Sales to Fin and Ops) - Direct",
    version="2.0.0.1",
    task="ContactToCustomer",
    source="sales.contacts",
    destination="operations.CustCustomerV2Entity",
    filtered=True,
    rows=(
        Row("firstname", "=", "PERSONFIRSTNAME"),
        Row("middlename", "=", "PERSONMIDDLENAME"),
        Row("lastname", "=", "PERSONLASTNAME"),
        Row("creditlimit", "=", "CREDITLIMIT"),
        Row(None, "Fn", "CUSTOMERGROUPID", default("10")),
        Row("fax", "=", "PRIMARYCONTACTFAX"),
        Row(
            "transactioncurrencyid.isocurrencycode",
            "Fn",
            "SALESCURRENCYCODE",
            default("USD"),
            CURRENCY_CHOICE,
        ),
        Row("msdynce_contactnumber", "=", "CUSTOMERACCOUNT"),
        Row("address1_city", "=", "ADDRESSCITY"),
        Row("address1_country", "Fn", "ADDRESSCOUNTRYREGIONISOCODE", COUNTRIES, COUNTRY_CHOICE),
        Row("description", "=", "SALESMEMO"),
        Row("emailaddress1", "=", "PRIMARYCONTACTEMAIL"),
        Row("address1_line1", "=", "ADDRESSSTREET"),
        Row(None, "Fn", "PARTYTYPE", default("Person"), "not documented (person customer)"),
        Row("telephone1", "=", "PRIMARYCONTACTPHONE"),
        Row("address1_postalcode", "=", "ADDRESSZIPCODE"),
        Row("address1_stateorprovince", "=", "ADDRESSSTATE"),
        Row("websiteurl", "=", "PRIMARYCONTACTURL"),
        Row("fullname", "=", "ADDRESSDESCRIPTION"),
        Row(None, "Fn", "LANGUAGEID", default("en-us")),
        Row("msdynce_contactnumber", "=", "PARTYNUMBER"),
        Row(None, "Fn", "ISEXTERNALLYMAINTAINED", default(True), "inferred in the document"),
    ),
)

PRODUCTS = Documented(
    template="Products (Fin and Ops to Sales) - Direct",
    version="2.0.0.0",
    task="Products",
    source="operations.EcoResSellableReleasedProductEntity",
    destination="sales.products",
    filtered=False,
    rows=(
        Row("CURRENCYCODE", "=", "transactioncurrencyid.isocurrencycode"),
        Row("PRODUCTDESCRIPTION", "=", "description"),
        Row("PRODUCTNAME", "=", "name"),
        Row("PRODUCTNUMBER", "=", "productnumber"),
        Row(
            "SALESUNITSYMBOL",
            "Fn",
            "defaultuomid.name",
            value_map({"ea": "Each", "pcs": "Piece", "box": "Box", "kg": "Kilogram"}),
            "the unit value map is the customer's: ours covers the sample units",
        ),
        Row("SALESPRICE", "=", "price"),
        Row("UNITCOST", "=", "currentcost"),
        Row(
            "ISSTOCKEDPRODUCT",
            "Fn",
            "isstockitem",
            value_map({"": False, "true": True, "false": False, "yes": True, "no": False}),
            "value map not documented: F&O NoYes (or a boolean) to a boolean, blank = No",
        ),
        Row(
            "PRODUCTTYPE",
            "Fn",
            "producttypecode",
            value_map({"Item": 1, "Service": 3}),
            "value map not documented: Item is Sales Inventory (1), Service is Services (3)",
        ),
        Row(None, "Fn", "defaultuomscheduleid.name", default("Default unit")),
        Row(None, "Fn", "msdynce_ismaintainedexternally", default(True)),
        Row(
            "SALESUNITDECIMALPRECISION",
            "Fn",
            "quantitydecimal",
            default(0),
            "not documented: a missing precision becomes 0",
        ),
        # Not on the image: the article's text gives this Default to pin the price list.
        Row(None, "Fn", "pricelevelid.name", default("standard")),
    ),
)

MASTERS = (ACCOUNTS, CONTACTS, CONTACTS_TO_CUSTOMERS, PRODUCTS)
