"""The engine's less common paths: lookups by key, two legs through the hub, organizations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from commonground.integration.definitions import (
    ConnectionDef,
    ConnectionSetDef,
    FieldMapping,
    Leg,
    ProjectDef,
    TaskDef,
)
from commonground.model.entity import Entity
from tests.fixtures.fix_integration import TO_HUB, World, customer_entity


def _orders(world: World) -> None:
    world.crm.create_entity(
        Entity.model_validate(
            {
                "name": "Purchase",
                "fields": {
                    "Number": {"type": "Text", "max_length": 20},
                    "CustomerNumber": {"type": "Text", "max_length": 20},
                    "Amount": {"type": "Number", "decimals": 2},
                },
            }
        )
    )
    world.crm.add_key("Purchase", "ByNumber", ["Number"])
    world.hub.create_entity(
        Entity.model_validate(
            {
                "name": "Order",
                "fields": {
                    "Code": {"type": "Text", "max_length": 20},
                    "Client": {"type": "Lookup", "target": "Client"},
                    "Amount": {"type": "Number", "decimals": 2},
                },
            }
        )
    )
    world.hub.add_key("Order", "ByCode", ["Code"])


def test_lookups_resolve_by_key_in_the_destination(world: World) -> None:
    _orders(world)
    links = world.integrator.definitions.connection_set("crm-hub")
    keys = {**links.keys, "crm.Purchase": ["Number"], "hub.Order": ["Code"]}
    world.integrator.definitions.save_connection_set(
        links.model_copy(update={"keys": keys}), replace=True
    )
    world.crm.create("Customer", world.customers(1, 2))
    world.crm.create(
        "Purchase",
        [
            {"Number": "P1", "CustomerNumber": "C1", "Amount": 5},
            {"Number": "P2", "CustomerNumber": "c2", "Amount": 6},  # keys match ignoring case
            {"Number": "P3", "CustomerNumber": "C404", "Amount": 7},
        ],
    )
    order_mappings = [
        FieldMapping(source="Number", destination="Code"),
        FieldMapping(source="CustomerNumber", destination="Client.Code"),
        FieldMapping(source="Amount", destination="Amount"),
    ]
    project = ProjectDef(
        name="Orders",
        connection_set="crm-hub",
        consent=True,
        tasks=[
            TaskDef(
                name="Customers",
                legs=[
                    Leg(
                        source="crm",
                        source_entity="Customer",
                        destination="hub",
                        destination_entity="Client",
                        mappings=TO_HUB,
                    )
                ],
            ),
            TaskDef(
                name="Orders",
                legs=[
                    Leg(
                        source="crm",
                        source_entity="Purchase",
                        destination="hub",
                        destination_entity="Order",
                        mappings=order_mappings,
                    )
                ],
            ),
        ],
    )
    world.save_project(project)
    run = world.integrator.run("Orders")
    assert run.status == "Warning"
    clients = {r["Code"]: r["RecordId"] for r in world.hub_rows().values()}
    orders = {r["Code"]: r for batch in world.hub.scan("Order") for r in batch}
    assert orders["P1"]["Client"] == clients["C1"]
    assert orders["P2"]["Client"] == clients["C2"]
    assert "P3" not in orders
    [error] = world.integrator.history.record_errors(run.id)
    assert error["record"] == "(Number):(P3)"
    assert "C404 does not exist in destination" in error["message"]

    # and back: a source `lookup.keyfield` reads the related record's key
    world.crm.create_entity(
        Entity.model_validate(
            {"name": "Copy", "fields": {"Number": {"type": "Text"}, "Customer": {"type": "Text"}}}
        )
    )
    world.crm.add_key("Copy", "ByNumber", ["Number"])
    keys = {**keys, "crm.Copy": ["Number"]}
    world.integrator.definitions.save_connection_set(
        links.model_copy(update={"keys": keys}), replace=True
    )
    back = [
        FieldMapping(source="Code", destination="Number"),
        FieldMapping(source="Client.Code", destination="Customer"),
    ]
    world.save_project(
        ProjectDef(
            name="OrdersBack",
            connection_set="crm-hub",
            consent=True,
            tasks=[
                TaskDef(
                    name="Copies",
                    legs=[
                        Leg(
                            source="hub",
                            source_entity="Order",
                            destination="crm",
                            destination_entity="Copy",
                            mappings=back,
                        )
                    ],
                )
            ],
        )
    )
    assert world.integrator.run("OrdersBack").status == "Completed"
    copies = {r["Number"]: r["Customer"] for batch in world.crm.scan("Copy") for r in batch}
    assert copies == {"P1": "C1", "P2": "C2"}


def test_two_legs_go_through_the_hub(world: World) -> None:
    erp = world.environments.create("erp")
    erp.create_entity(customer_entity("Debtor", "Account"))
    erp.add_key("Debtor", "ByAccount", ["Account"])
    world.integrator.definitions.save_connection(
        ConnectionDef(
            name="erp-conn",
            kind="commonground",
            settings={"environment": "erp", "home": str(world.home)},
        )
    )
    world.integrator.definitions.save_connection_set(
        ConnectionSetDef(
            name="three",
            connections={"crm": "crm-conn", "hub": "hub-conn", "erp": "erp-conn"},
            keys={"crm.Customer": ["Number"], "hub.Client": ["Code"], "erp.Debtor": ["Account"]},
        )
    )
    to_erp = [
        FieldMapping(source="Code", destination="Account"),
        FieldMapping(source="Name", destination="Name"),
    ]
    world.save_project(
        ProjectDef(
            name="CrmToErp",
            connection_set="three",
            consent=True,
            tasks=[
                TaskDef(
                    name="Customers",
                    legs=[
                        Leg(
                            source="crm",
                            source_entity="Customer",
                            destination="hub",
                            destination_entity="Client",
                            mappings=TO_HUB,
                        ),
                        Leg(
                            source="hub",
                            source_entity="Client",
                            destination="erp",
                            destination_entity="Debtor",
                            mappings=to_erp,
                        ),
                    ],
                )
            ],
        )
    )
    world.crm.create("Customer", world.customers(1, 2, 3))
    run = world.integrator.run("CrmToErp")
    assert run.status == "Completed"
    assert [s.counts.inserted for s in run.steps] == [3, 3]
    debtors = {r["Account"]: r["Name"] for batch in erp.scan("Debtor") for r in batch}
    assert debtors == {"C1": "Customer 1", "C2": "Customer 2", "C3": "Customer 3"}


def test_organization_mapping_filters_reads_and_is_required(world: World, tmp_path: Path) -> None:
    source = tmp_path / "ops.sqlite"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE customers (number TEXT PRIMARY KEY, name TEXT, company TEXT)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [("C1", "In USMF", "USMF"), ("C2", "In DEMF", "DEMF"), ("C3", "Also USMF", "USMF")],
        )
    store = world.integrator.definitions
    store.save_connection(
        ConnectionDef(
            name="ops",
            kind="sql",
            settings={"url": f"sqlite:///{source}", "organization_field": "company"},
        )
    )
    store.save_connection_set(
        ConnectionSetDef(
            name="ops-hub",
            connections={"ops": "ops", "hub": "hub-conn"},
            organizations=[{"ops": "USMF", "hub": "Main"}, {"ops": "DEMF", "hub": "Main"}],
            keys={"ops.customers": ["number"], "hub.Client": ["Code"]},
        )
    )
    mappings = [
        FieldMapping(source="number", destination="Code"),
        FieldMapping(source="name", destination="Name"),
    ]
    task = TaskDef(
        name="Customers",
        legs=[
            Leg(
                source="ops",
                source_entity="customers",
                destination="hub",
                destination_entity="Client",
                mappings=mappings,
            )
        ],
    )
    world.save_project(
        ProjectDef(name="NoOrg", connection_set="ops-hub", consent=True, tasks=[task])
    )
    missing = world.integrator.run("NoOrg")
    assert missing.status == "Error"
    [problem] = world.integrator.history.record_errors(missing.id)
    assert problem["code"] == "DIPV1017"
    assert "USMF" in problem["message"]

    world.save_project(
        ProjectDef(
            name="Usmf", connection_set="ops-hub", organization=0, consent=True, tasks=[task]
        )
    )
    assert world.integrator.run("Usmf").status == "Completed"
    assert set(world.hub_rows()) == {"C1", "C3"}
