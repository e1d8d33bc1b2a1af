"""Data models for the $metadata, service document and OpenAPI tests.

The standard model is loaded once (it is immutable). The custom model has one field of every
type a user can create (BigInteger is reserved for RecordId, which every entity has), a
composition, a required lookup, defaults and a two-field alternate key.
"""

from __future__ import annotations

from functools import cache

from commonground.model import DataModel, Entity, Field, FieldType, Picklist
from commonground.model.yaml_loader import standard_model

# Field name -> (type, extra properties), one per creatable type.
EVERY_TYPE: dict[str, tuple[FieldType, dict[str, object]]] = {
    "Label": (FieldType.TEXT, {"max_length": 40, "required": True}),
    "Notes": (FieldType.MULTILINE, {}),
    "Weight": (FieldType.NUMBER, {"decimals": 2}),
    "Count": (FieldType.INTEGER, {"default": 3}),
    "Active": (FieldType.BOOLEAN, {"default": True}),
    "Price": (FieldType.CURRENCY, {"decimals": 4}),
    "Born": (FieldType.DATE, {}),
    "Seen": (FieldType.DATETIME, {}),
    "Mail": (FieldType.EMAIL, {}),
    "Phone": (FieldType.PHONE, {}),
    "Site": (FieldType.URL, {}),
    "Token": (FieldType.GUID, {}),
    "Bin": (FieldType.LOOKUP, {"target": "Bin", "relationship": "composition", "required": True}),
    "Color": (FieldType.PICKLIST, {"picklist": "Color", "default": "Red"}),
    "Amount": (FieldType.QUANTITY, {}),
    "Code": (FieldType.AUTONUMBER, {"prefix": "G", "required": True}),
    "Place": (FieldType.ADDRESS, {}),
    "Owner": (FieldType.PERSON_NAME, {"required": True}),
    "Picture": (FieldType.IMAGE_URL, {}),
}


@cache
def standard() -> DataModel:
    """The shipped standard entities and picklists."""
    return standard_model()


def custom_model(*, reverse: bool = False) -> DataModel:
    """Gadget (every field type) in Bin (a composition), Crate (no keys, no children).

    `reverse` gives the same model built in the opposite order, for determinism checks.
    """
    gadget = Entity(
        name="Gadget",
        fields=tuple(
            Field.model_validate({"name": name, "type": kind, **extra})
            for name, (kind, extra) in EVERY_TYPE.items()
        ),
        keys={"GadgetCode": ("Code",), "BinLabel": ("Bin", "Label")},
    )
    bin_ = Entity(name="Bin", fields=(Field(name="Name", type=FieldType.TEXT),))
    crate = Entity(
        name="Crate", fields=(Field(name="Color", type=FieldType.PICKLIST, picklist="Color"),)
    )
    picklists = [
        Picklist.model_validate({"name": "Color", "items": ["Red", "Green", "Blue"]}),
        Picklist.model_validate({"name": "CurrencyCode", "items": {"EUR": 978, "USD": 840}}),
        Picklist.model_validate({"name": "Unused", "items": {"Big": 3_000_000_000}}),
    ]
    entities = [gadget, bin_, crate]
    if reverse:
        entities.reverse()
        picklists.reverse()
    return DataModel(entities, picklists)


def minimal_model() -> DataModel:
    """One entity with one text field: no compound types, no picklists, no lookups."""
    return DataModel([Entity(name="Note", fields=(Field(name="Body", type=FieldType.TEXT),))], [])
