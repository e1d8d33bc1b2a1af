"""Read CDM traits and their shortcut properties (cds-model.md section 18.3).

A CDM attribute can state a fact in two ways: as a shortcut property
(`maximumLength: 160`) or as an applied trait (`is.constrained` with argument
`maximumLength`). Traits are written as a bare name, as `{traitReference: name, arguments}`,
or with an inline trait definition. These helpers accept every form so the mapping code asks
one question ("what is the maximum length?") and never inspects JSON shapes itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Json = dict[str, Any]

REQUIRED_LEVELS = frozenset({"systemrequired", "required"})

# Traits the importer reads (or that only restate what it reads elsewhere).
HANDLED_TRAITS = frozenset(
    {
        "is.requiredAtLevel",
        "is.required",
        "is.constrained",
        "is.nullable",
        "is.identifiedBy",
        "does.haveDefault",
        "does.addSupportingAttribute",
        "is.linkedEntity.identifier",
        "is.linkedEntity.name",
    }
)
# Trait families that carry meaning or provenance only, nothing our metadata could hold.
DESCRIPTIVE_PREFIXES = ("means.", "is.localized.", "is.CDS.", "is.CDM.", "is.dataFormat.", "has.")


def trait_name(reference: Any) -> str | None:
    """The name of a trait reference in any of its written forms."""
    if isinstance(reference, str):
        return reference
    if isinstance(reference, dict):
        inner = reference.get("traitReference", reference.get("traitName"))
        if isinstance(inner, str):
            return inner
        if isinstance(inner, dict):
            return trait_name(inner)
    return None


def traits_of(obj: Json, key: str = "appliedTraits") -> list[Any]:
    """The trait list under `key` (appliedTraits for attributes, exhibitsTraits for entities)."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def find_trait(traits: Iterable[Any], name: str) -> Any | None:
    """The first trait reference with this name, or None."""
    for trait in traits:
        if trait_name(trait) == name:
            return trait
    return None


def argument(trait: Any, name: str, position: int | None = 0) -> Any:
    """An argument of a trait: by name (`{name, value}`), else the unnamed one at `position`.

    `position=None` asks for the named argument only.
    """
    if not isinstance(trait, dict):
        return None
    arguments = trait.get("arguments")
    if not isinstance(arguments, list):
        return None
    unnamed = []
    for item in arguments:
        if isinstance(item, dict) and "name" in item and "value" in item:
            if item["name"] == name:
                return item["value"]
        else:
            unnamed.append(item)
    if position is None or position >= len(unnamed):
        return None
    return unnamed[position]


def constant_rows(value: Any) -> list[list[Any]]:
    """The `constantValues` rows of an entity-reference argument (localized texts, options)."""
    if not isinstance(value, dict):
        return []
    reference = value.get("entityReference", value)
    rows = reference.get("constantValues") if isinstance(reference, dict) else None
    if not isinstance(rows, list):
        return []
    return [row for row in rows if isinstance(row, list)]


def entity_shape(value: Any) -> str | None:
    """The `entityShape` of an entity-reference argument (`listLookupValues`, ...)."""
    if not isinstance(value, dict):
        return None
    reference = value.get("entityReference", value)
    shape = reference.get("entityShape") if isinstance(reference, dict) else None
    return shape if isinstance(shape, str) else None


def _localized(trait: Any) -> str | None:
    """The English text of a localized-table trait, or the first text if there is no English."""
    rows = [row for row in constant_rows(argument(trait, "localizedDisplayText")) if len(row) > 1]
    for row in rows:
        if str(row[0]).lower().startswith("en") and isinstance(row[1], str):
            return row[1]
    return str(rows[0][1]) if rows else None


def display_name(obj: Json, key: str = "appliedTraits") -> str | None:
    """The display name: the `displayName` property or the `is.localized.displayedAs` trait."""
    value = obj.get("displayName")
    if isinstance(value, str) and value:
        return value
    return _localized(find_trait(traits_of(obj, key), "is.localized.displayedAs"))


def description(obj: Json, key: str = "appliedTraits") -> str | None:
    """The description: the `description` property or the `is.localized.describedAs` trait."""
    value = obj.get("description")
    if isinstance(value, str) and value:
        return value
    return _localized(find_trait(traits_of(obj, key), "is.localized.describedAs"))


def required_level(obj: Json) -> str | None:
    """The `level` argument of `is.requiredAtLevel` (systemrequired, required, ...), if any."""
    level = argument(find_trait(traits_of(obj), "is.requiredAtLevel"), "level")
    return level.lower() if isinstance(level, str) else None


def is_required(obj: Json) -> bool:
    """Whether a value must be present.

    `is.requiredAtLevel` decides when present (systemrequired and required map to our Required
    flag; CDM marks many required attributes nullable at the storage level). Without it, an
    explicit `isNullable: false` or an `is.required` trait makes the field required.
    """
    level = required_level(obj)
    if level is not None:
        return level in REQUIRED_LEVELS
    if find_trait(traits_of(obj), "is.required") is not None:
        return True
    nullable = obj.get("isNullable")
    return nullable is False


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def max_length(obj: Json, extra_traits: Iterable[Any] = ()) -> int | None:
    """The maximum length: the `maximumLength` property or the `is.constrained` argument.

    `extra_traits` are the traits of the data type reference, which may constrain it too.
    """
    value = _as_int(obj.get("maximumLength"))
    if value is not None:
        return value
    for traits in (traits_of(obj), list(extra_traits)):
        trait = find_trait(traits, "is.constrained")
        value = _as_int(argument(trait, "maximumLength", None))
        if value is not None:
            return value
    return None


def has_range(obj: Json) -> bool:
    """Whether a minimum or maximum value is declared (we have no range constraint to keep it)."""
    if obj.get("minimumValue") is not None or obj.get("maximumValue") is not None:
        return True
    trait = find_trait(traits_of(obj), "is.constrained")
    return any(argument(trait, key, None) is not None for key in ("minimumValue", "maximumValue"))


def unhandled_traits(obj: Json) -> list[str]:
    """Names of the traits and shortcut properties on an attribute that our model cannot hold."""
    names = []
    for trait in traits_of(obj):
        name = trait_name(trait)
        if name is None or name in HANDLED_TRAITS or name.startswith(DESCRIPTIVE_PREFIXES):
            continue
        names.append(name)
    if obj.get("isReadOnly") is True:
        names.append("is.readOnly")
    if obj.get("valueConstrainedToList") is True:
        names.append("is.constrainedList")
    if has_range(obj):
        names.append("minimumValue/maximumValue")
    return names


def purpose(obj: Json) -> str | None:
    """The purpose of an attribute (`identifiedBy`, `namedBy`, ...); older files: relationship."""
    value = obj.get("purpose", obj.get("relationship"))
    if isinstance(value, dict):
        value = value.get("purposeReference", value.get("relationshipReference"))
    return value if isinstance(value, str) else None


def reference_name(value: Any, key: str) -> str | None:
    """The name in a reference written as a string or as `{key: name}` (e.g. entityReference)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get(key)
        if isinstance(inner, str):
            return inner
    return None
