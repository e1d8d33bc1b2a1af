"""The three systems of the Prospect to Cash scenario, their connections and connection set.

Roles in the connection set: `sales` (the Sales app), `hub` (the data service) and
`operations` (the Operations app). The one organization mapping binds the Sales business unit,
the hub organization and the Operations legal entity (company) USMF. Integration keys come
from the `keys/*.yaml` files of this package, one per template family.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from commonground.apps.definitions import hub_model, operations_tables, sales_model
from commonground.apps.operations import COMPANY, CURSOR, create_operations_database
from commonground.integration.definitions import ConnectionDef, ConnectionSetDef
from commonground.integration.integrator import Integrator
from commonground.service.environment import Environment
from commonground.service.environments import Environments

SALES, HUB, OPERATIONS = "sales", "hub", "operations"
COMPANY_ID = "USMF"
BUSINESS_UNIT = "Contoso Sales"
HUB_ORGANIZATION = "Contoso"
CONNECTION_SET = "Contoso P2C"


def integration_keys() -> dict[str, list[str]]:
    """Every `role.Entity: [fields]` of the scenario, merged from keys/*.yaml."""
    keys: dict[str, list[str]] = {}
    root = resources.files("commonground.apps").joinpath("keys")
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            keys.update(yaml.safe_load(item.read_text(encoding="utf-8")) or {})
    return keys


@dataclass
class Scenario:
    """The Sales and hub environments, the Operations database and the integrator."""

    sales: Environment
    hub: Environment
    operations_url: str
    integrator: Integrator


def create_scenario(
    environments: Environments,
    integrator: Integrator,
    operations_file: Path,
    sales_connection: dict[str, Any],
    hub_connection: dict[str, Any],
) -> Scenario:
    """Create the three systems and register them with the integrator.

    The Sales and hub connection settings are given by the caller: embedded for tests, the
    Sales app over its OData API in the demo.
    """
    sales = environments.create(SALES, model=sales_model())
    hub = environments.create(HUB, model=hub_model())
    operations_url = f"sqlite:///{operations_file}"
    create_operations_database(operations_url)
    store = integrator.definitions
    store.save_connection(
        ConnectionDef(name="Sales", kind="commonground", settings=sales_connection), replace=True
    )
    store.save_connection(
        ConnectionDef(name="Common Data Service", kind="commonground", settings=hub_connection),
        replace=True,
    )
    store.save_connection(
        ConnectionDef(
            name="Operations",
            kind="sql",
            settings={
                "url": operations_url,
                "organization_field": COMPANY,
                "cursors": {t.name: CURSOR for t in operations_tables()},
            },
        ),
        replace=True,
    )
    store.save_connection_set(
        ConnectionSetDef(
            name=CONNECTION_SET,
            connections={SALES: "Sales", HUB: "Common Data Service", OPERATIONS: "Operations"},
            organizations=[{SALES: BUSINESS_UNIT, HUB: HUB_ORGANIZATION, OPERATIONS: COMPANY_ID}],
            keys=integration_keys(),
        ),
        replace=True,
    )
    return Scenario(sales, hub, operations_url, integrator)
