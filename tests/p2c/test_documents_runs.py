"""The document templates end to end: Sales, hub and Operations with small, messy data.

The master data the documents need (currency, price list, units, accounts, products) is
created directly in Sales and the hub, as the master templates would have left it; the Operations
tables need no customers or products of their own. Each test runs a template's project and
checks the run's counts and the exact values that reach the destination, then that a second run
writes nothing, that a changed line moves alone, and (orders) that the two directions never echo.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from commonground.apps.scenario import Scenario
from commonground.integration.history import Execution
from commonground.service.environment import Environment
from tests.fixtures.fix_p2c import project_from
from tests.p2c.documented_documents import (
    INVOICES,
    ORDERS_TO_OPERATIONS,
    ORDERS_TO_SALES,
    PRICE_LIST,
    QUOTES,
)

NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


# -- the systems -------------------------------------------------------------------------------


def _masters(p2c: Scenario) -> None:
    """What the master templates would have left: Sales and hub accounts and products."""
    sales = p2c.sales
    [usd] = _ids(
        sales.create(
            "transactioncurrencies", [{"isocurrencycode": "USD", "currencyname": "US Dollar"}]
        )
    )
    sales.create("pricelevels", [{"name": PRICE_LIST, "transactioncurrencyid": usd}])
    sales.create("uoms", [{"name": n} for n in ("ea", "pcs", "box", "Primary Unit")])
    sales.create(
        "accounts",
        [
            {"accountnumber": "A1", "name": "Contoso Retail"},
            {"accountnumber": "A2", "name": "Fabrikam"},
        ],
    )
    sales.create(
        "products",
        [
            {"productnumber": "P1", "name": "Widget", "msdynce_ismaintainedexternally": True},
            {"productnumber": "P2", "name": "Gadget", "msdynce_ismaintainedexternally": True},
            # in Sales only: never synced to the hub, so documents using it fail there
            {"productnumber": "P404", "name": "Write-in", "msdynce_ismaintainedexternally": True},
        ],
    )
    hub = p2c.hub
    hub.create(
        "Account",
        [
            {
                "AccountNumber": number,
                "FullName": name,
                "PartyType": "Organization",
                "Source": "CustomerEngagement",
                "Status": "Active",
                "IsEmailContactAllowed": False,
                "IsPhoneContactAllowed": False,
            }
            for number, name in (("A1", "Contoso Retail"), ("A2", "Fabrikam"))
        ],
    )
    hub.create(
        "Product",
        [
            {"ProductNumber": number, "Name": name, "ProductType": "Item", "Status": "Active"}
            for number, name in (("P1", "Widget"), ("P2", "Gadget"))
        ],
    )


def _ids(result: Any) -> list[int]:
    assert not result.errors, result.errors
    return [int(i) for i in result.record_ids]


def _rows(environment: Environment, entity: str) -> list[dict[str, Any]]:
    return [dict(r) for batch in environment.scan(entity) for r in batch]


def _by(environment: Environment, entity: str, key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in _rows(environment, entity)}


def _operations(p2c: Scenario) -> closing[sqlite3.Connection]:
    connection = sqlite3.connect(p2c.operations_url.removeprefix("sqlite:///"))
    connection.row_factory = sqlite3.Row
    return closing(connection)


def _ops_insert(p2c: Scenario, table: str, rows: list[dict[str, Any]]) -> None:
    with _operations(p2c) as db, db:
        for row in rows:
            values = {"dataAreaId": "USMF", **row}
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            db.execute(
                f"INSERT INTO {table} ({names}, ModifiedDateTime) VALUES ({marks}, {NOW})",
                [float(v) if isinstance(v, Decimal) else v for v in values.values()],
            )


def _ops_update(p2c: Scenario, table: str, where: str, values: dict[str, Any]) -> None:
    with _operations(p2c) as db, db:
        sets = ", ".join(f"{name} = ?" for name in values)
        cursor = db.execute(
            f"UPDATE {table} SET {sets} WHERE {where}",
            [float(v) if isinstance(v, Decimal) else v for v in values.values()],
        )
        assert cursor.rowcount >= 1


def _ops_rows(p2c: Scenario, table: str) -> list[dict[str, Any]]:
    with _operations(p2c) as db:
        rows = [dict(r) for r in db.execute(f"SELECT * FROM {table}")]
    for row in rows:
        row.pop("ModifiedDateTime")
        for name, value in row.items():
            if isinstance(value, float):
                row[name] = Decimal(repr(value))
    return rows


def _counts(run: Execution) -> dict[str, tuple[int, int, int, int, int]]:
    """Per step (task and leg): read, inserted, updated, unchanged, failed."""
    return {
        f"{s.task} {s.sequence % 10 + 1}": (
            s.counts.read,
            s.counts.inserted,
            s.counts.updated,
            s.counts.unchanged,
            s.counts.failed,
        )
        for s in run.steps
    }


def _run(p2c: Scenario, project: str) -> Execution:
    return p2c.integrator.history.get(p2c.integrator.run(project).id)


def _errors(p2c: Scenario, run: Execution) -> list[tuple[str | None, str]]:
    return [(e["record"], e["message"]) for e in p2c.integrator.history.record_errors(run.id)]


# -- quotes ------------------------------------------------------------------------------------


def _quotes(p2c: Scenario) -> None:
    sales = p2c.sales
    accounts = {r["accountnumber"]: r["RecordId"] for r in _rows(sales, "accounts")}
    products = {r["productnumber"]: r["RecordId"] for r in _rows(sales, "products")}
    units = {r["name"]: r["RecordId"] for r in _rows(sales, "uoms")}
    [usd] = [r["RecordId"] for r in _rows(sales, "transactioncurrencies")]
    common = {"transactioncurrencyid": usd, "msdynce_hasexternallymaintainedproductsonly": True}
    quotes = _ids(
        sales.create(
            "quotes",
            [
                {
                    **common,
                    "quotenumber": "QUO-001",
                    "name": "Spring refit",
                    "customerid": accounts["A1"],
                    "statecode": "Active",
                    "shipto_line1": "1 Main St",
                    "shipto_city": "Redmond",
                    "shipto_stateorprovince": "WA",
                    "shipto_postalcode": "98052",
                    "shipto_country": "united states",
                    "billto_line2": "Suite 500",
                    "billto_postalcode": "98004",
                    "totalamount": Decimal("1234.5678"),
                },
                {
                    **common,
                    "quotenumber": "QUO-002",
                    "name": "No country",
                    "customerid": accounts["A2"],
                    "statecode": "Active",
                    "shipto_country": "  ",
                    "totalamount": Decimal("10"),
                },
                # not activated, and not all products externally maintained: both filtered out
                {
                    **common,
                    "quotenumber": "QUO-003",
                    "customerid": accounts["A1"],
                    "statecode": "Draft",
                },
                {
                    "quotenumber": "QUO-004",
                    "customerid": accounts["A1"],
                    "statecode": "Active",
                    "msdynce_hasexternallymaintainedproductsonly": False,
                },
            ],
        )
    )
    flag = {"msdynce_quotehasexternallymaintainedproductsonly": True}
    sales.create(
        "quotedetails",
        [
            {
                **flag,
                "quoteid": quotes[0],
                "sequencenumber": 1,
                "productid": products["P1"],
                "uomid": units["ea"],
                "quantity": Decimal("2.5"),
                "priceperunit": Decimal("19.995"),
                "manualdiscountamount": Decimal("1.25"),
            },
            {
                **flag,
                "quoteid": quotes[0],
                "sequencenumber": 2,
                "productid": products["P2"],
                "uomid": units["Primary Unit"],
                "quantity": Decimal("3"),
                "priceperunit": Decimal("100"),
            },
            {
                **flag,
                "quoteid": quotes[0],
                "sequencenumber": 3,
                "productid": products["P404"],
                "uomid": units["ea"],
                "quantity": Decimal("1"),
            },
            {
                **flag,
                "quoteid": quotes[1],
                "sequencenumber": 1,
                "productid": products["P1"],
                "uomid": units["box"],
                "quantity": Decimal("0.125"),
            },
            {
                "quoteid": quotes[3],
                "sequencenumber": 1,
                "productid": products["P1"],
                "msdynce_quotehasexternallymaintainedproductsonly": False,
            },
        ],
    )


def test_quotes_reach_operations_header_then_lines(p2c: Scenario) -> None:
    _masters(p2c)
    _quotes(p2c)
    project_from(p2c, QUOTES, "Quotes")

    run = _run(p2c, "Quotes")
    assert run.status == "Warning"
    assert _counts(run) == {
        "QuoteHeader 1": (2, 2, 0, 0, 0),
        "QuoteHeader 2": (2, 2, 0, 0, 0),
        "QuoteLine 1": (4, 3, 0, 0, 1),
        "QuoteLine 2": (3, 3, 0, 0, 0),
    }
    [(record, message)] = _errors(p2c, run)
    assert message == "Product with value P404 does not exist in destination."
    assert record is not None and record.startswith("(quoteid,sequencenumber):(")
    assert record.endswith(",3)")

    headers = {
        r["SALESQUOTATIONNUMBER"]: r for r in _ops_rows(p2c, "SalesQuotationHeaderCDSEntity")
    }
    assert set(headers) == {"QUO-001", "QUO-002"}
    assert headers["QUO-001"] == {
        "dataAreaId": "USMF",
        "SALESQUOTATIONNUMBER": "QUO-001",
        "SALESQUOTATIONNAME": "Spring refit",
        "REQUESTINGCUSTOMERACCOUNTNUMBER": "A1",
        "CURRENCYCODE": "USD",
        "QUOTATIONTOTALAMOUNT": Decimal("1234.5678"),
        "DELIVERYADDRESSNAME": "Delivery address",
        "DELIVERYADDRESSDESCRIPTION": "From Sales",
        "ISDELIVERYADDRESSORDERSPECIFIC": 1,
        "DELIVERYADDRESSSTREET": "1 Main St",
        "DELIVERYADDRESSSTREETNUMBER": "Suite 500",  # bill-to street 2, as the template has it
        "DELIVERYADDRESSCITY": "Redmond",
        "DELIVERYADDRESSSTATEID": "WA",
        "DELIVERYADDRESSZIPCODE": "98004",  # bill-to ZIP, as the template has it
        "DELIVERYADDRESSCOUNTRYREGIONISOCODE": "US",
    }
    assert headers["QUO-002"]["DELIVERYADDRESSCOUNTRYREGIONISOCODE"] == "US"  # blank = US
    assert headers["QUO-002"]["REQUESTINGCUSTOMERACCOUNTNUMBER"] == "A2"

    lines = {
        (r["SalesQuotationNumber"], r["LineCreationSequenceNumber"]): r
        for r in _ops_rows(p2c, "SalesQuotationLineCDSEntity")
    }
    assert set(lines) == {("QUO-001", 1), ("QUO-001", 2), ("QUO-002", 1)}
    assert lines[("QUO-001", 1)] == {
        "dataAreaId": "USMF",
        "SalesQuotationNumber": "QUO-001",
        "LineCreationSequenceNumber": 1,
        "ProductNumber": "P1",
        "RequestedSalesQuantity": Decimal("2.5"),
        "SalesUnitSymbol": "ea",
        "SalesPrice": Decimal("19.995"),
        "TotalDiscountAmount": Decimal("1.25"),
    }
    assert lines[("QUO-001", 2)]["SalesUnitSymbol"] == "ea"  # "Primary Unit" mapped
    assert lines[("QUO-002", 1)]["SalesUnitSymbol"] == "box"
    assert lines[("QUO-002", 1)]["RequestedSalesQuantity"] == Decimal("0.125")

    # the hub holds the quote in the standard entities, its lines linked to their header
    hub_quotes = _by(p2c.hub, "Quotation", "QuotationNumber")
    hub_lines = _rows(p2c.hub, "QuotationLine")
    assert {(r["Quotation"], r["Sequence"], r["ProductName"]) for r in hub_lines} == {
        (hub_quotes["QUO-001"]["RecordId"], 1, "Widget"),
        (hub_quotes["QUO-001"]["RecordId"], 2, "Gadget"),
        (hub_quotes["QUO-002"]["RecordId"], 1, "Widget"),
    }
    assert hub_quotes["QUO-001"]["Status"] == "Active"

    again = _run(p2c, "Quotes")
    assert (again.status, again.upserts) == ("Completed", 0)

    line = next(
        r
        for r in _rows(p2c.sales, "quotedetails")
        if r["sequencenumber"] == 2 and r["quantity"] == 3
    )
    p2c.sales.update("quotedetails", [{"RecordId": line["RecordId"], "quantity": Decimal("4.75")}])
    changed = _run(p2c, "Quotes")
    assert changed.status == "Completed"
    assert _counts(changed) == {
        "QuoteHeader 1": (0, 0, 0, 0, 0),
        "QuoteHeader 2": (0, 0, 0, 0, 0),
        "QuoteLine 1": (1, 0, 1, 0, 0),
        "QuoteLine 2": (1, 0, 1, 0, 0),
    }
    lines = {
        (r["SalesQuotationNumber"], r["LineCreationSequenceNumber"]): r
        for r in _ops_rows(p2c, "SalesQuotationLineCDSEntity")
    }
    assert lines[("QUO-001", 2)]["RequestedSalesQuantity"] == Decimal("4.75")
