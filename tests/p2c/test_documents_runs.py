"""The document templates end to end: Sales, hub and Operations with small, messy data.

The master data the documents need (currency, price list, units, accounts, products) is
created directly in Sales and the hub, as the master templates would have left it; the Operations
tables need no customers or products of their own. Each test runs a template's project and
checks the run's counts and the exact values that reach the destination, then that a second run
writes nothing, that a changed line moves alone, and (orders) that the two directions never echo.
"""

from __future__ import annotations

import sqlite3
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
    assert record is not None
    assert record.startswith("(quoteid,sequencenumber):(")
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


# -- orders ------------------------------------------------------------------------------------


def _sales_order(p2c: Scenario) -> None:
    """SO-1 activated with two lines; SO-2 still a draft (filtered out)."""
    sales = p2c.sales
    accounts = {r["accountnumber"]: r["RecordId"] for r in _rows(sales, "accounts")}
    products = {r["productnumber"]: r["RecordId"] for r in _rows(sales, "products")}
    units = {r["name"]: r["RecordId"] for r in _rows(sales, "uoms")}
    [usd] = [r["RecordId"] for r in _rows(sales, "transactioncurrencies")]
    orders = _ids(
        sales.create(
            "salesorders",
            [
                {
                    "ordernumber": "SO-1",
                    "name": "PO 4711",
                    "customerid": accounts["A1"],
                    "transactioncurrencyid": usd,
                    "statecode": "Active",
                    "msdynce_hasexternallymaintainedproductsonly": True,
                    "shipto_line1": "Hauptstr. 5",
                    "shipto_line2": "Hof 2",
                    "shipto_city": "Berlin",
                    "shipto_postalcode": "10115",
                    "shipto_country": "Germany",
                    "totalamount": Decimal("99.99"),
                },
                {
                    "ordernumber": "SO-2",
                    "customerid": accounts["A2"],
                    "statecode": "Draft",
                    "msdynce_hasexternallymaintainedproductsonly": True,
                },
            ],
        )
    )
    flag = {"msdynce_orderhasexternallymaintainedproductsonly": True}
    sales.create(
        "salesorderdetails",
        [
            {
                **flag,
                "salesorderid": orders[0],
                "sequencenumber": 1,
                "productid": products["P1"],
                "uomid": units["pcs"],
                "quantity": Decimal("3"),
                "priceperunit": Decimal("33.333"),
                "manualdiscountamount": Decimal("10"),
            },
            {
                **flag,
                "salesorderid": orders[0],
                "sequencenumber": 2,
                "productid": products["P2"],
                "uomid": units["ea"],
                "quantity": Decimal("1.5"),
                "priceperunit": Decimal("0.01"),
            },
        ],
    )


def _order_lines(p2c: Scenario) -> dict[tuple[str, int], dict[str, Any]]:
    return {
        (r["SalesOrderNumber"], r["LineCreationSequenceNumber"]): r
        for r in _ops_rows(p2c, "SalesOrderLineCDSEntity")
    }


def test_orders_go_both_ways_and_never_echo(p2c: Scenario) -> None:
    _masters(p2c)
    _sales_order(p2c)
    # both projects exist first: a write is remembered where some project reads it back
    project_from(p2c, ORDERS_TO_OPERATIONS, "OrdersOut")
    project_from(p2c, ORDERS_TO_SALES, "OrdersIn")

    out = _run(p2c, "OrdersOut")
    assert out.status == "Completed"
    assert _counts(out) == {
        "OrderHeader 1": (1, 1, 0, 0, 0),
        "OrderHeader 2": (1, 1, 0, 0, 0),
        "OrderLine 1": (2, 2, 0, 0, 0),
        "OrderLine 2": (2, 2, 0, 0, 0),
    }
    [header] = _ops_rows(p2c, "SalesOrderHeaderCDSEntity")
    assert {k: v for k, v in header.items() if v is not None} == {
        "dataAreaId": "USMF",
        "SalesOrderNumber": "SO-1",
        "CustomersOrderReference": "PO 4711",
        "OrderingCustomerAccountNumber": "A1",
        "CurrencyCode": "USD",
        "OrderTotalAmount": Decimal("99.99"),
        "DeliveryAddressName": "Delivery address",
        "DeliveryAddressDescription": "From Sales",
        "IsDeliveryAddressOrderSpecific": 1,
        "DeliveryAddressStreet": "Hauptstr. 5",
        "DeliveryAddressStreetNumber": "Hof 2",
        "DeliveryAddressCity": "Berlin",
        "DeliveryAddressZipCode": "10115",
        "DeliveryAddressCountryRegionISOCode": "DE",
    }
    lines = _order_lines(p2c)
    assert {k: v for k, v in lines[("SO-1", 1)].items() if v is not None} == {
        "dataAreaId": "USMF",
        "SalesOrderNumber": "SO-1",
        "LineCreationSequenceNumber": 1,
        "ProductNumber": "P1",
        "OrderedSalesQuantity": Decimal("3"),
        "SalesUnitSymbol": "pcs",
        "SalesPrice": Decimal("33.333"),
        "TotalDiscountAmount": Decimal("10"),
    }
    assert lines[("SO-1", 2)]["OrderedSalesQuantity"] == Decimal("1.5")

    # not confirmed in Operations yet (and its customer flags unset): nothing comes back
    back = _run(p2c, "OrdersIn")
    assert (back.status, back.upserts) == ("Completed", 0)

    # Operations confirms the order and calculates its totals: it comes back to Sales
    _ops_update(
        p2c,
        "SalesOrderHeaderCDSEntity",
        "SalesOrderNumber = 'SO-1'",
        {
            "OrderingCustomerIsExternallyMaintained": True,
            "InvoiceCustomerIsExternallyMaintained": True,
            "SalesOrderProcessingStatus": "Confirmed",
            "SalesOrderName": "Contoso Retail",
            "OrderTotalTaxAmount": Decimal("7.77"),
            "InvoiceAddressCountryRegionId": "DEU",
        },
    )
    _ops_update(
        p2c,
        "SalesOrderLineCDSEntity",
        "SalesOrderNumber = 'SO-1'",
        {
            "OrderingCustomerIsExternallyMaintained": True,
            "InvoiceCustomerIsExternallyMaintained": True,
            "LineAmount": Decimal("89.999"),
            "ProductName": "Widget",
        },
    )
    back = _run(p2c, "OrdersIn")
    assert back.status == "Completed"
    assert _counts(back) == {
        "OrderHeader 1": (1, 0, 1, 0, 0),
        "OrderHeader 2": (1, 0, 1, 0, 0),
        "OrderLine 1": (2, 0, 2, 0, 0),
        "OrderLine 2": (2, 0, 2, 0, 0),
    }
    order = _by(p2c.sales, "salesorders", "ordernumber")["SO-1"]
    [price_list] = _rows(p2c.sales, "pricelevels")
    assert order["msdynce_processingstatus"] == "Confirmed"
    assert order["statecode"] == "Active"
    assert order["statuscode"] == "New"
    assert order["msdynce_ismaintainedexternally"] is True
    assert order["pricelevelid"] == price_list["RecordId"]
    assert order["totaltax"] == Decimal("7.77")
    assert order["billto_country"] == "DE"
    assert order["shipto_country"] == "DE"  # what Operations holds now
    detail = next(r for r in _rows(p2c.sales, "salesorderdetails") if r["sequencenumber"] == 1)
    assert detail["extendedamount"] == Decimal("89.999")
    assert detail["msdynce_ordernumber"] == "SO-1"
    assert detail["salesorderid"] == order["RecordId"]
    assert detail["ispriceoverridden"] is True

    # neither direction sends back what the other just wrote
    for _ in range(2):
        for project in ("OrdersOut", "OrdersIn"):
            quiet = _run(p2c, project)
            assert (quiet.status, quiet.upserts, quiet.errors) == ("Completed", 0, 0), project
    # a real change in Sales still goes out (the echo skip is for unchanged records only)
    p2c.sales.update("salesorders", [{"RecordId": order["RecordId"], "shipto_city": "Potsdam"}])
    moved = _run(p2c, "OrdersOut")
    assert moved.upserts == 2  # hub and Operations
    [header] = _ops_rows(p2c, "SalesOrderHeaderCDSEntity")
    assert header["DeliveryAddressCity"] == "Potsdam"
    assert header["SalesOrderProcessingStatus"] == "Confirmed"  # Operations' own field kept


def test_orders_from_operations_reach_sales(p2c: Scenario) -> None:
    _masters(p2c)
    project_from(p2c, ORDERS_TO_SALES, "OrdersIn")
    flags = {
        "OrderingCustomerIsExternallyMaintained": True,
        "InvoiceCustomerIsExternallyMaintained": True,
    }
    _ops_insert(
        p2c,
        "SalesOrderHeaderCDSEntity",
        [
            {
                **flags,
                "SalesOrderNumber": "SO-F1",
                "SalesOrderName": "Fabrikam",
                "CustomersOrderReference": "Call-off 7",
                "OrderingCustomerAccountNumber": "A2",
                "SalesOrderProcessingStatus": "PackingSlip",
                "CurrencyCode": "USD",
                "OrderTotalAmount": Decimal("250.5"),
                "TotalDiscountAmount": Decimal("0.01"),
                "OrderTotalTaxAmount": Decimal("20.04"),
                "OrderTotalChargesAmount": Decimal("5"),
                "DeliveryAddressStreet": "5th Ave",
                "DeliveryAddressCity": "New York",
                "DeliveryAddressStateId": "NY",
                "DeliveryAddressZipCode": "10001",
                "DeliveryAddressCountryRegionISOCode": "US",
                "InvoiceAddressCity": "Boston",
                "InvoiceAddressCountryRegionId": "USA",
            },
            # a customer that did not come from Sales: filtered out
            {
                "SalesOrderNumber": "SO-F2",
                "OrderingCustomerIsExternallyMaintained": False,
                "InvoiceCustomerIsExternallyMaintained": True,
                "OrderingCustomerAccountNumber": "A1",
                "SalesOrderProcessingStatus": "Confirmed",
            },
            # not confirmed yet: filtered out
            {**flags, "SalesOrderNumber": "SO-F3", "SalesOrderProcessingStatus": "Draft"},
        ],
    )
    line = {**flags, "SalesOrderNumber": "SO-F1", "CurrencyCode": "USD"}
    _ops_insert(
        p2c,
        "SalesOrderLineCDSEntity",
        [
            {
                **line,
                "LineCreationSequenceNumber": 10,
                "ProductNumber": "P1",
                "ProductName": "Widget",
                "OrderedSalesQuantity": Decimal("2"),
                "SalesUnitSymbol": "EA",
                "SalesPrice": Decimal("100.25"),
                "LineAmount": Decimal("200.5"),
            },
            {
                **line,
                "LineCreationSequenceNumber": 20,
                "ProductNumber": "P2",
                "ProductName": "Gadget",
                "OrderedSalesQuantity": Decimal("1"),
                "SalesUnitSymbol": "box",
                "SalesPrice": Decimal("50"),
                "TotalTaxAmount": Decimal("4.5"),
            },
            {
                **line,
                "LineCreationSequenceNumber": 30,
                "ProductNumber": "P404",
                "ProductName": "Unknown",
                "OrderedSalesQuantity": Decimal("1"),
            },
            {
                "SalesOrderNumber": "SO-F2",
                "LineCreationSequenceNumber": 10,
                "ProductNumber": "P1",
                "OrderingCustomerIsExternallyMaintained": False,
            },
        ],
    )

    run = _run(p2c, "OrdersIn")
    assert run.status == "Warning"
    assert _counts(run) == {
        "OrderHeader 1": (1, 1, 0, 0, 0),
        "OrderHeader 2": (1, 1, 0, 0, 0),
        "OrderLine 1": (3, 2, 0, 0, 1),
        "OrderLine 2": (2, 2, 0, 0, 0),
    }
    [(record, message)] = _errors(p2c, run)
    assert record == "(SalesOrderNumber,LineCreationSequenceNumber):(SO-F1,30)"
    assert message == "Product with value P404 does not exist in destination."

    [order] = _rows(p2c.sales, "salesorders")
    accounts = _by(p2c.sales, "accounts", "accountnumber")
    [usd] = _rows(p2c.sales, "transactioncurrencies")
    [price_list] = _rows(p2c.sales, "pricelevels")
    wanted = {
        "ordernumber": "SO-F1",
        "name": "Fabrikam",
        "description": "Call-off 7",
        "customerid": accounts["A2"]["RecordId"],
        "transactioncurrencyid": usd["RecordId"],
        "pricelevelid": price_list["RecordId"],
        "statecode": "Active",
        "statuscode": "New",
        "msdynce_ismaintainedexternally": True,
        "msdynce_processingstatus": "Packing Slip",
        "totalamount": Decimal("250.5"),
        "discountamount": Decimal("0.01"),
        "totaltax": Decimal("20.04"),
        "freightamount": Decimal("5"),
        "shipto_line1": "5th Ave",
        "shipto_city": "New York",
        "shipto_stateorprovince": "NY",
        "shipto_postalcode": "10001",
        "shipto_country": "US",
        "billto_city": "Boston",
        "billto_country": "US",
    }
    assert {k: order[k] for k in wanted} == wanted
    details = {r["sequencenumber"]: r for r in _rows(p2c.sales, "salesorderdetails")}
    products = _by(p2c.sales, "products", "productnumber")
    units = _by(p2c.sales, "uoms", "name")
    assert set(details) == {10, 20}
    wanted_line = {
        "salesorderid": order["RecordId"],
        "msdynce_ordernumber": "SO-F1",
        "productid": products["P1"]["RecordId"],
        "description": "Widget",
        "uomid": units["ea"]["RecordId"],  # "EA": value maps ignore case
        "transactioncurrencyid": usd["RecordId"],
        "quantity": Decimal("2"),
        "priceperunit": Decimal("100.25"),
        "extendedamount": Decimal("200.5"),
        "ispriceoverridden": True,
        "msdynce_ismaintainedexternally": True,
    }
    assert {k: details[10][k] for k in wanted_line} == wanted_line
    assert details[20]["extendedamount"] == Decimal("0")  # no line amount: Default 0
    assert details[20]["tax"] == Decimal("4.5")
    assert details[20]["uomid"] == units["box"]["RecordId"]

    again = _run(p2c, "OrdersIn")
    assert (again.status, again.upserts) == ("Completed", 0)

    _ops_update(
        p2c,
        "SalesOrderLineCDSEntity",
        "SalesOrderNumber = 'SO-F1' AND LineCreationSequenceNumber = 20",
        {"OrderedSalesQuantity": Decimal("2.25")},
    )
    changed = _run(p2c, "OrdersIn")
    assert changed.status == "Completed"
    assert _counts(changed) == {
        "OrderHeader 1": (0, 0, 0, 0, 0),
        "OrderHeader 2": (0, 0, 0, 0, 0),
        "OrderLine 1": (1, 0, 1, 0, 0),
        "OrderLine 2": (1, 0, 1, 0, 0),
    }
    details = {r["sequencenumber"]: r for r in _rows(p2c.sales, "salesorderdetails")}
    assert details[20]["quantity"] == Decimal("2.25")
    assert details[10]["quantity"] == Decimal("2")


# -- invoices ----------------------------------------------------------------------------------


def test_invoices_reach_sales_linked_to_their_order(p2c: Scenario) -> None:
    _masters(p2c)
    flags = {
        "OrderingCustomerIsExternallyMaintained": True,
        "InvoiceCustomerIsExternallyMaintained": True,
    }
    _ops_insert(
        p2c,
        "SalesOrderHeaderCDSEntity",
        [
            {
                **flags,
                "SalesOrderNumber": "SO-F1",
                "OrderingCustomerAccountNumber": "A1",
                "SalesOrderProcessingStatus": "Invoiced",
                "CurrencyCode": "USD",
            },
        ],
    )
    # the prerequisite: the order is in the hub and in Sales
    project_from(p2c, ORDERS_TO_SALES, "OrdersIn")
    assert _run(p2c, "OrdersIn").status == "Completed"
    project_from(p2c, INVOICES, "Invoices")
    mine = {"InvoiceCustomerIsExternallyMaintained": True}
    _ops_insert(
        p2c,
        "SalesExternallyMaintainedCustomerSalesInvoiceHeaderEntity",
        [
            {
                **mine,
                "InvoiceNumber": "INV-1",
                "InvoiceDate": "2026-11-20",
                "InvoiceCustomerAccountNumber": "A1",
                "SalesOrderNumber": "SO-F1",
                "CustomersOrderReference": "PO 4711",
                "CurrencyCode": "USD",
                "TotalInvoiceAmount": Decimal("1050.125"),
                "TotalChargeAmount": Decimal("12.5"),
                "TotalDiscountAmount": Decimal("3.333"),
                "TotalDiscountCustomerGroupCode": "TOTDISC",
                "TotalTaxAmount": Decimal("84.01"),
                "InvoiceAddressStreet": "1 Main St",
                "InvoiceAddressStreetNumber": "Suite 500",
                "InvoiceAddressCity": "Redmond",
                "InvoiceAddressState": "WA",
                "InvoiceAddressZipCode": "98052",
                "InvoiceAddressCountryRegionISOCode": "US",
            },
            # a customer that is not externally maintained: filtered out
            {
                "InvoiceNumber": "INV-2",
                "InvoiceDate": "2026-11-21",
                "InvoiceCustomerIsExternallyMaintained": False,
                "InvoiceCustomerAccountNumber": "A2",
            },
        ],
    )
    line = {**mine, "InvoiceNumber": "INV-1", "CurrencyCode": "USD"}
    _ops_insert(
        p2c,
        "SalesExternallyMaintainedCustomerSalesInvoiceLineEntity",
        [
            {
                **line,
                "LineCreationSequenceNumber": 1,
                "ProductNumber": "P1",
                "ProductName": "Widget",
                "InvoicedQuantity": Decimal("7"),
                "SalesUnitSymbol": "pcs",
                "SalesPrice": Decimal("150.0178"),
                "LineAmount": Decimal("1050.125"),
                "LineTotalDiscountAmount": Decimal("0.005"),
                "LineTotalTaxAmount": Decimal("84.01"),
            },
            {
                **line,
                "LineCreationSequenceNumber": 2,
                "ProductNumber": "P2",
                "ProductName": "Gadget",
                "InvoicedQuantity": Decimal("1"),
                "SalesUnitSymbol": "ea",
                "SalesPrice": Decimal("0"),
            },
            {
                **line,
                "LineCreationSequenceNumber": 3,
                "ProductNumber": "P404",
                "ProductName": "Freight Tax",
                "InvoicedQuantity": Decimal("1"),
            },
            {
                "InvoiceNumber": "INV-2",
                "LineCreationSequenceNumber": 1,
                "ProductNumber": "P1",
                "ProductName": "Widget",
                "InvoiceCustomerIsExternallyMaintained": False,
            },
        ],
    )

    run = _run(p2c, "Invoices")
    assert run.status == "Warning"
    assert _counts(run) == {
        "SalesInvoiceHeader 1": (1, 1, 0, 0, 0),
        "SalesInvoiceHeader 2": (1, 1, 0, 0, 0),
        "SalesInvoiceLine 1": (3, 2, 0, 0, 1),
        "SalesInvoiceLine 2": (2, 2, 0, 0, 0),
    }
    [(record, message)] = _errors(p2c, run)
    assert record == "(InvoiceNumber,LineCreationSequenceNumber):(INV-1,3)"
    assert message == "Product with value P404 does not exist in destination."

    [invoice] = _rows(p2c.sales, "invoices")
    order = _by(p2c.sales, "salesorders", "ordernumber")["SO-F1"]
    accounts = _by(p2c.sales, "accounts", "accountnumber")
    [usd] = _rows(p2c.sales, "transactioncurrencies")
    [price_list] = _rows(p2c.sales, "pricelevels")
    wanted = {
        "invoicenumber": "INV-1",
        "name": "INV-1",
        "description": "PO 4711",
        "customerid": accounts["A1"]["RecordId"],
        "salesorderid": order["RecordId"],
        "transactioncurrencyid": usd["RecordId"],
        "pricelevelid": price_list["RecordId"],  # USD -> CRM Service USA (sample)
        "msdynce_invoicedate": datetime(2026, 11, 20, tzinfo=UTC),
        "totalamount": Decimal("1050.125"),
        "freightamount": Decimal("12.5"),
        "totaldiscountamount": Decimal("3.333"),
        "discountamount": None,  # the screenshot's customer group code is not shipped
        "totaltax": Decimal("84.01"),
        "ispricelocked": True,
        "statuscode": "Billed",
        "billto_line1": "1 Main St",
        "billto_line2": "Suite 500",
        "billto_city": "Redmond",
        "billto_stateorprovince": "WA",
        "billto_postalcode": "98052",
        "billto_country": "US",
    }
    assert {k: invoice[k] for k in wanted} == wanted
    details = {r["sequencenumber"]: r for r in _rows(p2c.sales, "invoicedetails")}
    products = _by(p2c.sales, "products", "productnumber")
    units = _by(p2c.sales, "uoms", "name")
    assert set(details) == {1, 2}
    wanted_line = {
        "invoiceid": invoice["RecordId"],
        "msdynce_invoicenumber": "INV-1",
        "productid": products["P1"]["RecordId"],
        "description": "Widget",
        "uomid": units["pcs"]["RecordId"],
        "transactioncurrencyid": usd["RecordId"],
        "quantity": Decimal("7"),
        "priceperunit": Decimal("150.0178"),
        "manualdiscountamount": Decimal("0.005"),
        "extendedamount": Decimal("1050.125"),
        "tax": Decimal("84.01"),
        "producttypecode": "Product",
        "propertyconfigurationstatus": "NotConfigured",
        "ispriceoverridden": True,
    }
    assert {k: details[1][k] for k in wanted_line} == wanted_line
    assert details[2]["productid"] == products["P2"]["RecordId"]
    assert details[2]["priceperunit"] == Decimal("0")

    again = _run(p2c, "Invoices")
    assert (again.status, again.upserts) == ("Completed", 0)

    _ops_update(
        p2c,
        "SalesExternallyMaintainedCustomerSalesInvoiceLineEntity",
        "InvoiceNumber = 'INV-1' AND LineCreationSequenceNumber = 2",
        {"SalesPrice": Decimal("9.99")},
    )
    changed = _run(p2c, "Invoices")
    assert changed.status == "Completed"
    assert _counts(changed) == {
        "SalesInvoiceHeader 1": (0, 0, 0, 0, 0),
        "SalesInvoiceHeader 2": (0, 0, 0, 0, 0),
        "SalesInvoiceLine 1": (1, 0, 1, 0, 0),
        "SalesInvoiceLine 2": (1, 0, 1, 0, 0),
    }
    details = {r["sequencenumber"]: r for r in _rows(p2c.sales, "invoicedetails")}
    assert details[2]["priceperunit"] == Decimal("9.99")
    assert details[1]["priceperunit"] == Decimal("150.0178")
