"""The scenario's three systems come up wired together."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from commonground.apps.definitions import operations_tables, sales_model
from commonground.apps.scenario import CONNECTION_SET, Scenario


def test_three_systems_and_one_connection_set(p2c: Scenario) -> None:
    links = p2c.integrator.definitions.connection_set(CONNECTION_SET)
    assert set(links.connections) == {"sales", "hub", "operations"}
    assert links.organizations == [
        {"sales": "Contoso Sales", "hub": "Contoso", "operations": "USMF"}
    ]
    assert {e.name for e in p2c.sales.model.entities} == {e.name for e in sales_model().entities}
    engine = create_engine(p2c.operations_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {t.name for t in operations_tables()} <= tables
