"""The security objects every environment starts with.

Per entity, a View permission set (Read) and a Maintain permission set (Create, Read, Update,
Delete), made again when a custom entity is created. Roles: Database Owner (every entity,
including later ones, and schema changes; the creator of the environment holds it),
Organization User (every user's default role, empty until an admin adds sets to it), and the
environment roles Environment Admin and Environment Maker, which govern the environment
(schema, security, integrations) but grant no data.
"""

from __future__ import annotations

from commonground.security.permissions import (
    ALL_OPERATIONS,
    Capability,
    EntityPermission,
    Operation,
    PermissionSet,
    Role,
)

DATABASE_OWNER = "Database Owner"
ORGANIZATION_USER = "Organization User"
ENVIRONMENT_ADMIN = "Environment Admin"
ENVIRONMENT_MAKER = "Environment Maker"


def builtin_roles() -> list[Role]:
    """The four roles of a new environment."""
    return [
        Role(
            name=DATABASE_OWNER,
            description="Full access to all entities, including ones added later, and schema",
            builtin=True,
            capabilities=frozenset({Capability.ALL_DATA, Capability.SCHEMA}),
        ),
        Role(
            name=ORGANIZATION_USER,
            description="The default role of every user; meant for entities holding public data",
            builtin=True,
        ),
        Role(
            name=ENVIRONMENT_ADMIN,
            description="Manages the environment: security, schema and integrations (no data)",
            builtin=True,
            capabilities=frozenset(
                {Capability.SCHEMA, Capability.SECURITY, Capability.INTEGRATIONS}
            ),
        ),
        Role(
            name=ENVIRONMENT_MAKER,
            description="Changes schema and integrations (no data)",
            builtin=True,
            capabilities=frozenset({Capability.SCHEMA, Capability.INTEGRATIONS}),
        ),
    ]


def view_set(entity: str) -> PermissionSet:
    """Read on one entity."""
    return PermissionSet(
        name=f"{entity} View",
        description=f"Read {entity} records",
        builtin=True,
        entities={entity: EntityPermission(operations=frozenset({Operation.READ}))},
    )


def maintain_set(entity: str) -> PermissionSet:
    """Create, read, update and delete on one entity."""
    return PermissionSet(
        name=f"{entity} Maintain",
        description=f"Create, read, update and delete {entity} records",
        builtin=True,
        entities={entity: EntityPermission(operations=ALL_OPERATIONS)},
    )


def entity_sets(entity: str) -> list[PermissionSet]:
    """The View and Maintain sets of one entity."""
    return [view_set(entity), maintain_set(entity)]
