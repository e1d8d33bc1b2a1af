"""Reading: batches, (cursor, key) watermarks, source filters, lookup paths and stamps."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from commonground.integration.connectors.sql import SqlConnector
from commonground.integration.connectors.sql.settings import SqlSettings
from commonground.integration.contracts import Batch, FilterError, ReadRequest, SchemaError
from tests.integration.connectors.conftest import Shop

START = datetime(2024, 1, 1)


def customer(i: int, **changes: Any) -> dict[str, Any]:
    """A customer row; `i` decides every value, so tests can predict what a filter keeps."""
    row = {
        "number": f"C{i:03}",
        "name": f"Customer {i}",
        "email": f"c{i}@example.com",
        "credit": Decimal(i),
        "score": i / 2,
        "active": i % 2 == 0,
        "born": date(1990, 1, 1) + timedelta(days=i),
        "modified_at": START + timedelta(hours=i),
        "company": "odd" if i % 2 else "even",
    }
    return {**row, **changes}


def numbers(batches: list[Batch]) -> list[str]:
    return [r["number"] for b in batches for r in b.records]


def read(connector: SqlConnector, **request: Any) -> list[Batch]:
    return list(connector.read(ReadRequest(**{"entity": "customers", **request})))


def first_batch(connector: SqlConnector, request: ReadRequest) -> Batch | None:
    """The first batch of a read, the rest left unread (as a run cut short leaves it)."""
    with closing(connector.read(request)) as batches:
        return next(batches, None)


def test_a_full_read_comes_in_batches_in_key_order(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(25)])
    batches = read(shop.db.connector(), batch_size=10)
    assert [len(b.records) for b in batches] == [10, 10, 5]
    assert numbers(batches) == [f"C{i:03}" for i in range(25)]
    assert all(b.watermark == {} for b in batches)
    assert all(b.stamps is not None and len(b.stamps) == len(b.records) for b in batches)


def test_values_are_plain_python_with_utc_datetimes(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(3)])
    [batch] = read(shop.db.connector())
    record = batch.records[0]
    assert record["modified_at"] == datetime(2024, 1, 1, 3, tzinfo=UTC)
    assert record["credit"] == Decimal("3.00")
    assert record["active"] is False
    assert record["born"] == date(1990, 1, 4)
    assert record["score"] == 1.5
    assert isinstance(record["id"], int)


def test_incremental_reads_miss_and_repeat_nothing_when_rows_share_a_cursor(shop: Shop) -> None:
    shared = START + timedelta(days=1)
    rows = [customer(i) for i in range(5)]
    rows += [customer(i, modified_at=shared) for i in range(5, 25)]
    rows += [customer(i, modified_at=shared + timedelta(hours=i)) for i in range(25, 30)]
    shop.insert(shop.customers, rows)
    connector = shop.db.connector(cursors={"customers": "modified_at"})
    seen: list[str] = []
    since: dict[str, Any] | None = None
    while True:  # one batch per run, each run resuming from the last watermark
        batch = first_batch(connector, ReadRequest("customers", since=since, batch_size=7))
        if batch is None:
            break
        seen += [r["number"] for r in batch.records]
        since = json.loads(json.dumps(batch.watermark))  # stored as JSON between runs
    assert sorted(seen) == sorted(r["number"] for r in rows)
    assert len(seen) == len(set(seen))
    assert read(connector, since=since) == []  # nothing changed: nothing new
    with shop.db.engine.begin() as conn:
        conn.execute(
            sa.update(shop.customers)
            .where(shop.customers.c.number == "C007")
            .values(modified_at=datetime(2025, 1, 1))
        )
    changed = read(connector, since=since)
    assert numbers(changed) == ["C007"]
    assert changed[-1].watermark["modified_at"] == "2025-01-01T00:00:00+00:00"


def test_a_full_read_of_a_table_with_a_cursor_already_sets_watermarks(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i, modified_at=START) for i in range(5)])
    connector = shop.db.connector(cursors={"customers": "modified_at"})
    batches = read(connector, batch_size=2)
    assert [b.watermark for b in batches] == [
        {"modified_at": "2024-01-01T00:00:00+00:00", "id": 2},
        {"modified_at": "2024-01-01T00:00:00+00:00", "id": 4},
        {"modified_at": "2024-01-01T00:00:00+00:00", "id": 5},
    ]


def test_rows_with_a_null_cursor_are_read_before_the_others(sql_db: Any) -> None:
    metadata = sql_db.metadata()
    table = sa.Table(
        "notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("changed", sa.Integer),
    )
    metadata.create_all(sql_db.engine)
    with sql_db.engine.begin() as conn:
        conn.execute(table.insert(), [{"changed": c} for c in (3, None, 1, None, 2)])
    connector = sql_db.connector(cursors={"notes": "changed"})
    first = first_batch(connector, ReadRequest("notes", batch_size=1))
    assert first is not None
    assert first.watermark == {"changed": None, "id": 2}
    rest = list(connector.read(ReadRequest("notes", since=first.watermark)))
    assert [r["id"] for b in rest for r in b.records] == [4, 3, 5, 1]


def test_a_watermark_that_no_longer_fits_the_cursor_is_a_schema_error(shop: Shop) -> None:
    connector = shop.db.connector(cursors={"customers": "modified_at"})
    with pytest.raises(SchemaError, match="watermark"):
        read(connector, since={"modified_at": "yesterday", "id": 1})


def test_without_a_cursor_an_incremental_read_is_a_full_read(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(3)])
    batches = read(shop.db.connector(), since={"modified_at": "2030-01-01T00:00:00"})
    assert numbers(batches) == ["C000", "C001", "C002"]
    assert batches[-1].watermark == {}


FILTERS = [
    ("name eq 'Customer 3'", {3}),
    ("credit gt 7", {8, 9}),
    ("credit ge 7.5 or number eq 'C001'", {1, 8, 9}),
    ("active eq true and credit lt 5", {0, 2, 4}),
    ("number in ('C001', 'C002', 'C999')", {1, 2}),
    ("contains(email, '7@')", {7}),
    ("startswith(name, 'Customer 1')", {1}),
    ("endswith(number, '9')", {9}),
    ("email eq null", {5}),
    ("not (credit le 8)", {9}),
    ("born lt 1990-01-04", {0, 1, 2}),
    ("modified_at ge 2024-01-01T08:00:00Z", {8, 9}),
    ("tolower(name) eq 'customer 4'", {4}),
    ("year(born) eq 1990 and score mul 2 eq 6", {6}),
    ("contains(name, '%')", set()),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS)
def test_filters_are_translated_to_sql(shop: Shop, text: str, expected: set[int]) -> None:
    rows = [customer(i) for i in range(10)]
    rows[5]["email"] = None
    shop.insert(shop.customers, rows)
    batches = read(shop.db.connector(), filter=text)
    assert set(numbers(batches)) == {f"C{i:03}" for i in expected}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name eq", "expected"),
        ("nickname eq 'x'", "nickname"),
        ("credit eq 'lots'", "credit"),
        ("indexof(name, 'C') eq 1", "indexof"),
    ],
)
def test_a_bad_filter_is_a_filter_error_naming_the_problem(
    shop: Shop, text: str, problem: str
) -> None:
    with pytest.raises(FilterError, match=problem):
        read(shop.db.connector(), filter=text)


def test_fields_restrict_records_and_lookup_paths_read_the_related_row(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(2)])
    shop.insert(
        shop.orders,
        [
            {"order_no": "O1", "customer_id": 2, "amount": Decimal("9.50")},
            {"order_no": "O2", "customer_id": None, "amount": None},
        ],
    )
    connector = shop.db.connector()
    fields = ["order_no", "customer_id.number", "customer_id.name", "customer_id"]
    [batch] = list(connector.read(ReadRequest("orders", fields=fields)))
    assert batch.records == [
        {
            "order_no": "O1",
            "customer_id.number": "C001",
            "customer_id.name": "Customer 1",
            "customer_id": 2,
        },
        {
            "order_no": "O2",
            "customer_id.number": None,
            "customer_id.name": None,
            "customer_id": None,
        },
    ]
    [whole] = list(connector.read(ReadRequest("orders")))
    assert batch.stamps == whole.stamps  # stamps cover the whole row whatever is selected


def test_unknown_fields_and_paths_through_non_lookups_are_schema_errors(shop: Shop) -> None:
    connector = shop.db.connector()
    with pytest.raises(SchemaError, match="nickname"):
        read(connector, fields=["nickname"])
    with pytest.raises(SchemaError, match="not a foreign key"):
        read(connector, fields=["name.number"])


def test_an_organization_restricts_the_read(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(6)])
    connector = shop.db.connector(organization_field="company")
    assert numbers(read(connector, organization="odd")) == ["C001", "C003", "C005"]
    assert len(numbers(read(connector))) == 6


def test_stamps_change_only_with_the_row(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(3)])
    connector = shop.db.connector()
    [before] = read(connector)
    with shop.db.engine.begin() as conn:
        conn.execute(
            sa.update(shop.customers).where(shop.customers.c.id == 2).values(name="Renamed")
        )
    [after] = read(connector)
    assert before.stamps is not None
    assert after.stamps is not None
    assert [a == b for a, b in zip(before.stamps, after.stamps, strict=True)] == [
        True,
        False,
        True,
    ]


def test_an_incremental_read_seeks_the_cursor_index_instead_of_scanning_it(
    tmp_path: Path,
) -> None:
    """Resuming after a watermark is a range of the (cursor, key) index: the condition has a
    leading `cursor >= :value` term the planner can seek on (an OR alone made SQLite scan the
    whole index, a tenth of a second at a million rows even when nothing had changed)."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, changed INTEGER NOT NULL)")
        conn.exec_driver_sql("CREATE INDEX t_cursor ON t (changed, id)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 5), (2, 5), (3, 7)")
    connector = SqlConnector(SqlSettings.model_validate({"url": url, "cursors": {"t": "changed"}}))
    plans: list[str] = []

    @sa.event.listens_for(connector.database.engine, "before_cursor_execute")
    def _explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY t.changed" in statement:
            found = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.extend(row[-1] for row in found.fetchall())

    try:
        rows = read(connector, entity="t", since={"changed": 5, "id": 1})
    finally:
        connector.close()
        engine.dispose()
    assert [r["id"] for b in rows for r in b.records] == [2, 3]
    assert plans
    assert all(not p.startswith("SCAN") for p in plans), plans
