"""The permission set editor's grid, kept apart from the pages: entity x operation cells,
each ticked or not and maybe narrowed by a record policy, read from a saved set or from the
posted form, and turned back into a `PermissionSet`.

The grid is what the form shows, so a form refused by the service comes back exactly as it
was typed, with the service's message above it. Form fields are named `<Entity>.<Operation>`
(the tick) and `<Entity>.<Operation>.policy|field|values|user_field` (the policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from commonground.errors import DefinitionError
from commonground.model.datamodel import DataModel
from commonground.model.entity import CREATED_BY, Entity
from commonground.model.types import FieldType
from commonground.security.permissions import (
    EntityPermission,
    Operation,
    PermissionSet,
    Policy,
)

NO_POLICY, PICKLIST_POLICY, USER_POLICY = "", "values", "user"


@dataclass
class Cell:
    """One operation on one entity: granted or not, and which records it reaches."""

    granted: bool = False
    policy: str = NO_POLICY
    field: str = ""
    values: str = ""
    user_field: str = CREATED_BY


@dataclass
class EntityRow:
    """One entity's cells, with its picklist fields (and their values) to choose from."""

    entity: str
    picklists: dict[str, tuple[str, ...]]
    cells: dict[Operation, Cell] = field(default_factory=dict)

    @property
    def granted(self) -> bool:
        """Whether any operation is ticked (such rows open their policies)."""
        return any(cell.granted for cell in self.cells.values())


def _picklists(model: DataModel, entity: Entity) -> dict[str, tuple[str, ...]]:
    """The entity's picklist fields and the value names each may hold."""
    out = {}
    for found in entity.fields:
        picklist = found.picklist if found.type is FieldType.PICKLIST else None
        if picklist is not None and model.has_picklist(picklist):
            out[found.name] = tuple(item.name for item in model.picklist(picklist).items)
    return out


def rows_of(model: DataModel, permission_set: PermissionSet | None) -> list[EntityRow]:
    """The grid of a saved set (or an empty grid), one row per entity of the model."""
    given = {k.lower(): v for k, v in (permission_set.entities if permission_set else {}).items()}
    rows = []
    for entity in sorted(model.entities, key=lambda e: e.name.lower()):
        permission = given.get(entity.name.lower())
        row = EntityRow(entity.name, _picklists(model, entity))
        for operation in Operation:
            cell = Cell(granted=permission is not None and operation in permission.operations)
            policy = permission.policies.get(operation) if permission else None
            if policy is not None and policy.values is not None:
                cell.policy, cell.field, cell.values = (
                    PICKLIST_POLICY,
                    policy.field,
                    ", ".join(policy.values),
                )
            elif policy is not None:
                cell.policy, cell.user_field = USER_POLICY, policy.field
            row.cells[operation] = cell
        rows.append(row)
    return rows


def rows_from_form(model: DataModel, form: dict[str, str]) -> list[EntityRow]:
    """The grid as the form posted it."""
    rows = rows_of(model, None)
    for row in rows:
        for operation, cell in row.cells.items():
            key = f"{row.entity}.{operation}"
            cell.granted = bool(form.get(key))
            cell.policy = form.get(f"{key}.policy", NO_POLICY)
            cell.field = form.get(f"{key}.field", "")
            cell.values = form.get(f"{key}.values", "")
            cell.user_field = form.get(f"{key}.user_field", "").strip() or CREATED_BY
    return rows


def permission_set_of(name: str, description: str, rows: list[EntityRow]) -> PermissionSet:
    """The permission set the grid describes (DefinitionError saying what does not fit)."""
    entities = {}
    for row in rows:
        operations = frozenset(op for op, cell in row.cells.items() if cell.granted)
        policies = {}
        for operation, cell in row.cells.items():
            where = f"{row.entity} {operation}"
            if cell.policy != NO_POLICY and not cell.granted:
                raise DefinitionError(f"{where}: tick the operation to give it a record policy")
            if cell.granted and cell.policy != NO_POLICY:
                policies[operation] = _policy(where, cell)
        if operations:
            entities[row.entity] = EntityPermission(operations=operations, policies=policies)
    try:
        return PermissionSet(name=name.strip(), description=description, entities=entities)
    except ValidationError as exc:
        raise refusal(exc) from exc


def _policy(where: str, cell: Cell) -> Policy:
    try:
        if cell.policy == PICKLIST_POLICY:
            values = tuple(v.strip() for v in cell.values.split(",") if v.strip())
            return Policy(field=cell.field, values=values)
        if cell.policy == USER_POLICY:
            return Policy(field=cell.user_field, current_user=True)
    except ValidationError as exc:
        raise DefinitionError(f"{where} policy: {refusal(exc)}") from exc
    raise DefinitionError(f"{where} policy: choose a picklist or a user policy")


def refusal(exc: ValidationError) -> DefinitionError:
    """A definition's validation failure as the error pages and forms show (its first
    problem, in the validator's words)."""
    return DefinitionError(str(exc.errors()[0]["msg"]).removeprefix("Value error, "))
