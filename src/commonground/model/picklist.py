"""Picklists (option sets): named lists of items, each stored as an integer value."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator, model_validator

from commonground.model.field import NAME_PATTERN


class PicklistItem(BaseModel):
    """One item: the name used in records and filters, the integer stored, a display name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    value: int
    display_name: str | None = None


class Picklist(BaseModel):
    """A standard or custom picklist. Its name is unique in an environment and never changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    display_name: str | None = None
    description: str | None = None
    standard: bool = False
    items: tuple[PicklistItem, ...]

    _by_name: dict[str, int] = PrivateAttr(default_factory=dict)
    _by_value: dict[int, str] = PrivateAttr(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(f"picklist name '{value}' may hold only letters, digits and '_'")
        return value

    @field_validator("items", mode="before")
    @classmethod
    def _expand_items(cls, value: Any) -> Any:
        """Accept `[A, B]` (values 0, 1, ... in order), `{A: 3}` or full item mappings."""
        if isinstance(value, dict):
            return [{"name": name, "value": number} for name, number in value.items()]
        if isinstance(value, list | tuple):
            return [
                {"name": item, "value": position} if isinstance(item, str) else item
                for position, item in enumerate(value)
            ]
        return value

    @model_validator(mode="after")
    def _check_items(self) -> Picklist:
        if not self.items:
            raise ValueError(f"picklist '{self.name}' has no items")
        seen_names: set[str] = set()
        seen_values: set[int] = set()
        for item in self.items:
            if item.name.lower() in seen_names:
                raise ValueError(f"picklist '{self.name}' lists item '{item.name}' twice")
            if item.value in seen_values:
                raise ValueError(f"picklist '{self.name}' uses value {item.value} twice")
            seen_names.add(item.name.lower())
            seen_values.add(item.value)
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._by_name = {item.name.lower(): item.value for item in self.items}
        self._by_value = {item.value: item.name for item in self.items}

    def value_of(self, name: str) -> int | None:
        """The stored value of an item name (case-insensitive), or None if it is not listed."""
        return self._by_name.get(name.lower())

    def name_of(self, value: int) -> str | None:
        """The item name for a stored value, or None."""
        return self._by_value.get(value)
