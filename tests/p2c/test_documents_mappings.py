"""The document templates (quotes, orders both ways, invoices) against their documentation.

Each task's two legs, composed into one direct mapping, must give exactly the documented direct
mapping of prospect-to-cash.md sections 12-14 (documented_documents.py): same rows in the same
order, same map types, same transforms, apart from the decisions listed there. Then every leg is
validated against the scenario's real entities, so the templates also run.
"""

from __future__ import annotations

import pytest

from commonground.apps.scenario import Scenario
from commonground.integration.definitions import FieldMapping
from commonground.integration.mapping import validate_leg
from commonground.integration.registry import open_connector
from commonground.integration.templates.compose import direct_mapping
from commonground.integration.templates.library import TemplateDef, built_in_templates
from tests.fixtures.fix_p2c import project_from
from tests.p2c.documented_documents import (
    DOCUMENTED,
    INVOICES,
    OMITTED,
    ORDERS_TO_OPERATIONS,
    ORDERS_TO_SALES,
    QUOTES,
    SHIPPED_AS,
    Row,
)

TO_OPERATIONS = {QUOTES, ORDERS_TO_OPERATIONS}


def _template(name: str) -> TemplateDef:
    return next(t for t in built_in_templates() if t.name == name)


def _expected(template: str, task: str, rows: list[Row]) -> list[tuple[object, ...]]:
    kept = [r for r in rows if (template, task, r.source, r.destination) not in OMITTED]
    return [
        (
            SHIPPED_AS.get(r.source, r.source) if r.source else None,
            r.map,
            SHIPPED_AS.get(r.destination, r.destination),
            r.transform,
        )
        for r in kept
    ]


def _shipped(mappings: list[FieldMapping]) -> list[tuple[object, ...]]:
    return [(m.source, m.map_type, m.destination, m.transform) for m in mappings]


CASES = [
    pytest.param(
        template, index, id=f"{template.split(' (')[0]}-{task}-{template.split('(')[1][:12]}"
    )
    for template, tasks in DOCUMENTED.items()
    for index, (task, _) in enumerate(tasks)
]


@pytest.mark.parametrize(("template", "index"), CASES)
def test_direct_mapping_is_the_documented_one(template: str, index: int) -> None:
    name, rows = DOCUMENTED[template][index]
    task = _template(template).tasks[index]
    assert task.name == name
    shipped = _shipped(direct_mapping(task))
    expected = _expected(template, name, rows)
    for position, (got, wanted) in enumerate(zip(shipped, expected, strict=False)):
        assert got == wanted, f"{template} / {name}, row {position + 1}"
    assert len(shipped) == len(expected)


@pytest.mark.parametrize("template", list(DOCUMENTED))
def test_tasks_run_through_the_hub_in_the_documented_order(template: str) -> None:
    found = _template(template)
    assert [t.name for t in found.tasks] == [name for name, _ in DOCUMENTED[template]]
    assert found.author == "Common Ground"
    assert found.version == "2.0.0.0"
    assert found.roles == ["hub", "operations", "sales"]
    first, last = ("sales", "operations") if template in TO_OPERATIONS else ("operations", "sales")
    for task in found.tasks:
        assert [(leg.source, leg.destination) for leg in task.legs] == [
            (first, "hub"),
            ("hub", last),
        ]
        assert task.legs[0].destination_entity == task.legs[1].source_entity
        assert task.filter, f"{task.name}: the documented tasks are all filtered"


def test_documented_values_are_kept() -> None:
    """The values the documentation does give, checked on the shipped rows themselves."""

    def row(template: str, task: int, destination: str) -> FieldMapping:
        found = _template(template).tasks[task]
        return next(m for m in direct_mapping(found) if m.destination == destination)

    for template, destination in (
        (QUOTES, "DELIVERYADDRESSCOUNTRYREGIONISOCODE"),
        (ORDERS_TO_OPERATIONS, "DeliveryAddressCountryRegionISOCode"),
    ):
        [country] = row(template, 0, destination).transform or []
        assert country["valueMap"][""] == "US"  # blank = US
    assert row(ORDERS_TO_SALES, 0, "statecode").transform == [
        {"transformType": "Default", "defaultValue": "Active"}
    ]
    assert row(ORDERS_TO_SALES, 0, "pricelevelid.name").transform == [
        {"transformType": "Default", "defaultValue": "CRM Service USA (sample)"}
    ]
    [price_list] = row(INVOICES, 0, "pricelevelid.name").transform or []
    assert price_list["valueMap"]["USD"] == "CRM Service USA (sample)"
    # the lines find their header by its number, and are keyed by the sequence number
    assert row(QUOTES, 1, "SalesQuotationNumber").source == "quoteid.quotenumber"
    assert row(ORDERS_TO_SALES, 1, "salesorderid.ordernumber").source == "SalesOrderNumber"
    assert row(INVOICES, 1, "invoiceid.invoicenumber").source == "InvoiceNumber"


def test_every_leg_validates_against_the_scenario(p2c: Scenario) -> None:
    """No DIPV problem on any leg: entities, fields, keys, types, required hub fields, filters."""
    links = p2c.integrator.definitions.connection_set("Contoso P2C")
    connectors = {
        role: open_connector(c.kind, c.settings)
        for role, name in links.connections.items()
        for c in [p2c.integrator.definitions.connection(name, reveal=True)]
    }
    try:
        for template in DOCUMENTED:
            for task in _template(template).tasks:
                for index, leg in enumerate(task.legs):
                    source = connectors[leg.source].describe(leg.source_entity)
                    destination = connectors[leg.destination].describe(leg.destination_entity)
                    key = links.key_for(leg.destination, destination.name)
                    problems = validate_leg(
                        task.name,
                        leg,
                        source,
                        destination,
                        key,
                        task.filter if index == 0 else None,
                    )
                    assert problems == [], f"{template} / {task.name} leg {index + 1}"
    finally:
        for connector in connectors.values():
            connector.close()


@pytest.mark.parametrize("template", list(DOCUMENTED))
def test_a_project_starts_from_each_template(p2c: Scenario, template: str) -> None:
    project = project_from(p2c, template)
    assert [t.name for t in project.tasks] == [t.name for t in _template(template).tasks]
    assert project.description == _template(template).description
