"""What users define: connections, connection sets, projects, tasks, field mappings, schedules.

These are validated pydantic models; the catalog stores them as JSON and the template files
are their YAML form. Names follow the original's vocabulary (data-integrator.md sections 3-16).
A field mapping's `transform` is the JSON array of transforms the original stored (map type
`Fn`); without one the map type is `=` (copy). A source of None with a Default transform
writes a constant.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from commonground.integration.contracts import WriteMode

NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.()\-]{0,99}$"


class Definition(BaseModel):
    """Base: unknown keys are errors, so a typo in a template file is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConnectionDef(Definition):
    """A named connection: a connector kind and its settings (secrets held apart, encrypted)."""

    name: str = Field(pattern=NAME)
    kind: str
    settings: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


class ConnectionSetDef(Definition):
    """Two or three connections by role, organization mappings and integration keys.

    `connections` maps a role ("sales", "operations", "hub") to a connection name. Each
    organization mapping maps every role to that system's organization (company, business unit).
    `keys` maps "role.Entity" to the fields that identify a record; a related entity's field is
    written `lookup.keyfield`.
    """

    name: str = Field(pattern=NAME)
    connections: dict[str, str]
    organizations: list[dict[str, str]] = Field(default_factory=list)
    keys: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("connections")
    @classmethod
    def _two_or_three(cls, value: dict[str, str]) -> dict[str, str]:
        if not 2 <= len(value) <= 3:
            raise ValueError(f"a connection set has 2 or 3 connections, not {len(value)}")
        return value

    def key_for(self, role: str, entity: str) -> list[str] | None:
        """The integration key of an entity on one side (matched case-insensitively)."""
        wanted = f"{role}.{entity}".lower()
        return next((v for k, v in self.keys.items() if k.lower() == wanted), None)


class FieldMapping(Definition):
    """One row of a task's mapping: source field (or None), destination field, transforms."""

    source: str | None
    destination: str
    transform: list[dict[str, Any]] | None = None

    @property
    def map_type(self) -> str:
        """`=` (copy) or `Fn` (transform), as the mapping page shows it."""
        return "Fn" if self.transform else "="


class Leg(Definition):
    """One hop of a task: a source entity on one side to a destination entity on another.

    `filter` (an OData $filter on this leg's source) lets a second leg read only its share of
    a hub entity that several tasks write (e.g. hub accounts that are organizations); on a
    first leg it is combined with the task's filter.
    """

    source: str  # role in the connection set
    source_entity: str
    destination: str
    destination_entity: str
    mappings: list[FieldMapping]
    filter: str | None = None


class TaskDef(Definition):
    """One source entity to one destination entity, in one leg or two (through the hub).

    `filter` is an OData $filter applied at the source; `query` is an advanced query (DuckDB
    SQL over the batch, named `source`) run before the mapping; `mode` is how records are
    written; `propagate_deletes` deletes at the destination what was deleted at the source.
    """

    name: str = Field(pattern=NAME)
    legs: list[Leg] = Field(min_length=1, max_length=2)
    filter: str | None = None
    query: str | None = None
    mode: WriteMode = WriteMode.UPSERT
    propagate_deletes: bool = False

    def source_filter(self, leg: int) -> str | None:
        """The filter a leg reads its source with: the task's (first leg only) and the leg's."""
        filters = [f for f in (self.filter if leg == 0 else None, self.legs[leg].filter) if f]
        return (
            " and ".join(f"({f})" for f in filters)
            if len(filters) > 1
            else next(iter(filters), None)
        )


class ScheduleUnit(StrEnum):
    """How a recurring schedule counts (the original's Recur every N x unit)."""

    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class ScheduleDef(Definition):
    """Manual (no recurrence) or every N units from a start, until an optional end."""

    every: int | None = Field(default=None, ge=1)
    unit: ScheduleUnit | None = None
    start: datetime | None = None
    end: datetime | None = None
    notify: list[str] = Field(default_factory=list)  # email addresses for warnings and errors


class ProjectDef(Definition):
    """A connection set, one organization mapping, recorded consent and ordered tasks."""

    name: str = Field(pattern=NAME)
    connection_set: str
    organization: int | None = None  # index into the set's organization mappings
    consent: bool = False
    tasks: list[TaskDef] = Field(default_factory=list)
    schedule: ScheduleDef = Field(default_factory=ScheduleDef)
    description: str = ""
