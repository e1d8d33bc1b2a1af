"""`commonground demo`: the main job until the Prospect to Cash demo replaces it.

Creates an environment, loads sample accounts, contacts, products and sales orders with
lines, then shows what the data service does with them: queries across lookups, upserts
that skip unchanged records, change tracking, optimistic concurrency and restricted deletes.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

import typer
from rich.table import Table

from commonground.cli.app import app
from commonground.cli.output import console
from commonground.cli.state import State
from commonground.errors import ConflictError, ReferentialIntegrityError
from commonground.query import F, Query
from commonground.query.plan import Include, Order
from commonground.service.environment import Environment

CITIES = ("Seattle", "Oslo", "Lyon", "Osaka", "Lima", "Perth", "Accra", "Porto")
PRODUCTS = (
    "Surface Laptop",
    "Arc Mouse",
    "Dock",
    "Headset",
    "Monitor 27",
    "Keyboard",
    "Pen",
    "Cable",
)


def sample_accounts(count: int) -> list[dict[str, Any]]:
    """Accounts with addresses, credit limits and the required flags."""
    return [
        {
            "AccountId": f"ACC{i:06d}",
            "FullName": f"{('Contoso', 'Fabrikam', 'Litware', 'Tailspin')[i % 4]} {i}",
            "PartyType": "Organization",
            "Source": "Default",
            "Status": "Active" if i % 10 else "Inactive",
            "IsEmailContactAllowed": True,
            "IsPhoneContactAllowed": i % 3 == 0,
            "EmailPrimary": f"sales{i}@example.com",
            "MailingPostalAddress": {"City": CITIES[i % len(CITIES)], "PostalCode": f"{10000 + i}"},
            "CreditLimitAmount": {"Amount": (i % 50) * 1000, "CurrencyCode": "USD"},
        }
        for i in range(1, count + 1)
    ]


def load(env: Environment, accounts: int) -> dict[str, float]:
    """Load the sample data; returns seconds per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = env.upsert("Account", sample_accounts(accounts))
    timings["accounts"] = time.perf_counter() - started
    account_ids = [rid for rid in result.record_ids if rid is not None]
    contacts = [
        {
            "FullName": f"Contact {n}",
            "Name": {"GivenName": "Alex", "FamilyName": f"Doe{n}"},
            "PartyType": "Person",
            "Source": "Default",
            "Status": "Active",
            "IsEmailContactAllowed": True,
            "IsPhoneContactAllowed": True,
            "PrimaryAccount": account_ids[n % len(account_ids)],
        }
        for n in range(accounts * 2)
    ]
    started = time.perf_counter()
    env.create("Contact", contacts)
    products = [
        {"Name": name, "ProductType": "Item", "Status": "Active", "SellingUnitPrice": 10 + 7 * n}
        for n, name in enumerate(PRODUCTS)
    ]
    product_ids = env.create("Product", products).record_ids
    timings["contacts_products"] = time.perf_counter() - started
    started = time.perf_counter()
    _load_orders(env, account_ids[: max(1, accounts // 5)], [p for p in product_ids if p])
    timings["orders"] = time.perf_counter() - started
    return timings


def _load_orders(env: Environment, accounts: list[int], products: list[int]) -> None:
    """One order per account with 1-5 lines, header and lines in one transaction."""
    rng = random.Random(7)
    with env.transaction("demo") as tx:
        headers = [
            {
                "Account": account,
                "OrderDate": date(2026, 1, 1) + timedelta(days=n % 300),
                "Status": "Confirmed",
                "TotalAmount": 0,
                "TotalChargeAmount": 0,
                "TotalTaxAmount": 0,
            }
            for n, account in enumerate(accounts)
        ]
        order_ids = tx.create("SalesOrder", headers).record_ids
        lines = [
            {
                "SalesOrder": order,
                "Sequence": line,
                "Product": rng.choice(products),
                "ProductName": "Item",
                "Quantity": rng.randint(1, 9),
                "UnitPrice": 25,
                "DiscountAmount": 0,
            }
            for order in order_ids
            if order is not None
            for line in range(1, rng.randint(2, 6))
        ]
        tx.create("SalesOrderLine", lines)


@app.command("demo")
def demo(
    ctx: typer.Context,
    name: str = typer.Option("Demo", "--env", "-e", help="Environment to (re)create for the demo."),
    accounts: int = typer.Option(1000, help="How many sample accounts to load."),
) -> None:
    """Create an environment, load sample records and query them."""
    state: State = ctx.obj
    environments = state.environments
    if name.lower() in (n.lower() for n in environments.names()):
        environments.delete(name)
    env = environments.create(name)
    console.print(
        f"Created environment [bold]{env.name}[/] with {len(env.model.entities)} standard entities"
    )
    timings = load(env, accounts)
    for step, seconds in timings.items():
        console.print(f"  loaded {step} in {seconds:.2f}s")
    _show_queries(env)
    _show_changes(env)
    console.print(f"\nData is in {state.home.resolve()}")
    console.print(f"Next: commonground entity show Account --env {env.name}")


def _show_queries(env: Environment) -> None:
    active_in_oslo = Query(
        "Account",
        select=("AccountId", "FullName", "MailingPostalAddress"),
        where=(F.Status == "Active") & (F("MailingPostalAddress/City") == "Oslo"),
        order_by=(Order("FullName"),),
        top=5,
    )
    table = Table("AccountId", "FullName", "City", title="Active accounts in Oslo (first 5)")
    for record in env.query(active_in_oslo):
        table.add_row(
            record["AccountId"], record["FullName"], record["MailingPostalAddress"]["City"]
        )
    console.print(table)
    console.print(f"{env.count(active_in_oslo)} active accounts in Oslo")
    orders = Query(
        "SalesOrder",
        where=F("Account/MailingPostalAddress/City") == "Lyon",
        include=(Include("Account"), Include("SalesOrderLine")),
        top=3,
    )
    table = Table(
        "Order", "Customer", "Lines", "Quantity", title="Orders of customers in Lyon (first 3)"
    )
    for order in env.query(orders):
        lines = order.related["SalesOrderLine"]
        quantity = sum(line["Quantity"] for line in lines)
        table.add_row(
            order["SalesOrderId"],
            order.related["Account"]["FullName"],
            str(len(lines)),
            str(quantity),
        )
    console.print(table)


def _show_changes(env: Environment) -> None:
    token = env.current_token()
    again = env.upsert("Account", sample_accounts(50))
    still = env.current_token()
    console.print(
        f"Re-sent 50 accounts: {again.unchanged} unchanged, nothing written (token {still})"
    )
    record = env.get_by_key("Account", {"AccountId": "ACC000007"})
    env.update("Account", [{"RecordId": record["RecordId"], "FullName": "Renamed Ltd"}])
    changes = env.changes_since("Account", token)
    console.print(f"Changes since token {token}: {[r['FullName'] for r in changes.changed]}")
    try:
        stale = {
            "RecordId": record["RecordId"],
            "VersionNumber": record["VersionNumber"],
            "FullName": "Stale",
        }
        env.update("Account", [stale])
    except ConflictError as exc:
        console.print(f"Stale write refused: {exc}")
    try:
        env.delete("Account", [record["RecordId"]])
    except ReferentialIntegrityError as exc:
        console.print(f"Delete refused: {exc}")
