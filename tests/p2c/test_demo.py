"""The demo's verification finds what is wrong, not only what is right."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from commonground.apps.demo import Demo
from commonground.apps.scenario import OPERATIONS
from commonground.apps.serving import serving
from commonground.apps.verify import verify_project
from commonground.integration.definitions import ConnectionDef
from commonground.integration.integrator import Integrator


def test_a_tampered_destination_fails_the_verification(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = Demo(home, accounts=40).run()
    assert result.verified
    assert {c.project for c in result.checks} >= {"Accounts", "Invoices", "OrdersToSales"}
    assert all(c.source_checksum == c.destination_checksum for c in result.checks)

    with closing(sqlite3.connect(home / "operations.sqlite")) as db, db:
        db.execute(
            "UPDATE CustCustomerV2Entity SET ORGANIZATIONNAME = 'Tampered' "
            "WHERE CUSTOMERACCOUNT = 'ACC-000007'"
        )
        db.execute("DELETE FROM CustCustomerV2Entity WHERE CUSTOMERACCOUNT = 'ACC-000008'")
    integrator = Integrator(home=home)
    # the demo's Sales server is gone: serve the same home again and point the Sales
    # connection, with its client credentials, at it
    try:
        with serving(home) as url:
            stored = integrator.definitions.connection("Sales", reveal=True).settings
            settings = {**stored, "url": url, "token_url": f"{url}/oauth2/token"}
            sales = ConnectionDef(name="Sales", kind="commonground", settings=settings)
            integrator.definitions.save_connection(sales, replace=True)
            [_, into_operations] = verify_project(
                integrator, integrator.definitions.project("Accounts")
            )
    finally:
        integrator.close()
    assert OPERATIONS in into_operations.step
    assert (into_operations.different, into_operations.missing) == (1, 1)
    assert not into_operations.ok
    assert into_operations.source_checksum != into_operations.destination_checksum
    [example] = into_operations.examples
    assert "ORGANIZATIONNAME: 'Tampered'" in example
