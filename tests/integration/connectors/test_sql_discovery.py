"""Discovery: tables and views reflected into the contract's kinds, keys and lookups."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from commonground.integration.contracts import Connector, SchemaError, ValueKind
from commonground.integration.registry import connector_type
from tests.integration.connectors.conftest import Shop, SqlDatabase


def test_the_connector_meets_the_protocol_and_is_registered(sql_db: SqlDatabase) -> None:
    connector = sql_db.connector()
    assert isinstance(connector, Connector)
    assert connector_type("sql") is type(connector)


def test_columns_map_to_kinds_with_lengths_and_requirements(shop: Shop) -> None:
    info = shop.db.connector().describe("customers")
    kinds = {f.name: f.kind for f in info.fields}
    assert kinds == {
        "id": ValueKind.INTEGER,
        "number": ValueKind.TEXT,
        "name": ValueKind.TEXT,
        "email": ValueKind.TEXT,
        "credit": ValueKind.DECIMAL,
        "score": ValueKind.FLOAT,
        "active": ValueKind.BOOLEAN,
        "born": ValueKind.DATE,
        "modified_at": ValueKind.DATETIME,
        "company": ValueKind.TEXT,
    }
    fields = {f.name: f for f in info.fields}
    assert fields["number"].max_length == 20
    assert fields["email"].max_length == 200
    assert {f.name for f in info.fields if f.required} == {"number", "name", "modified_at"}
    assert {f.name for f in info.fields if f.read_only} == {"id"}
    assert info.keys == (("id",), ("number",))
    assert info.change_tracking is False
    assert info.cursor is None
    assert info.organization_field is None


def test_foreign_keys_are_lookups_and_defaults_make_columns_optional(shop: Shop) -> None:
    info = shop.db.connector().describe("orders")
    customer = info.field("customer_id")
    assert customer is not None
    assert customer.kind is ValueKind.LOOKUP
    assert customer.targets == ("customers",)
    status = info.field("status")
    assert status is not None
    assert not status.required


def test_composite_primary_keys_are_neither_read_only_nor_optional(shop: Shop) -> None:
    info = shop.db.connector().describe("lines")
    assert info.keys[0] == ("order_id", "line_no")
    assert {f.name for f in info.fields if f.required} == {
        "order_id",
        "line_no",
        "product",
        "quantity",
    }
    assert not any(f.read_only for f in info.fields)


def test_settings_add_cursor_key_and_organization(shop: Shop) -> None:
    connector = shop.db.connector(
        cursors={"Customers": "Modified_At"},
        keys={"events": ["code", "seq"]},
        organization_field="company",
    )
    customers = connector.describe("CUSTOMERS")
    assert customers.cursor == "modified_at"
    assert customers.organization_field == "company"
    events = connector.describe("events")
    assert events.keys == (("code", "seq"),)
    assert events.organization_field is None


def test_a_setting_naming_a_missing_column_is_a_schema_error(shop: Shop) -> None:
    connector = shop.db.connector(cursors={"customers": "changed_on"})
    with pytest.raises(SchemaError, match="changed_on"):
        connector.describe("customers")


def test_every_table_and_view_is_an_entity(shop: Shop) -> None:
    with shop.db.engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE VIEW {shop.db.qualified('active_customers')} AS "
            f"SELECT id, number FROM {shop.db.qualified('customers')}"
        )
    entities = {e.name: e for e in shop.db.connector().entities()}
    assert set(entities) == {"customers", "orders", "lines", "events", "active_customers"}
    assert [f.name for f in entities["active_customers"].fields] == ["id", "number"]


def test_a_missing_table_is_a_schema_error(shop: Shop) -> None:
    with pytest.raises(SchemaError, match="'invoices' does not exist"):
        shop.db.connector().describe("invoices")


def test_columns_of_unsupported_types_are_left_out(sql_db: SqlDatabase) -> None:
    metadata = sql_db.metadata()
    sa.Table(
        "blobs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary),
    )
    metadata.create_all(sql_db.engine)
    info = sql_db.connector().describe("blobs")
    assert [f.name for f in info.fields] == ["id"]
