"""Discovery: an environment's entities in the integrator's portable vocabulary.

Picklists travel as item names (text) and compound fields (address, person name, currency)
as mappings of their parts, the same shapes the service reads and writes. System fields are
read-only; AutoNumber fields and fields with a default are never required, since the
environment fills them in when a write leaves them out.
"""

from __future__ import annotations

from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.model.entity import RECORD_ID, Entity
from commonground.model.field import Field
from commonground.model.types import FieldType, Storage

KIND_OF_STORAGE: dict[Storage, ValueKind] = {
    Storage.STRING: ValueKind.TEXT,
    Storage.DECIMAL: ValueKind.DECIMAL,
    Storage.INTEGER: ValueKind.INTEGER,
    Storage.BIG_INTEGER: ValueKind.INTEGER,
    Storage.BOOLEAN: ValueKind.BOOLEAN,
    Storage.DATE: ValueKind.DATE,
    Storage.DATETIME: ValueKind.DATETIME,
    Storage.GUID: ValueKind.GUID,
    Storage.PICKLIST: ValueKind.TEXT,
    Storage.LOOKUP: ValueKind.LOOKUP,
    Storage.COMPOUND: ValueKind.STRUCTURED,
}


def field_info(field: Field) -> FieldInfo:
    """One field as discovery reports it."""
    generated = field.type is FieldType.AUTONUMBER or field.default is not None
    return FieldInfo(
        name=field.name,
        kind=KIND_OF_STORAGE[field.storage],
        max_length=field.length if field.storage is Storage.STRING else None,
        required=field.required and not field.system and not generated,
        read_only=field.system,
        targets=(field.target,) if field.target else (),
    )


def entity_info(entity: Entity) -> EntityInfo:
    """One entity: system and declared fields, its keys, and change tracking (always on).

    Keys are the alternate keys (the primary key first), single unique fields, then RecordId.
    """
    keys = list(entity.keys.values())
    keys += [(f.name,) for f in entity.fields if f.unique and (f.name,) not in keys]
    return EntityInfo(
        name=entity.name,
        fields=tuple(field_info(f) for f in entity.all_fields),
        keys=(*keys, (RECORD_ID,)),
        change_tracking=True,
    )
