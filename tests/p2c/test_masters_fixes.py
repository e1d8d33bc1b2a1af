"""The engine and scenario fixes the master-data templates needed.

- A polymorphic path names its targets the original's way (`Account(accountnumber)`, Dataverse
  logical names) while the Sales app's entities carry entity set names (`accounts`).
- A second leg can filter the hub entity it reads (hub accounts are organizations and persons,
  shipped by two templates).
- The Operations database stamps `ModifiedDateTime` itself, on insert and on every update.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from commonground.apps.scenario import Scenario
from commonground.integration.contracts import FieldInfo, ValueKind
from commonground.integration.definitions import Leg, TaskDef
from commonground.integration.mapping import parse_path
from commonground.integration.mapping.paths import Target, declared_target
from commonground.integration.mapping.related import related_targets


@pytest.mark.parametrize(
    ("written", "declared", "found"),
    [
        ("Account", ["accounts"], "accounts"),
        ("account", ["Account"], "Account"),
        ("Contact", ["accounts"], None),
        ("Opportunity", ["opportunities"], "opportunities"),
        ("Address", ["addresses"], "addresses"),
        ("Account", ["accounts", "Account"], "Account"),  # the exact name wins
        ("Account", [], None),
    ],
)
def test_a_polymorphic_target_names_a_declared_target(
    written: str, declared: list[str], found: str | None
) -> None:
    assert declared_target(written, declared) == found


def test_the_parent_company_path_reads_from_sales_accounts() -> None:
    path = parse_path("parentcustomerid.Account(accountnumber).Contact(msdynce_contactnumber)")
    lookup = FieldInfo(name="parentcustomerid", kind=ValueKind.LOOKUP, targets=("accounts",))
    assert related_targets(path, lookup) == (Target("accounts", ("accountnumber",)),)


def _task(task_filter: str | None, leg_filters: list[str | None]) -> TaskDef:
    legs = [
        {
            "source": "a",
            "source_entity": "X",
            "destination": "b",
            "destination_entity": "Y",
            "mappings": [],
            "filter": f,
        }
        for f in leg_filters
    ]
    return TaskDef.model_validate({"name": "T", "filter": task_filter, "legs": legs})


def test_a_leg_filter_joins_the_task_filter() -> None:
    assert _task("a eq 1", [None]).source_filter(0) == "a eq 1"
    assert _task(None, ["b eq 2"]).source_filter(0) == "b eq 2"
    assert _task("a eq 1", ["b eq 2"]).source_filter(0) == "(a eq 1) and (b eq 2)"
    assert _task(None, [None]).source_filter(0) is None
    assert _task("a eq 1", [None, "c eq 3"]).source_filter(1) == "c eq 3"  # task filter: leg 1
    leg = Leg.model_validate(
        {
            "source": "hub",
            "source_entity": "Account",
            "destination": "operations",
            "destination_entity": "CustCustomerV2Entity",
            "mappings": [],
            "filter": "PartyType eq 'Person'",
        }
    )
    assert leg.filter == "PartyType eq 'Person'"


def test_operations_stamps_its_rows(p2c: Scenario) -> None:
    db = sqlite3.connect(p2c.operations_url.removeprefix("sqlite:///"))
    try:
        db.execute(
            "INSERT INTO CustCustomerV2Entity (dataAreaId, CUSTOMERACCOUNT, ORGANIZATIONNAME) "
            "VALUES ('USMF', 'C1', 'First')"
        )
        db.commit()
        [(inserted,)] = db.execute("SELECT ModifiedDateTime FROM CustCustomerV2Entity")
        assert inserted
        time.sleep(0.01)
        db.execute("UPDATE CustCustomerV2Entity SET ORGANIZATIONNAME = 'Second'")
        db.commit()
        [(updated,)] = db.execute("SELECT ModifiedDateTime FROM CustCustomerV2Entity")
        assert updated > inserted
        db.execute("UPDATE CustCustomerV2Entity SET ModifiedDateTime = '2020-01-01 00:00:00.000'")
        db.commit()
        [(given,)] = db.execute("SELECT ModifiedDateTime FROM CustCustomerV2Entity")
        assert given == "2020-01-01 00:00:00.000"  # a stamp the writer sets is kept
    finally:
        db.close()
