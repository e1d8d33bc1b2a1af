"""DriverSelect: a compiled SELECT run on the driver's cursor reads what SQLAlchemy reads,
its errors are SQLAlchemy's, and a statement with a list parameter is not taken."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError

from commonground.store.prepared import DriverSelect
from tests.fixtures.records import account


@pytest.fixture
def sqlite_env(env):
    if not env.db.dialect.driver_reads:
        pytest.skip("driver reads are SQLite's")
    env.create(
        "Account",
        [
            account("Typed", CreditLimitAmount={"Amount": Decimal("12.34"), "CurrencyCode": "EUR"}),
            account("Other", EmployeeCount=7),
        ],
    )
    return env


def test_rows_and_their_types_are_sqlalchemys(sqlite_env) -> None:
    table = sqlite_env.db.table("Account")
    statement = (
        select(table.c.RecordId, table.c.CreatedOnDateTime, table.c.CreditLimitAmount_Amount)
        .where(table.c.CreatedOnDateTime > bindparam("after", type_=table.c.CreatedOnDateTime.type))
        .order_by(table.c.RecordId)
    )
    driver_select = DriverSelect.of(statement, sqlite_env.db.engine.dialect)
    assert driver_select is not None
    params = {"after": datetime(2000, 1, 1, tzinfo=UTC)}
    with sqlite_env.reading() as conn:
        ours = driver_select.rows(conn.connection.driver_connection, params)
        theirs = [tuple(row) for row in conn.execute(statement, params)]
    assert [tuple(row) for row in ours] == theirs
    assert isinstance(ours[0][1], datetime)
    assert ours[0][2] == Decimal("12.34")


def test_a_driver_error_is_sqlalchemys(sqlite_env) -> None:
    table = sqlite_env.db.table("Account")
    driver_select = DriverSelect.of(select(table.c.RecordId), sqlite_env.db.engine.dialect)
    assert driver_select is not None
    with sqlite_env.reading() as conn:
        driver = conn.connection.driver_connection
        broken = DriverSelect("SELECT nothing FROM nowhere", {}, (), (), driver_select.error)
        with pytest.raises(DBAPIError):
            broken.rows(driver, {})


def test_a_list_parameter_is_left_to_sqlalchemy(sqlite_env) -> None:
    table = sqlite_env.db.table("Account")
    statement = select(table.c.RecordId).where(table.c.RecordId.in_([1, 2]))
    assert DriverSelect.of(statement, sqlite_env.db.engine.dialect) is None
