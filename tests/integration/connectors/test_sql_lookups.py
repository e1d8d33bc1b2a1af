"""Lookups: key values to references (exact, then case-insensitive) and references to fields."""

from __future__ import annotations

from datetime import datetime

from tests.integration.connectors.conftest import Shop


def customers(shop: Shop, count: int, company: str = "north") -> None:
    rows = [
        {
            "number": f"C{i:04}",
            "name": f"Customer {i}",
            "modified_at": datetime(2024, 1, 1),
            "company": company,
        }
        for i in range(1, count + 1)
    ]
    shop.insert(shop.customers, rows)


def test_resolve_matches_exactly_then_ignoring_case(shop: Shop) -> None:
    customers(shop, 3)
    connector = shop.db.connector()
    found = connector.resolve("customers", ["number"], [("C0001",), ("c0002",), ("nope",)])
    assert found == {("C0001",): 1, ("c0002",): 2}


def test_resolve_converts_given_values_to_the_column_type(shop: Shop) -> None:
    customers(shop, 3)
    connector = shop.db.connector()
    assert connector.resolve("customers", ["id"], [("3",), (2,), ("x",)]) == {("3",): 3, (2,): 2}


def test_resolve_by_several_columns_and_composite_references(shop: Shop) -> None:
    shop.insert(
        shop.lines,
        [
            {"order_id": 1, "line_no": 1, "product": "Bolt", "quantity": 5},
            {"order_id": 1, "line_no": 2, "product": "Nut", "quantity": 5},
        ],
    )
    connector = shop.db.connector()
    found = connector.resolve("lines", ["product", "quantity"], [("NUT", 5), ("Bolt", 5)])
    assert found == {("NUT", 5): (1, 2), ("Bolt", 5): (1, 1)}


def test_resolve_handles_more_values_than_one_query_takes(shop: Shop) -> None:
    customers(shop, 1200)
    connector = shop.db.connector()
    wanted = [(f"C{i:04}",) for i in range(1, 1201)] + [(f"c{i:04}",) for i in range(1, 601)]
    found = connector.resolve("customers", ["number"], wanted)
    assert len(found) == 1800
    assert found[("c0600",)] == found[("C0600",)] == 600


def test_resolve_stays_within_an_organization(shop: Shop) -> None:
    customers(shop, 2, company="south")
    connector = shop.db.connector(organization_field="company")
    assert connector.resolve("customers", ["number"], [("C0001",)], "north") == {}
    assert connector.resolve("customers", ["number"], [("C0001",)], "south") == {("C0001",): 1}


def test_fetch_reads_fields_by_reference(shop: Shop) -> None:
    customers(shop, 3)
    shop.insert(shop.lines, [{"order_id": 4, "line_no": 1, "product": "Bolt", "quantity": 5}])
    connector = shop.db.connector()
    assert connector.fetch("customers", [1, "3", 99], ["number", "name"]) == {
        1: {"number": "C0001", "name": "Customer 1"},
        "3": {"number": "C0003", "name": "Customer 3"},
    }
    assert connector.fetch("lines", [(4, 1)], ["product"]) == {(4, 1): {"product": "Bolt"}}
