"""Writing: upsert classification, per-record failures, modes, organizations, deletes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from commonground.integration.connectors.sql import SqlConnector
from commonground.integration.contracts import ReadRequest, RecordStatus, WriteMode, WriteOutcome
from tests.integration.connectors.conftest import Shop, SqlDatabase

INSERTED, UPDATED, UNCHANGED = RecordStatus.INSERTED, RecordStatus.UPDATED, RecordStatus.UNCHANGED
FAILED, DELETED = RecordStatus.FAILED, RecordStatus.DELETED
MODIFIED = datetime(2024, 3, 1, 12, 30)


def customer(i: int, **changes: Any) -> dict[str, Any]:
    row = {
        "number": f"C{i:03}",
        "name": f"Customer {i}",
        "credit": Decimal(i),
        "modified_at": MODIFIED,
        "company": "north",
    }
    return {**row, **changes}


def by_number(shop: Shop) -> dict[str, dict[str, Any]]:
    return {row["number"]: row for row in shop.rows(shop.customers)}


def upsert(
    connector: SqlConnector, records: list[dict[str, Any]], entity: str = "customers"
) -> WriteOutcome:
    key = {"customers": ["number"], "orders": ["order_no"], "lines": ["order_id", "line_no"]}
    return connector.write(entity, records, key[entity], WriteMode.UPSERT)


def test_an_upsert_inserts_updates_and_leaves_equal_records_alone(
    shop: Shop, statements: Callable[[SqlConnector], list[str]]
) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(3)])
    connector = shop.db.connector()
    sent = statements(connector)
    outcome = upsert(
        connector,
        [
            {"number": "C000", "name": "Customer 0", "credit": "0.00"},  # as stored
            {"number": "C001", "name": "Renamed"},
            customer(7),
        ],
    )
    assert outcome.statuses == [UNCHANGED, UPDATED, INSERTED]
    assert outcome.failures == []
    assert sent.count("INSERT") == 1
    assert sent.count("UPDATE") == 1
    rows = by_number(shop)
    assert rows["C001"]["name"] == "Renamed"
    assert rows["C001"]["credit"] == Decimal("1.00")  # fields left out are not touched
    assert rows["C007"]["name"] == "Customer 7"


def test_a_batch_of_unchanged_records_writes_nothing(
    shop: Shop, statements: Callable[[SqlConnector], list[str]]
) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(3)])
    connector = shop.db.connector()
    sent = statements(connector)
    aware = MODIFIED.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    records = [customer(i, credit=float(i), modified_at=aware) for i in range(3)]
    outcome = upsert(connector, records)
    assert outcome.statuses == [UNCHANGED] * 3
    assert "INSERT" not in sent
    assert "UPDATE" not in sent
    assert [r["modified_at"] for r in shop.rows(shop.customers)] == [MODIFIED] * 3


def test_datetimes_are_stored_in_utc(shop: Shop) -> None:
    connector = shop.db.connector()
    local = datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert upsert(connector, [customer(1, modified_at=local)]).statuses == [INSERTED]
    assert by_number(shop)["C001"]["modified_at"] == datetime(2024, 5, 1, 8, 0)
    assert upsert(connector, [customer(1, modified_at="2024-05-01T08:00:00Z")]).statuses == [
        UNCHANGED
    ]


def test_stamps_of_a_write_equal_the_stamps_a_later_read_gives(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(1)])
    connector = shop.db.connector()
    outcome = upsert(connector, [customer(2), {"number": "C001", "email": "a@b.c"}])
    assert outcome.statuses == [INSERTED, UPDATED]
    [batch] = list(connector.read(ReadRequest("customers")))
    read_stamps = {r["number"]: s for r, s in zip(batch.records, batch.stamps or [], strict=True)}
    assert outcome.stamps == [read_stamps["C002"], read_stamps["C001"]]
    again = upsert(connector, [customer(2)])
    assert again.statuses == [UNCHANGED]
    assert again.stamps == [read_stamps["C002"]]


def test_bad_records_fail_alone_and_the_others_are_written(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(1)])
    connector = shop.db.connector()
    outcome = upsert(
        connector,
        [
            customer(2),
            customer(3, name="x" * 101),
            customer(4, credit="lots"),
            customer(1, name=None),
            {"number": "C005", "name": "No date"},
            customer(2, name="Again"),
            customer(6, nickname="Bob"),
            {"name": "No key", "modified_at": MODIFIED},
            customer(7, credit=Decimal("12345678901.5")),
            customer(8),
        ],
    )
    assert outcome.statuses == [INSERTED, *[FAILED] * 8, INSERTED]
    assert [(f.position, f.field) for f in outcome.failures] == [
        (1, "name"),
        (2, "credit"),
        (3, "name"),
        (4, "modified_at"),
        (5, None),
        (6, "nickname"),
        (7, "number"),
        (8, "credit"),
    ]
    messages = [f.message for f in outcome.failures]
    assert "longer than 100" in messages[0]
    assert "position 0" in messages[4]
    assert outcome.stamps is not None
    assert [s is None for s in outcome.stamps] == [False, *[True] * 8, False]
    assert set(by_number(shop)) == {"C001", "C002", "C008"}
    assert by_number(shop)["C001"]["name"] == "Customer 1"


def test_records_the_database_refuses_are_isolated(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(1)])
    shop.insert(shop.orders, [{"order_no": "O1", "customer_id": 1, "amount": 1}])
    connector = shop.db.connector()
    outcome = upsert(
        connector,
        [
            {"order_no": "O1", "amount": Decimal("2.50")},
            {"order_no": "O2", "customer_id": 999},
            {"order_no": "O3", "customer_id": 1},
        ],
        "orders",
    )
    assert outcome.statuses == [UPDATED, FAILED, INSERTED]
    [failure] = outcome.failures
    assert failure.position == 1
    assert "foreign key" in failure.message.lower()
    orders = {r["order_no"]: r for r in shop.rows(shop.orders)}
    assert set(orders) == {"O1", "O3"}
    assert orders["O1"]["amount"] == Decimal("2.50")
    assert orders["O3"]["status"] == "open"  # the column's default


def test_insert_mode_refuses_existing_keys_and_update_mode_missing_ones(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(1)])
    connector = shop.db.connector()
    inserted = connector.write(
        "customers", [customer(1), customer(2)], ["number"], WriteMode.INSERT
    )
    assert inserted.statuses == [FAILED, INSERTED]
    assert "already exists" in inserted.failures[0].message
    updated = connector.write(
        "customers",
        [{"number": "C001", "name": "One"}, {"number": "C009", "name": "Nine"}],
        ["number"],
        WriteMode.UPDATE,
    )
    assert updated.statuses == [UPDATED, FAILED]
    assert "no record" in updated.failures[0].message
    assert set(by_number(shop)) == {"C001", "C002"}
    assert by_number(shop)["C001"]["name"] == "One"


def test_composite_keys_match_on_every_column(shop: Shop) -> None:
    shop.insert(shop.lines, [{"order_id": 1, "line_no": 1, "product": "Bolt", "quantity": 1}])
    connector = shop.db.connector()
    outcome = upsert(
        connector,
        [
            {"order_id": 1, "line_no": 1, "quantity": 5},
            {"order_id": "1", "line_no": 2, "product": "Nut", "quantity": 2},
            {"order_id": 2, "line_no": 1, "product": "Nut", "quantity": 3},
        ],
        "lines",
    )
    assert outcome.statuses == [UPDATED, INSERTED, INSERTED]
    rows = shop.rows(shop.lines, order_by="product")
    assert [(r["order_id"], r["line_no"], r["quantity"]) for r in rows] == [
        (1, 1, 5),
        (1, 2, 2),
        (2, 1, 3),
    ]


def test_an_organization_is_written_and_scopes_the_match(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(1, company="south")])
    connector = shop.db.connector(organization_field="company")
    outcome = connector.write(
        "customers",
        [customer(2, company=None), {"number": "C001", "name": "Not mine"}],
        ["number"],
        WriteMode.UPSERT,
        organization="north",
    )
    # C001 belongs to another organization: it is not found, and inserting it collides.
    assert outcome.statuses == [INSERTED, FAILED]
    rows = by_number(shop)
    assert rows["C002"]["company"] == "north"
    assert rows["C001"]["name"] == "Customer 1"


def test_large_batches_are_matched_in_chunks(shop: Shop) -> None:
    connector = shop.db.connector()
    records = [customer(i) for i in range(1200)]
    assert upsert(connector, records).count(INSERTED) == 1200
    again = upsert(connector, [*records[:600], customer(5000)])
    assert again.count(UNCHANGED) == 600
    assert again.count(INSERTED) == 1


def test_delete_reports_deleted_and_missing_keys(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(3)])
    shop.insert(
        shop.lines, [{"order_id": 1, "line_no": n, "product": "P", "quantity": 1} for n in (1, 2)]
    )
    connector = shop.db.connector()
    outcome = connector.delete("customers", [{"number": "C001"}, {"NUMBER": "C009"}])
    assert outcome.statuses == [DELETED, UNCHANGED]
    assert set(by_number(shop)) == {"C000", "C002"}
    lines = connector.delete(
        "lines", [{"order_id": 1, "line_no": 2}, {"order_id": 2, "line_no": 1}]
    )
    assert lines.statuses == [DELETED, UNCHANGED]
    assert [r["line_no"] for r in shop.rows(shop.lines, order_by="line_no")] == [1]


def test_delete_stays_within_an_organization(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(1, company="south")])
    connector = shop.db.connector(organization_field="company")
    assert connector.delete("customers", [{"number": "C001"}], "north").statuses == [UNCHANGED]
    assert connector.delete("customers", [{"number": "C001"}], "south").statuses == [DELETED]
    with shop.db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(shop.customers)).scalar() == 0


def test_every_kind_reads_back_as_written_and_then_counts_as_unchanged(sql_db: SqlDatabase) -> None:
    metadata = sql_db.metadata()
    columns = [
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("small", sa.SmallInteger),
        sa.Column("ratio", sa.Float),
        sa.Column("price", sa.Numeric(8, 3)),
        sa.Column("flag", sa.Boolean),
        sa.Column("day", sa.Date),
        sa.Column("moment", sa.DateTime(timezone=True)),
        sa.Column("memo", sa.Text),
    ]
    if sql_db.backend != "sqlite":  # SQLite has no GUID type: SQLAlchemy stores text
        columns.append(sa.Column("guid", sa.Uuid))
    sa.Table("kinds", metadata, *columns)
    metadata.create_all(sql_db.engine)
    connector = sql_db.connector()
    record: dict[str, Any] = {
        "id": 2**40,
        "small": -7,
        "ratio": 0.25,
        "price": Decimal("12.345"),
        "flag": True,
        "day": date(2024, 2, 29),
        "moment": datetime(2024, 6, 1, 9, 30, tzinfo=timezone(timedelta(hours=-4))),
        "memo": "é" * 1000,
    }
    if sql_db.backend != "sqlite":
        record["guid"] = uuid.UUID("12345678-1234-5678-1234-567812345678")
    written = connector.write("kinds", [record], ["id"], WriteMode.UPSERT)
    assert written.statuses == [INSERTED]
    [batch] = list(connector.read(ReadRequest("kinds")))
    assert batch.records == [{**record, "moment": datetime(2024, 6, 1, 13, 30, tzinfo=UTC)}]
    assert batch.stamps == written.stamps
    again = connector.write("kinds", [record], ["id"], WriteMode.UPSERT)
    assert again.statuses == [UNCHANGED]
    refused = connector.write("kinds", [{"id": 1, "small": 40000}], ["id"], WriteMode.UPSERT)
    assert refused.failures[0].field == "small"
    assert "16-bit" in refused.failures[0].message


def test_delete_without_returning_finds_the_rows_first(shop: Shop) -> None:
    shop.insert(shop.customers, [customer(i) for i in range(2)])
    connector = shop.db.connector()
    connector.database.engine.dialect.delete_returning = False  # as on MySQL proper
    outcome = connector.delete("customers", [{"number": "C000"}, {"number": "C005"}])
    assert outcome.statuses == [DELETED, UNCHANGED]
    assert set(by_number(shop)) == {"C001"}
