"""Aggregation plans (`$apply`) on both stores: grouping, every method, order, top, exactness."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commonground.query.aggregate import Aggregate, Apply
from commonground.query.expressions import Path
from commonground.query.plan import Order
from commonground.store.aggregate import compile_apply
from commonground.store.query import QueryError
from tests.fixtures.records import account, add_gadget

COUNT = Aggregate(None, "count", "Count")


def oslo_bergen(env) -> list[int]:
    """Five accounts: three in Oslo (one inactive), two in Bergen, one without a city."""
    rows = [
        account("A", EmployeeCount=10, MailingPostalAddress={"City": "Oslo"}),
        account("B", EmployeeCount=20, MailingPostalAddress={"City": "Oslo"}),
        account("C", EmployeeCount=5, Status="Inactive", MailingPostalAddress={"City": "Oslo"}),
        account("D", EmployeeCount=7, MailingPostalAddress={"City": "Bergen"}),
        account("E", EmployeeCount=None),
    ]
    return env.create("Account", rows).record_ids


def test_group_by_one_property_counts_records_per_item_name(env):
    oslo_bergen(env)
    groups = env.aggregate("Account", Apply(group_by=("Status",), aggregates=(COUNT,)))
    assert groups == [{"Status": "Active", "Count": 4}, {"Status": "Inactive", "Count": 1}]


def test_group_by_two_properties_and_a_compound_part_nests_the_part(env):
    oslo_bergen(env)
    plan = Apply(group_by=("MailingPostalAddress/City", "Status"), aggregates=(COUNT,))
    groups = env.aggregate("Account", plan)
    assert groups == [
        {"MailingPostalAddress": {"City": None}, "Status": "Active", "Count": 1},
        {"MailingPostalAddress": {"City": "Bergen"}, "Status": "Active", "Count": 1},
        {"MailingPostalAddress": {"City": "Oslo"}, "Status": "Active", "Count": 2},
        {"MailingPostalAddress": {"City": "Oslo"}, "Status": "Inactive", "Count": 1},
    ]


def test_group_by_without_aggregates_lists_distinct_values(env):
    oslo_bergen(env)
    groups = env.aggregate("Account", Apply(group_by=("Status",)))
    assert groups == [{"Status": "Active"}, {"Status": "Inactive"}]


def test_group_by_a_lookup_and_a_path_through_it(env):
    parents = env.create("Account", [account("Parent 1"), account("Parent 2")]).record_ids
    children = [
        account("C1", ParentAccount=parents[0], EmployeeCount=1),
        account("C2", ParentAccount=parents[0], EmployeeCount=2),
        account("C3", ParentAccount=parents[1], EmployeeCount=4),
    ]
    env.create("Account", children)
    total = Aggregate("EmployeeCount", "sum", "Staff")
    by_id = env.aggregate("Account", Apply(group_by=("ParentAccount",), aggregates=(total,)))
    assert by_id == [
        {"_ParentAccount_value": None, "Staff": None},
        {"_ParentAccount_value": parents[0], "Staff": 3},
        {"_ParentAccount_value": parents[1], "Staff": 4},
    ]
    # The outer join keeps the records without a parent, in a group of their own.
    plan = Apply(group_by=("ParentAccount/FullName",), aggregates=(total, COUNT))
    by_name = env.aggregate("Account", plan, [Order("ParentAccount/FullName", True)])
    assert by_name == [
        {"ParentAccount": {"FullName": "Parent 2"}, "Staff": 4, "Count": 1},
        {"ParentAccount": {"FullName": "Parent 1"}, "Staff": 3, "Count": 2},
        {"ParentAccount": {"FullName": None}, "Staff": None, "Count": 2},
    ]
    # A lookup's RecordId and its target's properties side by side, without a clash.
    both = Apply(group_by=("ParentAccount", "ParentAccount/FullName"), aggregates=(COUNT,))
    assert env.aggregate("Account", both)[1] == {
        "_ParentAccount_value": parents[0],
        "ParentAccount": {"FullName": "Parent 1"},
        "Count": 2,
    }


def test_every_method_over_all_records(env):
    oslo_bergen(env)
    aggregates = tuple(
        Aggregate(path, method, alias)
        for path, method, alias in [
            ("EmployeeCount", "sum", "Sum"),
            ("EmployeeCount", "average", "Average"),
            ("EmployeeCount", "min", "Min"),
            ("EmployeeCount", "max", "Max"),
            ("MailingPostalAddress/City", "countdistinct", "Cities"),
            ("FullName", "max", "LastName"),
            ("Status", "min", "FirstStatus"),
            ("IsEmailContactAllowed", "min", "AllAllowed"),
            (None, "count", "Count"),
        ]
    )
    [group] = env.aggregate("Account", Apply(aggregates=aggregates))
    assert group == {
        "Sum": 42,
        "Average": Decimal("10.5"),  # nulls do not count
        "Min": 5,
        "Max": 20,
        "Cities": 2,
        "LastName": "E",
        "FirstStatus": "Active",
        "AllAllowed": True,
        "Count": 5,
    }
    assert type(group["Sum"]) is int
    assert isinstance(group["Average"], Decimal)


def test_average_is_the_same_decimal_on_both_stores(env):
    oslo_bergen(env)
    plan = Apply(
        filter=Path(("FullName",)).in_(["A", "B", "D"]),
        aggregates=(Aggregate("EmployeeCount", "average", "Average"),),
    )
    assert env.aggregate("Account", plan) == [{"Average": Decimal("12.3333333333")}]


def test_filter_applies_before_grouping(env):
    oslo_bergen(env)
    plan = Apply(
        filter=Path(("Status",)) == "Active",
        group_by=("MailingPostalAddress/City",),
        aggregates=(Aggregate("EmployeeCount", "sum", "Staff"), COUNT),
    )
    groups = env.aggregate("Account", plan)
    assert groups == [
        {"MailingPostalAddress": {"City": None}, "Staff": None, "Count": 1},
        {"MailingPostalAddress": {"City": "Bergen"}, "Staff": 7, "Count": 1},
        {"MailingPostalAddress": {"City": "Oslo"}, "Staff": 30, "Count": 2},
    ]


def test_order_by_alias_and_grouping_property_then_top_and_skip(env):
    oslo_bergen(env)
    plan = Apply(group_by=("MailingPostalAddress/City",), aggregates=(COUNT,))
    by_count = env.aggregate("Account", plan, [Order("Count", True)])
    assert [g["Count"] for g in by_count] == [3, 1, 1]
    # Ties fall back to the grouping values, so top always cuts the same groups.
    assert [g["MailingPostalAddress"]["City"] for g in by_count] == ["Oslo", None, "Bergen"]
    top = env.aggregate("Account", plan, [Order("MailingPostalAddress/City", True)], top=2)
    assert [g["MailingPostalAddress"]["City"] for g in top] == ["Oslo", "Bergen"]
    skipped = env.aggregate("Account", plan, [Order("Count", True)], top=1, skip=1)
    assert skipped == [{"MailingPostalAddress": {"City": None}, "Count": 1}]


def test_empty_results(env):
    oslo_bergen(env)
    nothing = Path(("FullName",)) == "nobody"
    grouped = Apply(filter=nothing, group_by=("Status",), aggregates=(COUNT,))
    assert env.aggregate("Account", grouped) == []
    # Without grouping, the one group of no records: count 0, other aggregates null.
    total = Apply(filter=nothing, aggregates=(Aggregate("EmployeeCount", "sum", "Staff"), COUNT))
    assert env.aggregate("Account", total) == [{"Staff": None, "Count": 0}]
    assert env.aggregate("Product", Apply(aggregates=(COUNT,))) == [{"Count": 0}]


def test_decimal_sums_are_exact_at_the_field_scale(env):
    add_gadget(env)
    prices = ["0.10", "0.20", "0.30", "1234567.89", "0.01"]
    weights = ["0.001", "0.002", "1.100", None, "2.000"]
    rows = [
        {"Code": f"G{i}", "Price": {"Amount": Decimal(p)}, "Weight": w, "Colour": colour}
        for i, (p, w, colour) in enumerate(
            zip(prices, weights, ["Red", "Red", "Blue", "Blue", "Green"], strict=True)
        )
    ]
    env.create("Gadget", rows)
    aggregates = (
        Aggregate("Price/Amount", "sum", "Price"),
        Aggregate("Weight", "sum", "Weight"),
        Aggregate("Price/Amount", "max", "Top"),
        Aggregate("Price/Amount", "average", "Average"),
    )
    [total] = env.aggregate("Gadget", Apply(aggregates=aggregates))
    assert total == {
        "Price": Decimal("1234568.50"),
        "Weight": Decimal("3.103"),
        "Top": Decimal("1234567.89"),
        "Average": Decimal("246913.7"),
    }
    assert str(total["Price"]) == "1234568.50"
    plan = Apply(group_by=("Colour",), aggregates=(Aggregate("Price/Amount", "sum", "Price"),))
    groups = env.aggregate("Gadget", plan, [Order("Price", False)])
    assert groups == [
        {"Colour": "Green", "Price": Decimal("0.01")},
        {"Colour": "Red", "Price": Decimal("0.30")},
        {"Colour": "Blue", "Price": Decimal("1234568.19")},
    ]


def test_grouping_by_a_date_and_min_max_of_instants(env):
    oslo_bergen(env)
    plan = Apply(
        aggregates=(
            Aggregate("CreatedOnDateTime", "min", "First"),
            Aggregate("CreatedOnDateTime", "max", "Last"),
        )
    )
    [group] = env.aggregate("Account", plan)
    assert group["First"].tzinfo is not None
    assert group["First"] <= group["Last"]


def test_an_order_naming_neither_a_group_nor_an_alias_is_refused(env):
    plan = Apply(group_by=("Status",), aggregates=(COUNT,))
    with pytest.raises(QueryError):
        env.aggregate("Account", plan, [Order("FullName", False)])
    with pytest.raises(QueryError):
        compile_apply(env.db, env.model, "Account", Apply())
