"""Sample documents for the Prospect to Cash demo: quotes and orders in Sales, the Operations
side of orders (confirmation) and the invoices Operations raises.

Documents refer to masters the integrator has already moved (Sales products arrive from
Operations, Operations customers from Sales), so they are made after the master templates
ran. Like the masters they are deterministic for a seed and a little messy: decimals in
quantities and prices, varying line counts, and a few lines for a product Sales made up
itself, which never reached the hub, so those lines fail their lookup on the way out.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from decimal import Decimal
from itertools import groupby
from typing import Any

from commonground.apps.operations import COMPANY, CURSOR
from commonground.apps.scenario import COMPANY_ID
from commonground.service.environment import Environment

WRITE_IN = "WRITE-IN"  # a product that exists only in Sales
NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
ORDER_HEADERS = "SalesOrderHeaderCDSEntity"
ORDER_LINES = "SalesOrderLineCDSEntity"
INVOICE_HEADERS = "SalesExternallyMaintainedCustomerSalesInvoiceHeaderEntity"
INVOICE_LINES = "SalesExternallyMaintainedCustomerSalesInvoiceLineEntity"


def _ids(environment: Environment, entity: str, key: str) -> dict[Any, int]:
    return {r[key]: int(r["RecordId"]) for batch in environment.scan(entity) for r in batch}


def sales_documents(sales: Environment, documents: int, seed: int, batch: int = 2000) -> None:
    """Create `documents` quotes and as many orders, with lines, in the Sales app."""
    accounts = list(_ids(sales, "accounts", "accountnumber").values())
    products = _ids(sales, "products", "productnumber")
    if WRITE_IN not in products:
        sales.upsert("products", [{"productnumber": WRITE_IN, "name": "Write-in item"}])
        products = _ids(sales, "products", "productnumber")
    synced = [rid for number, rid in products.items() if number != WRITE_IN]
    units = list(_ids(sales, "uoms", "name").values())
    currency = next(iter(_ids(sales, "transactioncurrencies", "isocurrencycode").values()))
    for kind, lines in (("quotes", "quotedetails"), ("salesorders", "salesorderdetails")):
        prefix, number_field = (
            ("QUO", "quotenumber") if kind == "quotes" else ("ORD", "ordernumber")
        )
        header_link = "quoteid" if kind == "quotes" else "salesorderid"
        line_flag = (
            "msdynce_quotehasexternallymaintainedproductsonly"
            if kind == "quotes"
            else "msdynce_orderhasexternallymaintainedproductsonly"
        )
        for start in range(0, documents, batch):
            numbers = range(start, min(start + batch, documents))
            headers = []
            for i in numbers:
                rng = random.Random(f"{seed}:{kind}:{i}")
                headers.append(
                    {
                        number_field: f"{prefix}-{i:06d}",
                        "name": f"{kind[:-1].title()} {i}",
                        "customerid": rng.choice(accounts),
                        "transactioncurrencyid": currency,
                        "statecode": "Active" if i % 17 else "Draft",
                        "msdynce_hasexternallymaintainedproductsonly": True,
                        "shipto_line1": f"{rng.randrange(1, 999)} Main St",
                        "shipto_city": "Redmond",
                        "shipto_country": rng.choice(("US", "usa", "United States", "")),
                        "totalamount": Decimal(rng.randrange(100, 10**7)) / 100,
                    }
                )
            result = sales.upsert(kind, headers, key=[number_field])
            details = []
            for i, header_id in zip(numbers, result.record_ids, strict=True):
                rng = random.Random(f"{seed}:{lines}:{i}")
                for sequence in range(1, rng.randrange(2, 7)):
                    product = (
                        products[WRITE_IN] if i % 53 == 3 and sequence == 1 else rng.choice(synced)
                    )
                    details.append(
                        {
                            header_link: header_id,
                            "sequencenumber": sequence,
                            "productid": product,
                            "uomid": rng.choice(units),
                            "quantity": Decimal(rng.randrange(1, 4000)) / 100,
                            "priceperunit": Decimal(rng.randrange(100, 100_000)) / 100,
                            line_flag: bool(i % 17),  # lines of a Draft stay home too
                        }
                    )
            sales.upsert(lines, details, key=[header_link, "sequencenumber"])


@contextmanager
def _operations(url: str) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db, db:
        db.row_factory = sqlite3.Row
        yield db


def confirm_orders(operations_url: str, every: int = 2) -> int:
    """Operations confirms every `every`-th order it received from Sales; how many."""
    with _operations(operations_url) as db:
        flags = (
            "OrderingCustomerIsExternallyMaintained = 1, InvoiceCustomerIsExternallyMaintained = 1"
        )
        cursor = db.execute(
            f"UPDATE {ORDER_HEADERS} SET SalesOrderProcessingStatus = 'Confirmed', {flags}, "
            f"{CURSOR} = {NOW} WHERE CAST(substr(SalesOrderNumber, 5) AS INTEGER) % ? = 0 "
            "AND coalesce(SalesOrderProcessingStatus, '') <> 'Confirmed'",
            (every,),
        )
        db.execute(
            f"UPDATE {ORDER_LINES} SET {flags}, {CURSOR} = {NOW} WHERE SalesOrderNumber IN "
            f"(SELECT SalesOrderNumber FROM {ORDER_HEADERS} "
            "WHERE SalesOrderProcessingStatus = 'Confirmed') "
            "AND coalesce(OrderingCustomerIsExternallyMaintained, 0) = 0"
        )
        return int(cursor.rowcount)


def raise_invoices(operations_url: str) -> int:
    """An invoice for every confirmed order that has none yet, its lines from the order's.

    The confirmed orders' lines are read in one pass, in order number order, and product
    names come from one read of the products: the lines table's key starts with the company,
    so a query per order would scan every line for every order.
    """
    with _operations(operations_url) as db:
        orders = {
            order["SalesOrderNumber"]: order
            for order in db.execute(
                f"SELECT * FROM {ORDER_HEADERS} h WHERE SalesOrderProcessingStatus = 'Confirmed' "
                f"AND NOT EXISTS (SELECT 1 FROM {INVOICE_HEADERS} i "
                "WHERE i.SalesOrderNumber = h.SalesOrderNumber)"
            )
        }
        names = {
            number: str(name)
            for number, name in db.execute(
                "SELECT PRODUCTNUMBER, PRODUCTNAME FROM EcoResSellableReleasedProductEntity"
            )
        }
        lines = db.execute(
            f"SELECT * FROM {ORDER_LINES} WHERE SalesOrderNumber IN (SELECT SalesOrderNumber "
            f"FROM {ORDER_HEADERS} WHERE SalesOrderProcessingStatus = 'Confirmed') "
            "ORDER BY SalesOrderNumber, LineCreationSequenceNumber"
        )
        invoiced = len(orders)
        for number, group in groupby(lines, key=lambda line: line["SalesOrderNumber"]):
            order = orders.pop(number, None)
            if order is not None:
                _invoice(db, order, list(group), names)
        for order in orders.values():  # confirmed without lines
            _invoice(db, order, [], names)
        return invoiced


def _invoice(
    db: sqlite3.Connection,
    order: sqlite3.Row,
    lines: list[sqlite3.Row],
    names: dict[str, str],
) -> None:
    """One order's invoice header and lines."""
    number = order["SalesOrderNumber"]
    invoice = "INV-" + number.removeprefix("ORD-")
    total = sum(
        (
            Decimal(str(line["SalesPrice"] or 0)) * Decimal(str(line["OrderedSalesQuantity"] or 0))
            for line in lines
        ),
        Decimal(0),
    )
    _insert(
        db,
        INVOICE_HEADERS,
        {
            "InvoiceNumber": invoice,
            "InvoiceDate": "2026-11-24",
            "InvoiceCustomerAccountNumber": order["OrderingCustomerAccountNumber"],
            "InvoiceCustomerIsExternallyMaintained": 1,
            "SalesOrderNumber": number,
            "CurrencyCode": order["CurrencyCode"] or "USD",
            "TotalInvoiceAmount": float(total.quantize(Decimal("0.01"))),
        },
    )
    for line in lines:
        _insert(
            db,
            INVOICE_LINES,
            {
                "InvoiceNumber": invoice,
                "LineCreationSequenceNumber": line["LineCreationSequenceNumber"],
                "ProductNumber": line["ProductNumber"],
                "ProductName": names.get(line["ProductNumber"]),
                "InvoicedQuantity": line["OrderedSalesQuantity"],
                "SalesUnitSymbol": line["SalesUnitSymbol"],
                "SalesPrice": line["SalesPrice"],
                "CurrencyCode": "USD",
                "InvoiceCustomerIsExternallyMaintained": 1,
            },
        )


def reprice_products(operations_url: str, every: int) -> int:
    """Raise the price of every `every`-th released product by 5%; how many changed."""
    with _operations(operations_url) as db:
        cursor = db.execute(
            f"UPDATE EcoResSellableReleasedProductEntity SET SALESPRICE = "
            f"round(SALESPRICE * 1.05, 2), {CURSOR} = {NOW} "
            "WHERE CAST(substr(PRODUCTNUMBER, 2) AS INTEGER) % ? = 0",
            (every,),
        )
        return int(cursor.rowcount)


def _insert(db: sqlite3.Connection, table: str, row: dict[str, Any], verb: str = "INSERT") -> None:
    """One row of the company, stamped now (`verb` "INSERT OR IGNORE" keeps existing rows)."""
    values = {COMPANY: COMPANY_ID, **row}
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    db.execute(
        f"{verb} INTO {table} ({names}, {CURSOR}) VALUES ({marks}, {NOW})",
        [float(v) if isinstance(v, Decimal) else v for v in values.values()],
    )


def insert_products(operations_url: str, batches: Iterator[Sequence[dict[str, Any]]]) -> None:
    """Released products into Operations (existing product numbers are left as they are)."""
    with _operations(operations_url) as db:
        for batch in batches:
            for product in batch:
                _insert(db, "EcoResSellableReleasedProductEntity", product, "INSERT OR IGNORE")
