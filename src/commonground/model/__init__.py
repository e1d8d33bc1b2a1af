"""Metadata as data: entities, fields, picklists and the loaders for YAML and CDM definitions."""

from commonground.model.datamodel import DataModel, Relationship
from commonground.model.entity import SYSTEM_FIELDS, Entity
from commonground.model.field import Field, RelationshipKind
from commonground.model.picklist import Picklist, PicklistItem
from commonground.model.types import FieldType, Storage

__all__ = [
    "SYSTEM_FIELDS",
    "DataModel",
    "Entity",
    "Field",
    "FieldType",
    "Picklist",
    "PicklistItem",
    "Relationship",
    "RelationshipKind",
    "Storage",
]
