"""The sample data's messy accounts, contacts and products flow through the master templates.

Every record reaches Operations or Sales except those the data spoils on purpose: contacts
without a number (no integration key) are reported, never written.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

from commonground.apps.generator import SampleData, Volumes
from commonground.apps.scenario import Scenario
from tests.fixtures.fix_p2c import project_from
from tests.p2c.test_masters_accounts import operations_rows

TEMPLATES = {
    "Accounts": "Accounts (Sales to Fin and Ops) - Direct",
    "Contacts": "Contacts (Sales to Fin and Ops) - Direct",
    "ContactsToCustomers": "Contacts to Customers (Sales to Fin and Ops) - Direct",
    "Products": "Products (Fin and Ops to Sales) - Direct",
}


def _load(p2c: Scenario, data: SampleData) -> None:
    sales = p2c.sales
    sales.create("transactioncurrencies", [{"isocurrencycode": "USD", "currencyname": "US Dollar"}])
    sales.create("uomschedules", [{"name": "Default unit"}])
    sales.create("uoms", [{"name": n} for n in ("Each", "Piece", "Box", "Kilogram")])
    sales.create("pricelevels", [{"name": "Standard"}])
    for batch in data.accounts():
        sales.create("accounts", batch)
    ids = {r["accountnumber"]: r["RecordId"] for b in sales.scan("accounts") for r in b}
    for batch in data.contacts():
        for contact in batch:
            contact["parentcustomerid"] = ids.get(contact.pop("parent_accountnumber"))
        sales.create("contacts", batch)
    stamp = datetime(2026, 1, 1, tzinfo=UTC).isoformat(sep=" ")
    path = p2c.operations_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        for batch in data.products():
            rows = [{**p, "dataAreaId": "USMF", "ModifiedDateTime": stamp} for p in batch]
            names = list(rows[0])
            db.executemany(
                f"INSERT INTO EcoResSellableReleasedProductEntity ({', '.join(names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                [[_plain(r[n]) for n in names] for r in rows],
            )
        db.commit()


def _plain(value: object) -> object:
    return str(value) if value is not None and not isinstance(value, int | str) else value


def test_the_sample_data_flows(p2c: Scenario) -> None:
    data = SampleData(Volumes.for_accounts(60), seed=11)
    _load(p2c, data)
    contacts = [c for b in data.contacts() for c in b]
    keyless = sum(1 for c in contacts if c["msdynce_contactnumber"] is None)
    spoiled = 0
    for name, template in TEMPLATES.items():
        project_from(p2c, template, name)
        run = p2c.integrator.run(name)
        errors = p2c.integrator.history.record_errors(run.id)
        assert all("ContactNumber is empty" in e["message"] for e in errors), errors
        assert run.status == ("Warning" if errors else "Completed"), name
        spoiled += len(errors)
    assert spoiled == keyless == 1

    customers = operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")
    customer_contacts = [
        c for c in contacts if c["msdynce_isactivecustomer"] and c["msdynce_contactnumber"]
    ]
    assert len(customers) == 60 + len(customer_contacts)
    assert {c["ADDRESSCOUNTRYREGIONISOCODE"] for c in customers.values()} <= {
        "US",
        "DE",
        "FR",
        "GB",
        "CA",
    }
    assert all(len(c["ORGANIZATIONNAME"] or "") <= 100 for c in customers.values())
    people = operations_rows(p2c, "smmContactPersonCDSEntity", "ContactPersonPartyNumber")
    assert len(people) == sum(
        1 for c in contacts if not c["msdynce_isactivecustomer"] and c["msdynce_contactnumber"]
    )
    products = [r for b in p2c.sales.scan("products") for r in b]
    assert len(products) == 20
    assert all(p["defaultuomid"] and p["pricelevelid"] for p in products)
