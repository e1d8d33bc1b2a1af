"""`commonground role ...` and `commonground permission-set ...`: an environment's security.

Definitions come from YAML files holding one definition or a list under `roles:` or
`permission_sets:`, the same shape the security API takes as JSON:

    name: Sales
    permission_sets: [Account Maintain, Contact View]

    name: Own accounts
    entities:
      Account:
        operations: [Create, Read, Update]
        policies:
          Update: {field: CreatedByUser, current_user: true}
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import typer
import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from commonground.cli.output import console, print_json
from commonground.cli.state import EnvOption, state_of
from commonground.errors import DefinitionError
from commonground.security.permissions import Member, MemberKind, PermissionSet, Role

roles_app = typer.Typer(help="List, save and delete roles; grant and revoke them.")
sets_app = typer.Typer(help="List, save and delete permission sets.")
ModelT = TypeVar("ModelT", bound=BaseModel)
KindOption = typer.Option(
    MemberKind.USER, "--kind", "-k", help="Who is granted: user, group or application."
)


def load_definitions(file: Path, kind: type[ModelT], plural: str) -> list[ModelT]:
    """The definitions in a YAML file; DefinitionError naming the file, entry and field."""
    if not file.is_file():
        raise DefinitionError(f"{file} is not a file")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{file}: not YAML: {exc}") from exc
    items = data.get(plural) if isinstance(data, dict) and plural in data else [data]
    if not isinstance(items, list):
        raise DefinitionError(f"{file}: `{plural}` must be a list")
    out = []
    for number, item in enumerate(items, start=1):
        try:
            out.append(kind.model_validate(item))
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise DefinitionError(f"{file}: entry {number}: {where}: {message}") from exc
    return out


@roles_app.command("list")
def list_roles(
    ctx: typer.Context,
    env: str = EnvOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Roles with their permission sets, capabilities and members."""
    state = state_of(ctx)
    security = state.env(env).security
    security.require_security(state.caller)
    rows = [
        {
            **role.model_dump(mode="json"),
            "members": [m.model_dump(mode="json") for m in security.members(role.name)],
        }
        for role in security.roles()
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("Role", "Permission sets", "Capabilities", "Members")
    for row in rows:
        members = ", ".join(f"{m['name']} ({m['kind']})" for m in row["members"])
        capabilities = ", ".join(sorted(row["capabilities"]))
        table.add_row(row["name"], ", ".join(row["permission_sets"]), capabilities, members)
    console.print(table)


@roles_app.command("save")
def save_roles(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="YAML: one role, or `roles:` with several."),
    env: str = EnvOption,
) -> None:
    """Create roles or change them (a built-in role keeps its capabilities)."""
    state = state_of(ctx)
    security = state.env(env).security
    for role in load_definitions(file, Role, "roles"):
        current = security.definitions().roles.get(role.name.lower())
        if current is not None and current.builtin and not role.capabilities:
            role = role.model_copy(update={"capabilities": current.capabilities})
        saved = security.save_role(state.caller, role)
        console.print(f"Saved role [bold]{saved.name}[/]")


@roles_app.command("delete")
def delete_role(ctx: typer.Context, name: str, env: str = EnvOption) -> None:
    """Delete a custom role; its members lose it."""
    state = state_of(ctx)
    state.env(env).security.delete_role(state.caller, name)
    console.print(f"Deleted role [bold]{name}[/]")


@roles_app.command("grant")
def grant(
    ctx: typer.Context,
    role: str,
    member: str,
    env: str = EnvOption,
    kind: MemberKind = KindOption,
) -> None:
    """Give a role to a user, group or application user."""
    state = state_of(ctx)
    state.env(env).security.add_member(state.caller, role, Member(kind=kind, name=member))
    console.print(f"Granted [bold]{role}[/] to {kind.value} [bold]{member}[/]")


@roles_app.command("revoke")
def revoke(
    ctx: typer.Context,
    role: str,
    member: str,
    env: str = EnvOption,
    kind: MemberKind = KindOption,
) -> None:
    """Take a role from a user, group or application user."""
    state = state_of(ctx)
    state.env(env).security.remove_member(state.caller, role, Member(kind=kind, name=member))
    console.print(f"Revoked [bold]{role}[/] from {kind.value} [bold]{member}[/]")


@sets_app.command("list")
def list_sets(
    ctx: typer.Context,
    env: str = EnvOption,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    custom: bool = typer.Option(False, "--custom", help="Only custom permission sets."),
) -> None:
    """Permission sets with the operations they grant per entity."""
    state = state_of(ctx)
    security = state.env(env).security
    security.require_security(state.caller)
    sets = [s for s in security.permission_sets() if not (custom and s.builtin)]
    if as_json:
        print_json([s.model_dump(mode="json") for s in sets])
        return
    table = Table("Permission set", "Type", "Entities")
    for permission_set in sets:
        kind = "Built-in" if permission_set.builtin else "Custom"
        table.add_row(permission_set.name, kind, _entities(permission_set))
    console.print(table)


@sets_app.command("save")
def save_sets(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="YAML: one set, or `permission_sets:` with several."),
    env: str = EnvOption,
) -> None:
    """Create custom permission sets or replace them."""
    state = state_of(ctx)
    security = state.env(env).security
    for permission_set in load_definitions(file, PermissionSet, "permission_sets"):
        saved = security.save_permission_set(state.caller, permission_set)
        console.print(f"Saved permission set [bold]{saved.name}[/]")


@sets_app.command("delete")
def delete_set(ctx: typer.Context, name: str, env: str = EnvOption) -> None:
    """Delete a custom permission set that no role uses."""
    state = state_of(ctx)
    state.env(env).security.delete_permission_set(state.caller, name)
    console.print(f"Deleted permission set [bold]{name}[/]")


def _entities(permission_set: PermissionSet) -> str:
    """One line per entity: the operations, and which of them a policy limits."""
    parts: list[str] = []
    for entity, permission in permission_set.entities.items():
        shown = ", ".join(sorted(op.value for op in permission.operations))
        limited = "; ".join(f"{op.value} by policy" for op in permission.policies)
        parts.append(f"{entity}: {shown}" + (f" ({limited})" if limited else ""))
    return "\n".join(parts)
