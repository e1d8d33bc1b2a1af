"""Accounts (Sales to Fin and Ops) - Direct, end to end: Sales accounts > hub > Customers V2."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from typing import Any

from commonground.apps.scenario import Scenario
from commonground.integration.history import Execution
from tests.fixtures.fix_p2c import project_from

TEMPLATE = "Accounts (Sales to Fin and Ops) - Direct"
LONG_NAME = "Fabrikam International Holdings and Trading Company of the Greater Northwest " * 2
LONG_NAME = LONG_NAME.strip()[:150]


def operations_rows(scenario: Scenario, table: str, key: str) -> dict[str, dict[str, Any]]:
    """Every row of an Operations table by its key column."""
    path = scenario.operations_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        return {r[key]: dict(r) for r in db.execute(f'SELECT * FROM "{table}"')}


def hub_rows(scenario: Scenario, entity: str, key: str) -> dict[str, dict[str, Any]]:
    """Every hub record of an entity by its key field."""
    return {r[key]: r for batch in scenario.hub.scan(entity) for r in batch}


def counts(run: Execution) -> list[tuple[int, int, int, int, int]]:
    """(read, inserted, updated, unchanged, failed) per step."""
    return [
        (s.counts.read, s.counts.inserted, s.counts.updated, s.counts.unchanged, s.counts.failed)
        for s in run.steps
    ]


def _accounts(p2c: Scenario) -> None:
    [usd] = p2c.sales.create(
        "transactioncurrencies", [{"isocurrencycode": "USD", "currencyname": "US Dollar"}]
    ).record_ids
    p2c.sales.create(
        "accounts",
        [
            {
                "accountnumber": "ACC-000001",
                "name": "Contoso Pharmaceuticals",
                "creditlimit": Decimal("2500.50"),
                "fax": "+1 555 0100",
                "numberofemployees": 120,
                "transactioncurrencyid": usd,
                "description": "Key account",
                "emailaddress1": "info@contoso.example",
                "telephone1": "+1 555 0101",
                "websiteurl": "https://contoso.example",
                "address1_line1": "1 Main Street",
                "address1_city": "Seattle",
                "address1_stateorprovince": "WA",
                "address1_postalcode": "98052",
                "address1_country": "usa",
                "address2_line1": "2 Dock Road",
                "address2_city": "Tacoma",
                "address2_stateorprovince": "WA",
                "address2_postalcode": "98402",
                "address2_country": "United States",
            },
            {"accountnumber": "ACC-000002", "name": LONG_NAME, "address1_country": "Germany"},
            {"accountnumber": "ACC-000003", "name": "Blank Country", "address1_country": ""},
            {
                "accountnumber": "ACC-000004",
                "name": "Northwind UK",
                "address1_country": "United Kingdom",
                "address2_country": "fr",
            },
            {"name": "No number yet", "address1_country": "US"},  # no key: not synced
        ],
    )


def test_accounts_become_customers(p2c: Scenario) -> None:
    _accounts(p2c)
    project_from(p2c, TEMPLATE, "Accounts")
    run = p2c.integrator.run("Accounts")
    assert run.status == "Warning"
    assert counts(run) == [(5, 4, 0, 0, 1), (4, 4, 0, 0, 0)]
    [error] = p2c.integrator.history.record_errors(run.id)
    assert "AccountNumber is empty" in error["message"]

    hub = hub_rows(p2c, "Account", "AccountNumber")
    assert set(hub) == {"ACC-000001", "ACC-000002", "ACC-000003", "ACC-000004"}
    first = hub["ACC-000001"]
    assert (first["FullName"], first["PartyType"], first["Source"], first["Status"]) == (
        "Contoso Pharmaceuticals",
        "Organization",
        "CustomerEngagement",
        "Active",
    )
    assert (first["IsEmailContactAllowed"], first["IsPhoneContactAllowed"]) == (False, False)
    assert hub["ACC-000002"]["FullName"] == LONG_NAME[:128]

    customers = operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")
    assert set(customers) == set(hub)
    row = customers["ACC-000001"]
    del row["ModifiedDateTime"]
    assert row == {
        "dataAreaId": "USMF",
        "CUSTOMERACCOUNT": "ACC-000001",
        "PARTYNUMBER": "ACC-000001",
        "PARTYTYPE": "Organization",
        "ORGANIZATIONNAME": "Contoso Pharmaceuticals",
        "ORGANIZATIONNUMBEROFEMPLOYEES": 120,
        "PERSONFIRSTNAME": None,
        "PERSONMIDDLENAME": None,
        "PERSONLASTNAME": None,
        "CUSTOMERGROUPID": "10",
        "CREDITLIMIT": 2500.5,
        "SALESCURRENCYCODE": "USD",
        "SALESMEMO": "Key account",
        "LANGUAGEID": "en-us",
        "SITEID": "1",
        "WAREHOUSEID": "13",
        "ISEXTERNALLYMAINTAINED": 1,
        "PRIMARYCONTACTEMAIL": "info@contoso.example",
        "PRIMARYCONTACTPHONE": "+1 555 0101",
        "PRIMARYCONTACTFAX": "+1 555 0100",
        "PRIMARYCONTACTURL": "https://contoso.example",
        "ADDRESSDESCRIPTION": "Contoso Pharmaceuticals",
        "ADDRESSLOCATIONROLES": "Invoice",
        "ADDRESSSTREET": "1 Main Street",
        "ADDRESSCITY": "Seattle",
        "ADDRESSSTATE": "WA",
        "ADDRESSZIPCODE": "98052",
        "ADDRESSCOUNTRYREGIONISOCODE": "US",
        "DELIVERYADDRESSDESCRIPTION": "Contoso Pharmaceuticals",
        "DELIVERYADDRESSSTREET": "2 Dock Road",
        "DELIVERYADDRESSCITY": "Tacoma",
        "DELIVERYADDRESSSTATE": "WA",
        "DELIVERYADDRESSZIPCODE": "98402",
        "DELIVERYADDRESSCOUNTRYREGIONISOCODE": "US",
    }
    long = customers["ACC-000002"]
    assert long["ORGANIZATIONNAME"] == LONG_NAME[:100]
    assert long["ADDRESSDESCRIPTION"] == long["DELIVERYADDRESSDESCRIPTION"] == LONG_NAME[:60]
    assert long["ADDRESSCOUNTRYREGIONISOCODE"] == "DE"
    assert long["SALESCURRENCYCODE"] == "USD"  # no currency in Sales
    assert (long["CREDITLIMIT"], long["PRIMARYCONTACTEMAIL"], long["SALESMEMO"]) == (
        None,
        None,
        None,
    )
    blank = customers["ACC-000003"]
    assert blank["ADDRESSCOUNTRYREGIONISOCODE"] == "US"  # blank = US
    assert blank["DELIVERYADDRESSCOUNTRYREGIONISOCODE"] == "US"
    uk = customers["ACC-000004"]
    assert (uk["ADDRESSCOUNTRYREGIONISOCODE"], uk["DELIVERYADDRESSCOUNTRYREGIONISOCODE"]) == (
        "GB",
        "FR",
    )
    assert {r["dataAreaId"] for r in customers.values()} == {"USMF"}


def test_only_changed_accounts_move_again(p2c: Scenario) -> None:
    _accounts(p2c)
    project_from(p2c, TEMPLATE, "Accounts")
    p2c.integrator.run("Accounts")
    before = operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")

    again = p2c.integrator.run("Accounts")
    assert again.status == "Completed"
    assert all(inserted == updated == 0 for _, inserted, updated, _, _ in counts(again))
    assert operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT") == before

    p2c.sales.update(
        "accounts", [{"accountnumber": "ACC-000003", "address1_city": "Redmond"}], "AccountNumber"
    )
    changed = p2c.integrator.run("Accounts")
    assert changed.status == "Completed"
    assert counts(changed) == [(1, 0, 1, 0, 0), (1, 0, 1, 0, 0)]
    after = operations_rows(p2c, "CustCustomerV2Entity", "CUSTOMERACCOUNT")
    assert after["ACC-000003"]["ADDRESSCITY"] == "Redmond"
    assert after["ACC-000003"]["ModifiedDateTime"] != before["ACC-000003"]["ModifiedDateTime"]
    assert {k: v for k, v in after.items() if k != "ACC-000003"} == {
        k: v for k, v in before.items() if k != "ACC-000003"
    }
