"""The CDS field types and what each one means for storage and validation.

One table (TYPE_SPECS) describes every type: the storage family its values take, its default
and largest length, and, for the compound types (Address, PersonName, Currency), the parts
they are flattened into. Everything else (DDL, validation, CDM import) reads this table
instead of comparing type names inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    """The field data types of CDS 1.0 (cds-model.md section 4)."""

    TEXT = "Text"
    MULTILINE = "Multiline"
    NUMBER = "Number"
    INTEGER = "Integer"
    BIG_INTEGER = "BigInteger"
    BOOLEAN = "Boolean"
    CURRENCY = "Currency"
    DATE = "Date"
    DATETIME = "DateTime"
    EMAIL = "Email"
    PHONE = "Phone"
    URL = "Url"
    GUID = "Guid"
    LOOKUP = "Lookup"
    PICKLIST = "Picklist"
    QUANTITY = "Quantity"
    AUTONUMBER = "AutoNumber"
    ADDRESS = "Address"
    PERSON_NAME = "PersonName"
    IMAGE_URL = "ImageUrl"


# Spellings found in the CDS entity tables and documents, mapped to the canonical type.
TYPE_ALIASES: dict[str, FieldType] = {
    "multilinetext": FieldType.MULTILINE,
    "multiline text": FieldType.MULTILINE,
    "memo": FieldType.MULTILINE,
    "autonumber (number sequence)": FieldType.AUTONUMBER,
    "number sequence": FieldType.AUTONUMBER,
    "websiteurl": FieldType.URL,
    "image": FieldType.IMAGE_URL,
    "decimal": FieldType.NUMBER,
    "string": FieldType.TEXT,
    "datetime": FieldType.DATETIME,
}


def parse_field_type(name: str) -> FieldType:
    """Return the FieldType for a name in any documented spelling, case-insensitively."""
    lowered = name.strip().lower()
    for member in FieldType:
        if member.value.lower() == lowered:
            return member
    if lowered in TYPE_ALIASES:
        return TYPE_ALIASES[lowered]
    known = ", ".join(t.value for t in FieldType)
    raise ValueError(f"unknown field type '{name}' (known types: {known})")


class Storage(StrEnum):
    """The storage family of a scalar value: decides the column type and the validator."""

    STRING = "string"
    DECIMAL = "decimal"
    INTEGER = "integer"
    BIG_INTEGER = "big_integer"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    GUID = "guid"
    PICKLIST = "picklist"
    LOOKUP = "lookup"
    COMPOUND = "compound"


@dataclass(frozen=True)
class Part:
    """One part of a compound type, stored as its own column named `<Field>_<Part>`."""

    name: str
    type: FieldType
    max_length: int | None = None
    picklist: str | None = None


@dataclass(frozen=True)
class TypeSpec:
    """What a field type is: its storage, its length limits and (for compounds) its parts."""

    storage: Storage
    default_length: int | None = None
    max_length: int | None = None
    standard_max_length: int | None = None
    parts: tuple[Part, ...] = ()
    user_creatable: bool = True


INTEGER_MIN = -2_147_483_648
INTEGER_MAX = 2_147_483_647
NUMBER_DIGITS = 32
NUMBER_DECIMALS = 6
TEXT_MAX = 128
MULTILINE_MAX = 2048
# Standard entities declare Text fields longer than the 128 the type table allows
# (cds-model.md section 4): they are accepted on standard entities up to this length.
STANDARD_TEXT_MAX = 4000

ADDRESS_PARTS = (
    Part("Line1", FieldType.TEXT, 128),
    Part("Line2", FieldType.TEXT, 128),
    Part("City", FieldType.TEXT, 128),
    Part("StateOrProvince", FieldType.TEXT, 128),
    Part("PostalCode", FieldType.TEXT, 32),
    Part("CountryRegion", FieldType.TEXT, 128),
)
PERSON_NAME_PARTS = (
    Part("GivenName", FieldType.TEXT, 128),
    Part("MiddleName", FieldType.TEXT, 128),
    Part("FamilyName", FieldType.TEXT, 128),
)
CURRENCY_PARTS = (
    Part("Amount", FieldType.NUMBER),
    Part("CurrencyCode", FieldType.PICKLIST, picklist="CurrencyCode"),
)

TYPE_SPECS: dict[FieldType, TypeSpec] = {
    FieldType.TEXT: TypeSpec(Storage.STRING, TEXT_MAX, TEXT_MAX, STANDARD_TEXT_MAX),
    FieldType.MULTILINE: TypeSpec(Storage.STRING, MULTILINE_MAX, MULTILINE_MAX, MULTILINE_MAX),
    FieldType.EMAIL: TypeSpec(Storage.STRING, 256, 256, 256),
    FieldType.PHONE: TypeSpec(Storage.STRING, 64, 64, 64),
    FieldType.URL: TypeSpec(Storage.STRING, 2048, 2048, 2048),
    FieldType.IMAGE_URL: TypeSpec(Storage.STRING, 2048, 2048, 2048),
    FieldType.AUTONUMBER: TypeSpec(Storage.STRING, 64, 64, 64),
    FieldType.NUMBER: TypeSpec(Storage.DECIMAL),
    FieldType.QUANTITY: TypeSpec(Storage.DECIMAL),
    FieldType.INTEGER: TypeSpec(Storage.INTEGER),
    FieldType.BIG_INTEGER: TypeSpec(Storage.BIG_INTEGER, user_creatable=False),
    FieldType.BOOLEAN: TypeSpec(Storage.BOOLEAN),
    FieldType.DATE: TypeSpec(Storage.DATE),
    FieldType.DATETIME: TypeSpec(Storage.DATETIME),
    FieldType.GUID: TypeSpec(Storage.GUID),
    FieldType.PICKLIST: TypeSpec(Storage.PICKLIST),
    FieldType.LOOKUP: TypeSpec(Storage.LOOKUP),
    FieldType.ADDRESS: TypeSpec(Storage.COMPOUND, parts=ADDRESS_PARTS),
    FieldType.PERSON_NAME: TypeSpec(Storage.COMPOUND, parts=PERSON_NAME_PARTS),
    FieldType.CURRENCY: TypeSpec(Storage.COMPOUND, parts=CURRENCY_PARTS),
}

# Type changes allowed on an existing field, when every stored value fits the new type.
# Key: (from storage, to storage). Same-storage changes (e.g. Text -> Multiline) are always
# candidates; the store checks lengths and values before it alters anything.
WIDENINGS: frozenset[tuple[Storage, Storage]] = frozenset(
    {
        (Storage.INTEGER, Storage.BIG_INTEGER),
        (Storage.INTEGER, Storage.DECIMAL),
        (Storage.BIG_INTEGER, Storage.DECIMAL),
        (Storage.INTEGER, Storage.STRING),
        (Storage.DECIMAL, Storage.STRING),
        (Storage.DATE, Storage.DATETIME),
        (Storage.DATE, Storage.STRING),
        (Storage.DATETIME, Storage.STRING),
        (Storage.BOOLEAN, Storage.STRING),
        (Storage.GUID, Storage.STRING),
        (Storage.STRING, Storage.INTEGER),
        (Storage.STRING, Storage.DECIMAL),
        (Storage.DECIMAL, Storage.INTEGER),
    }
)


def spec_of(field_type: FieldType) -> TypeSpec:
    """The TypeSpec of a field type."""
    return TYPE_SPECS[field_type]
