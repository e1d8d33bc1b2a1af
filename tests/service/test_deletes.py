"""Deletes: restricted references, cascades through compositions, tombstones, versions."""

from __future__ import annotations

import pytest

from commonground.errors import (
    ConflictError,
    NotFoundError,
    RecordValidationError,
    ReferentialIntegrityError,
)
from commonground.query import Query
from commonground.security.caller import Caller
from tests.fixtures.records import account, contact, product, sales_order, sales_order_line


def count(env, entity: str) -> int:
    return env.count(Query(entity))


def build_orders(env) -> dict[str, list[int]]:
    """Two orders: the first with two lines of two shipments each, the second with one of one."""
    prod = env.create("Product", [product("Widget")]).record_ids[0]
    orders = env.create("SalesOrder", [sales_order(), sales_order()]).record_ids
    lines = env.create(
        "SalesOrderLine",
        [
            sales_order_line(orders[0], 1, prod),
            sales_order_line(orders[0], 2, prod),
            sales_order_line(orders[1], 1, prod),
        ],
    ).record_ids
    shipments = env.create(
        "SalesOrderLineShipment",
        [
            {"SalesOrderLine": lines[0], "Sequence": 1},
            {"SalesOrderLine": lines[0], "Sequence": 2},
            {"SalesOrderLine": lines[1], "Sequence": 1},
            {"SalesOrderLine": lines[1], "Sequence": 2},
            {"SalesOrderLine": lines[2], "Sequence": 1},
        ],
    ).record_ids
    return {"product": [prod], "orders": orders, "lines": lines, "shipments": shipments}


def test_delete_removes_the_record_and_leaves_a_tombstone(env):
    created = env.create("Account", [account("Contoso"), account("Fabrikam")])
    rid = created.record_ids[0]
    token = env.current_token()

    assert env.delete("Account", [rid], caller=Caller("dave", admin=True)) == 1

    with pytest.raises(NotFoundError):
        env.get("Account", rid)
    assert count(env, "Account") == 1
    assert env.current_token() == token + 1
    changes = env.changes_since("Account", token)
    assert changes.changed == []
    [stone] = changes.deleted
    assert (stone.entity, stone.record_id, stone.position) == ("Account", rid, token + 1)
    assert stone.record_key == {"AccountId": "ACC000001"}
    assert stone.deleted_by == "dave"
    assert stone.deleted_on


def test_delete_of_a_missing_record_fails_and_deletes_nothing(env):
    rid = env.create("Account", [account("Contoso")]).record_ids[0]
    token = env.current_token()
    with pytest.raises(NotFoundError, match="999"):
        env.delete("Account", [rid, 999])
    assert count(env, "Account") == 1
    assert env.current_token() == token


def test_restricted_delete_of_a_referenced_record(env):
    acc = env.create("Account", [account("Contoso")]).record_ids[0]
    con = env.create("Contact", [contact("Ann", PrimaryAccount=acc)]).record_ids[0]
    token = env.current_token()

    with pytest.raises(ReferentialIntegrityError) as caught:
        env.delete("Account", [acc])
    error = caught.value
    assert (error.entity, error.record_id, error.field) == ("Account", acc, "PrimaryAccount")
    assert f"Contact record {con}" in error.referenced_by
    assert count(env, "Account") == 1
    assert env.current_token() == token
    assert env.changes_since("Account", token).deleted == []

    # Once the reference is gone, the delete succeeds.
    env.update("Contact", [{"RecordId": con, "PrimaryAccount": None}])
    assert env.delete("Account", [acc]) == 1


def test_referencing_and_referenced_records_deleted_together(env):
    parent = env.create("Account", [account("Parent")]).record_ids[0]
    child = env.create("Account", [account("Child", ParentAccount=parent)]).record_ids[0]
    with pytest.raises(ReferentialIntegrityError):
        env.delete("Account", [parent])
    assert env.delete("Account", [parent, child]) == 2
    assert count(env, "Account") == 0


def test_product_used_by_an_order_line_cannot_be_deleted(env):
    built = build_orders(env)
    with pytest.raises(ReferentialIntegrityError, match="SalesOrderLine"):
        env.delete("Product", built["product"])
    assert count(env, "Product") == 1


def test_cascade_delete_through_compositions(env):
    built = build_orders(env)
    token = env.current_token()

    removed = env.delete("SalesOrder", [built["orders"][0]], caller=Caller("erin", admin=True))

    assert removed == 1 + 2 + 4
    assert env.current_token() == token + 7
    assert count(env, "SalesOrder") == 1
    assert count(env, "SalesOrderLine") == 1
    assert count(env, "SalesOrderLineShipment") == 1
    assert env.get("SalesOrderLine", built["lines"][2])["SalesOrder"] == built["orders"][1]

    order_stones = env.changes_since("SalesOrder", token).deleted
    assert [s.record_id for s in order_stones] == [built["orders"][0]]
    assert order_stones[0].record_key == {"SalesOrderId": "SO000001"}

    line_stones = env.changes_since("SalesOrderLine", token).deleted
    assert sorted(s.record_id for s in line_stones) == sorted(built["lines"][:2])
    assert sorted((s.record_key["SalesOrder"], s.record_key["Sequence"]) for s in line_stones) == [
        (built["orders"][0], 1),
        (built["orders"][0], 2),
    ]

    shipment_stones = env.changes_since("SalesOrderLineShipment", token).deleted
    assert sorted(s.record_id for s in shipment_stones) == sorted(built["shipments"][:4])
    assert all(s.deleted_by == "erin" for s in shipment_stones)

    positions = [s.position for s in order_stones + line_stones + shipment_stones]
    assert sorted(positions) == list(range(token + 1, token + 8))


def test_cascade_from_the_middle_of_a_composition(env):
    built = build_orders(env)
    assert env.delete("SalesOrderLine", [built["lines"][1]]) == 1 + 2
    assert count(env, "SalesOrder") == 2
    assert count(env, "SalesOrderLine") == 2
    assert count(env, "SalesOrderLineShipment") == 3


def test_cascade_is_refused_when_an_association_references_the_header(env):
    built = build_orders(env)
    env.create("SalesInvoice", [{"InvoiceDate": "2030-02-01", "SalesOrder": built["orders"][0]}])
    token = env.current_token()
    with pytest.raises(ReferentialIntegrityError, match="SalesInvoice"):
        env.delete("SalesOrder", [built["orders"][0]])
    assert count(env, "SalesOrderLine") == 3
    assert count(env, "SalesOrderLineShipment") == 5
    assert env.current_token() == token


def test_delete_with_a_stale_version_raises_conflict_and_deletes_nothing(env):
    created = env.create("Account", [account("Contoso")])
    rid, version = created.record_ids[0], created.versions[0]
    current = env.update("Account", [{"RecordId": rid, "FullName": "Contoso Ltd"}]).versions[0]

    with pytest.raises(ConflictError) as caught:
        env.delete("Account", [rid], versions=[version])
    assert (caught.value.record_id, caught.value.expected, caught.value.actual) == (
        rid,
        version,
        current,
    )
    assert env.get("Account", rid)["FullName"] == "Contoso Ltd"

    assert env.delete("Account", [rid], versions=[current]) == 1
    assert count(env, "Account") == 0


def test_versions_apply_per_record(env):
    created = env.create("Account", [account("A"), account("B")])
    a, b = created.record_ids
    env.update("Account", [{"RecordId": b, "FullName": "B2"}])
    with pytest.raises(ConflictError):
        env.delete("Account", [a, b], versions=[created.versions[0], created.versions[1]])
    assert count(env, "Account") == 2
    assert env.delete("Account", [a, b], versions=[None, None]) == 2


def test_delete_rolls_back_with_its_transaction(env):
    rid = env.create("Account", [account("Contoso")]).record_ids[0]
    token = env.current_token()

    def delete_then_fail() -> None:
        with env.transaction() as tx:
            tx.delete("Account", [rid])
            tx.create("Account", [account("Bad", Status="Nope")])

    with pytest.raises(RecordValidationError):
        delete_then_fail()
    assert env.get("Account", rid)["FullName"] == "Contoso"
    assert env.current_token() == token
    assert env.changes_since("Account", token).deleted == []


def test_deleted_record_id_is_not_reused(env):
    first = env.create("Account", [account("A")]).record_ids[0]
    env.delete("Account", [first])
    second = env.create("Account", [account("B")]).record_ids[0]
    assert second != first
