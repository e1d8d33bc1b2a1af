"""Every error Common Ground raises, drawn once.

Each layer translates the errors of the layer below at its boundary (driver -> store error,
service error -> the API's JSON shape, I/O -> connector error), so callers catch these classes
and never a driver's. Retrying code looks only at the Transient/Terminal markers.

    CommonGroundError
     ├── DefinitionError          a metadata file (YAML, CDM) or definition is invalid
     ├── NotFoundError            an environment, entity, field, picklist or record is missing
     ├── AlreadyExistsError       a name is taken (environment, entity, field, picklist)
     ├── RecordValidationError    one or more records fail validation; carries RecordErrors
     ├── ConflictError            a stale write (optimistic concurrency)
     ├── ReferentialIntegrityError  a delete would orphan referencing records
     ├── SchemaChangeError        a schema change is not allowed or the data does not fit
     ├── ForbiddenError           the caller's roles do not grant what the call needs
     └── StoreError               the database failed in a way not covered above

Markers: TransientError (retrying may succeed), TerminalError (it will not).
"""

from __future__ import annotations

from dataclasses import dataclass


class CommonGroundError(Exception):
    """Root of every error the product raises on purpose."""

    code: str = "Error"


class TransientError(CommonGroundError):
    """Marker: the same call may succeed later (lock timeout, connection lost)."""


class TerminalError(CommonGroundError):
    """Marker: retrying the same call cannot succeed."""


@dataclass(frozen=True)
class SourceLocation:
    """Where in a definition file a problem sits, so that an error can point at it."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class DefinitionError(TerminalError):
    """A definition (YAML file, CDM document, metadata payload) is invalid."""

    code = "InvalidDefinition"

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class NotFoundError(TerminalError):
    """Something named does not exist."""

    code = "NotFound"

    def __init__(self, kind: str, name: str, within: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.within = within
        where = f" in {within}" if within else ""
        super().__init__(f"{kind} '{name}' does not exist{where}")


class AlreadyExistsError(TerminalError):
    """A name is already taken."""

    code = "AlreadyExists"

    def __init__(self, kind: str, name: str, within: str | None = None) -> None:
        self.kind = kind
        self.name = name
        where = f" in {within}" if within else ""
        super().__init__(f"{kind} '{name}' already exists{where}")


@dataclass(frozen=True)
class RecordError:
    """One problem with one record: which record (position and key), which field, what."""

    index: int
    field: str | None
    message: str
    code: str = "InvalidValue"
    record_key: str | None = None

    def __str__(self) -> str:
        who = f"record {self.index}"
        if self.record_key:
            who += f" ({self.record_key})"
        what = f", field '{self.field}'" if self.field else ""
        return f"{who}{what}: {self.message}"


class RecordValidationError(TerminalError):
    """One or more records of a batch are invalid; nothing of the batch was written."""

    code = "ValidationFailed"

    def __init__(self, entity: str, errors: list[RecordError]) -> None:
        self.entity = entity
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{entity}: {shown}{more}")


class ConflictError(TerminalError):
    """A write was based on a version of the record that is no longer current."""

    code = "UpdateConflict"

    def __init__(self, entity: str, record_id: int, expected: int, actual: int | None) -> None:
        self.entity = entity
        self.record_id = record_id
        self.expected = expected
        self.actual = actual
        now = "deleted" if actual is None else f"at version {actual}"
        super().__init__(
            f"{entity} record {record_id} was changed by someone else: "
            f"expected version {expected}, it is {now}"
        )


class ReferentialIntegrityError(TerminalError):
    """A delete would leave records pointing at a record that no longer exists."""

    code = "ReferencedRecord"

    def __init__(self, entity: str, record_id: int, referenced_by: str, field: str) -> None:
        self.entity = entity
        self.record_id = record_id
        self.referenced_by = referenced_by
        self.field = field
        super().__init__(
            f"{entity} record {record_id} cannot be deleted: "
            f"it is referenced by {referenced_by}.{field} (restricted delete)"
        )


class SchemaChangeError(TerminalError):
    """A change to an entity's schema is not allowed, or existing data does not fit it."""

    code = "InvalidSchemaChange"


class ForbiddenError(TerminalError):
    """The caller lacks a privilege. The message names the privilege, never any data."""

    code = "Forbidden"

    def __init__(self, privilege: str, target: str, reason: str | None = None) -> None:
        self.privilege = privilege
        self.target = target
        why = f" ({reason})" if reason else ""
        super().__init__(f"missing privilege: {privilege} on {target}{why}")


class StoreError(CommonGroundError):
    """The database failed in a way no more specific error describes."""

    code = "StoreError"


class StoreUnavailableError(StoreError, TransientError):
    """The database could not be reached or was locked; the call may succeed later."""

    code = "StoreUnavailable"
