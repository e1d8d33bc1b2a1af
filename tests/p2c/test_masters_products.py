"""Products (Fin and Ops to Sales) - Direct, end to end: sellable released products > hub >
Sales products, with the currency, unit, unit group and price list found by name in Sales."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from typing import Any

from commonground.apps.scenario import Scenario
from tests.fixtures.fix_p2c import project_from
from tests.p2c.test_masters_accounts import counts, hub_rows

TEMPLATE = "Products (Fin and Ops to Sales) - Direct"
COLUMNS = (
    "dataAreaId",
    "PRODUCTNUMBER",
    "PRODUCTNAME",
    "PRODUCTDESCRIPTION",
    "PRODUCTTYPE",
    "CURRENCYCODE",
    "SALESPRICE",
    "UNITCOST",
    "SALESUNITSYMBOL",
    "SALESUNITDECIMALPRECISION",
    "ISSTOCKEDPRODUCT",
    "ModifiedDateTime",
)


def _insert(p2c: Scenario, rows: list[tuple[Any, ...]]) -> None:
    path = p2c.operations_url.removeprefix("sqlite:///")
    names = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    with closing(sqlite3.connect(path)) as db:
        db.executemany(
            f"INSERT INTO EcoResSellableReleasedProductEntity ({names}) VALUES ({marks})",
            rows,
        )
        db.commit()


def _ids(p2c: Scenario, entity: str, key: str) -> dict[str, int]:
    return {r[key]: r["RecordId"] for b in p2c.sales.scan(entity) for r in b}


def _setup(p2c: Scenario) -> None:
    sales = p2c.sales
    sales.create("transactioncurrencies", [{"isocurrencycode": "USD", "currencyname": "US Dollar"}])
    sales.create("uomschedules", [{"name": "Default Unit"}])
    schedule = _ids(p2c, "uomschedules", "name")["Default Unit"]
    sales.create(
        "uoms",
        [{"name": n, "uomscheduleid": schedule} for n in ("Each", "Piece", "Box", "Kilogram")],
    )
    sales.create("pricelevels", [{"name": "Standard"}, {"name": "Wholesale"}])
    _insert(
        p2c,
        [
            (
                "USMF",
                "P000001",
                "Widget",
                "A widget for everyday use",
                "Item",
                "USD",
                "19.99",
                "12.50",
                "ea",
                2,
                True,
                "2026-01-01 08:00:00.000",
            ),
            (
                "USMF",
                "P000002",
                "Installation",
                None,
                "Service",
                "USD",
                "120",
                None,
                "PCS",
                None,
                None,
                "2026-01-01 08:00:01.000",
            ),
            (  # a unit the value map lacks: the product fails in Sales
                "USMF",
                "P000003",
                "Rope",
                None,
                "Item",
                "USD",
                "3",
                None,
                "dozen",
                0,
                True,
                "2026-01-01 08:00:02.000",
            ),
            (  # another company: not read
                "DEMF",
                "P000004",
                "Schraube",
                None,
                "Item",
                "EUR",
                "1",
                None,
                "ea",
                0,
                True,
                "2026-01-01 08:00:03.000",
            ),
        ],
    )


def test_sellable_products_become_sales_products(p2c: Scenario) -> None:
    _setup(p2c)
    project_from(p2c, TEMPLATE, "Products")
    run = p2c.integrator.run("Products")
    assert run.status == "Warning"
    assert counts(run) == [(3, 3, 0, 0, 0), (3, 2, 0, 0, 1)]
    [error] = p2c.integrator.history.record_errors(run.id)
    assert error["message"] == "value 'dozen' of field SalesUnitSymbol is not in the value map"

    hub = hub_rows(p2c, "Product", "ProductNumber")
    assert set(hub) == {"P000001", "P000002", "P000003"}
    assert (hub["P000001"]["ProductType"], hub["P000001"]["Status"]) == ("Item", "Active")

    units = _ids(p2c, "uoms", "name")
    products = {r["productnumber"]: r for b in p2c.sales.scan("products") for r in b}
    assert set(products) == {"P000001", "P000002"}
    widget = {k: v for k, v in products["P000001"].items() if k[0].islower()}
    assert widget == {
        "productnumber": "P000001",
        "name": "Widget",
        "description": "A widget for everyday use",
        "transactioncurrencyid": _ids(p2c, "transactioncurrencies", "isocurrencycode")["USD"],
        "defaultuomid": units["Each"],
        "defaultuomscheduleid": _ids(p2c, "uomschedules", "name")["Default Unit"],
        "pricelevelid": _ids(p2c, "pricelevels", "name")["Standard"],
        "price": Decimal("19.99"),
        "currentcost": Decimal("12.5"),
        "isstockitem": True,
        "producttypecode": 1,
        "quantitydecimal": 2,
        "msdynce_ismaintainedexternally": True,
        "statecode": 0,
    }
    service = products["P000002"]
    assert service["defaultuomid"] == units["Piece"]  # "PCS": value maps ignore case
    assert (service["producttypecode"], service["isstockitem"], service["quantitydecimal"]) == (
        3,
        False,
        0,
    )
    assert (service["description"], service["currentcost"]) == (None, None)


def test_only_changed_products_move_again(p2c: Scenario) -> None:
    _setup(p2c)
    project_from(p2c, TEMPLATE, "Products")
    p2c.integrator.run("Products")
    before = {r["productnumber"]: r for b in p2c.sales.scan("products") for r in b}

    again = p2c.integrator.run("Products")
    assert again.status == "Completed"
    assert all(inserted == updated == 0 for _, inserted, updated, _, _ in counts(again))

    path = p2c.operations_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        db.execute(
            "UPDATE EcoResSellableReleasedProductEntity SET SALESPRICE = 135 "
            "WHERE PRODUCTNUMBER = 'P000002'"
        )
        db.commit()
    changed = p2c.integrator.run("Products")
    assert changed.status == "Completed"
    assert counts(changed) == [(1, 0, 1, 0, 0), (1, 0, 1, 0, 0)]
    after = {r["productnumber"]: r for b in p2c.sales.scan("products") for r in b}
    assert after["P000002"]["price"] == Decimal("135")
    assert after["P000001"] == before["P000001"]
