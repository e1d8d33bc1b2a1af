"""any/all with lookup paths inside the lambda, nested lambdas and lambdas on a lookup's
collection, parsed from `$filter` text and run by the store (SQLite, and PostgreSQL when
COMMONGROUND_TEST_POSTGRES_URL is set).

Orders: A (Contoso) has a Widget line of 2 with shipments of 1 and 1, and a Gadget line of 1;
B (Fabrikam) has a Gadget line of 5 with one shipment of 5; C (Northwind) has no lines.
"""

from __future__ import annotations

import pytest

from commonground.odata.options import parse_query_options
from commonground.service.environment import Environment
from tests.fixtures.fix_environments import TrackingEnvironments, new_environment_name
from tests.fixtures.records import account, product, sales_order, sales_order_line


@pytest.fixture(scope="module")
def orders(module_envs: TrackingEnvironments) -> Environment:
    env = module_envs.create(new_environment_name())
    contoso, fabrikam, northwind = env.create(
        "Account", [account(n) for n in ("Contoso", "Fabrikam", "Northwind")]
    ).record_ids
    widget, gadget = env.create("Product", [product("Widget"), product("Gadget")]).record_ids
    a, b, _ = env.create(
        "SalesOrder",
        [
            sales_order(Account=contoso, Name="A"),
            sales_order(Account=fabrikam, Name="B"),
            sales_order(Account=northwind, Name="C"),
        ],
    ).record_ids
    a1, _, b1 = env.create(
        "SalesOrderLine",
        [
            sales_order_line(a, 1, widget, Quantity=2),
            sales_order_line(a, 2, gadget, Quantity=1),
            sales_order_line(b, 1, gadget, Quantity=5),
        ],
    ).record_ids
    env.create(
        "SalesOrderLineShipment",
        [
            {"SalesOrderLine": a1, "Sequence": 1, "Quantity": 1},
            {"SalesOrderLine": a1, "Sequence": 2, "Quantity": 1},
            {"SalesOrderLine": b1, "Sequence": 1, "Quantity": 5},
        ],
    )
    return env


def matching(env: Environment, entity: str, text: str, name: str = "Name") -> list[str]:
    options = {"$filter": text, "$orderby": name}
    parsed = parse_query_options(env.model.entity(entity), env.model, options)
    return [r[name] for r in env.query(parsed.query)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a lookup path inside the lambda body, on the variable
        ("SalesOrderLines/any(l: l/Product/Name eq 'Widget')", ["A"]),
        ("SalesOrderLines/any(l: l/Product/Name eq 'Gadget')", ["A", "B"]),
        ("SalesOrderLines/all(l: l/Product/Name eq 'Gadget')", ["B", "C"]),
        ("not SalesOrderLines/any(l: l/Product/Name eq 'Nothing')", ["A", "B", "C"]),
        # two lambdas side by side, each with its own join
        (
            "SalesOrderLines/any(l: l/Product/Name eq 'Widget') and "
            "SalesOrderLines/any(l: l/Product/Name eq 'Gadget' and l/Quantity eq 1)",
            ["A"],
        ),
        # a lookup path from the root record inside the lambda, and the same path outside
        ("SalesOrderLines/any(l: l/Quantity gt 1 and Account/FullName eq 'Contoso')", ["A"]),
        (
            "Account/FullName ne 'x' and "
            "SalesOrderLines/any(l: l/Product/Name eq 'Gadget' and Account/FullName eq 'Fabrikam')",
            ["B"],
        ),
        # nested lambdas, the inner one reading the outer variable and its lookups
        ("SalesOrderLines/any(l: l/SalesOrderLineShipments/any(s: s/Quantity gt 4))", ["B"]),
        (
            "SalesOrderLines/any(l: l/SalesOrderLineShipments/any(s: s/Quantity lt l/Quantity)"
            " and l/Product/Name eq 'Widget')",
            ["A"],
        ),
        (
            "SalesOrderLines/any(l: l/SalesOrderLineShipments/all(s: s/Quantity eq l/Quantity))",
            ["A", "B"],  # A's Gadget line has no shipments: all() holds
        ),
        (
            "SalesOrderLines/all(l: l/SalesOrderLineShipments/any("
            "s: s/SalesOrderLine/Product/Name eq 'Gadget'))",
            ["B", "C"],
        ),
    ],
)
def test_lambdas_on_sales_orders(orders: Environment, text: str, expected: list[str]) -> None:
    assert matching(orders, "SalesOrder", text) == expected


def test_a_lambda_on_a_collection_reached_through_a_lookup(orders: Environment) -> None:
    text = "SalesOrder/SalesOrderLines/any(o: o/Product/Name eq 'Widget')"
    lines = matching(orders, "SalesOrderLine", text, name="Sequence")
    assert lines == [1, 2]  # both lines of order A
    accounts = matching(
        orders,
        "Account",
        "SalesOrders_Account/any(o: o/SalesOrderLines/any(l: l/Product/Name eq 'Gadget'))",
        name="FullName",
    )
    assert accounts == ["Contoso", "Fabrikam"]
