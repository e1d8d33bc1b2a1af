"""CDM data types: follow `extendsDataType` chains to a type we know, and fit lengths.

CDM declares data types in its documents (`name < string`, `currency < decimal`,
`cdsVersionNumber < bigInteger`, cds-model.md 18.4). The importer knows the common ones by
name, so it works without the foundation documents; for any other name it walks the chain of
definitions visible from the attribute's document until it reaches a known name. The mapping
to our field types is a product decision recorded in KNOWN_TYPES.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commonground.model.cdm.corpus import Corpus, Document
from commonground.model.cdm.traits import traits_of
from commonground.model.types import MULTILINE_MAX, TEXT_MAX, FieldType, spec_of

_NAMES: dict[FieldType, tuple[str, ...]] = {
    FieldType.TEXT: (
        "string", "char", "name", "companyName", "firstName", "fullName", "lastName",
        "middleName", "addressLine", "city", "country", "county", "postalCode",
        "stateOrProvince", "tickerSymbol", "entityName", "attributeName", "fileName",
        "localizedDisplayText", "currencyCode", "languageTag"
    ),
    FieldType.EMAIL: ("email",),
    FieldType.PHONE: ("phone",),
    FieldType.URL: ("url",),
    FieldType.INTEGER: (
        "integer", "int32", "smallInteger", "unsignedInteger", "JSInteger", "byte", "sChar"
    ),
    FieldType.BIG_INTEGER: ("bigInteger", "int64"),
    FieldType.NUMBER: (
        "decimal", "fixedDecimal", "variableDecimal", "double", "float", "latitude", "longitude"
    ),
    FieldType.CURRENCY: ("currency", "money", "baseCurrency"),
    FieldType.BOOLEAN: ("boolean",),
    FieldType.DATE: ("date",),
    FieldType.DATETIME: ("dateTime", "dateTimeOffset"),
    FieldType.GUID: ("guid", "entityId", "userId"),
    FieldType.PICKLIST: ("listLookup", "listLookupCorrelated"),
}  # fmt: skip

# Lower-cased CDM (and model.json) data type name -> our field type. BIG_INTEGER is mapped to
# Integer by the caller, with a report line: BigInteger is reserved for RecordId.
KNOWN_TYPES: dict[str, FieldType] = {
    name.lower(): field_type for field_type, names in _NAMES.items() for name in names
}


@dataclass(frozen=True)
class DataType:
    """A resolved data type: the name as written, the chain walked, and what it maps to."""

    written: str
    chain: tuple[str, ...]
    field_type: FieldType | None
    traits: tuple[Any, ...]

    @property
    def path(self) -> str:
        """The chain for messages: `discountRate < percentage < decimal`."""
        return " < ".join(self.chain) or "(none)"


def _peel(value: Any, traits: list[Any]) -> str | None:
    """The type name in a data type reference, collecting the traits applied on the way."""
    while isinstance(value, dict):
        traits.extend(traits_of(value))
        if "dataTypeReference" in value:
            value = value["dataTypeReference"]
        elif isinstance(value.get("dataTypeName"), str):
            return str(value["dataTypeName"])
        else:
            return None
    return value if isinstance(value, str) and value else None


def resolve_data_type(corpus: Corpus | None, document: Document | None, value: Any) -> DataType:
    """Follow a data type reference (and `extendsDataType` definitions) to a known type.

    The chain stops at the first name in KNOWN_TYPES, so a corpus that declares
    `email < string` still yields Email. Unknown names without a definition give
    `field_type=None`; the caller maps those to Text and reports them.
    """
    traits: list[Any] = []
    inline = value if isinstance(value, dict) and "dataTypeName" in value else None
    written = _peel(value, traits) or ""
    chain: list[str] = []
    current: str | None = written
    while current and current not in chain:
        chain.append(current)
        known = KNOWN_TYPES.get(current.lower())
        if known is not None:
            return DataType(written, tuple(chain), known, tuple(traits))
        definition = inline if inline is not None and current == written else None
        if definition is None and corpus is not None and document is not None:
            found = corpus.find(document, "dataType", current)
            if found is not None:
                definition, document = found.definition, found.document
        if definition is None:
            break
        traits.extend(traits_of(definition, "exhibitsTraits"))
        current = _peel(definition.get("extendsDataType"), traits)
    return DataType(written, tuple(chain), None, tuple(traits))


@dataclass(frozen=True)
class Fit:
    """The type and length a text value ends up with, and why it changed (None if it did not)."""

    field_type: FieldType
    max_length: int | None
    note: str | None = None


def fit_length(field_type: FieldType, length: int | None) -> Fit:
    """Fit a CDM maximum length to our type limits.

    Our imported entities are not standard, so Text holds at most 128 characters: longer strings
    become Multiline (at most 2048), and anything longer still is clamped. Email, Phone and Url
    are clamped to their own limits. Lengths of non-text types are dropped.
    """
    spec = spec_of(field_type)
    if length is None or length < 1 or spec.max_length is None:
        return Fit(field_type, None)
    if field_type is FieldType.TEXT and length > TEXT_MAX:
        if length <= MULTILINE_MAX:
            return Fit(
                FieldType.MULTILINE,
                length,
                f"maximumLength {length} exceeds the Text limit of {TEXT_MAX}: mapped to Multiline",
            )
        return Fit(
            FieldType.MULTILINE,
            MULTILINE_MAX,
            f"maximumLength {length} exceeds even the Multiline limit of {MULTILINE_MAX}: "
            f"mapped to Multiline and clamped to {MULTILINE_MAX}",
        )
    if length > spec.max_length:
        return Fit(
            field_type,
            spec.max_length,
            f"maximumLength {length} exceeds the {field_type} limit: clamped to {spec.max_length}",
        )
    return Fit(field_type, length)
