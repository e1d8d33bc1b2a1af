"""Compiled leg plans: copies, transforms, coercion, key checks, batched lookup resolution."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.definitions import FieldMapping, Leg
from commonground.integration.mapping import (
    MappingError,
    PathError,
    TransformError,
    compile_leg,
)

K = ValueKind

SOURCE = EntityInfo(
    "SalesOrderHeaders",
    (
        FieldInfo("SALESORDERNUMBER", K.TEXT),
        FieldInfo("ORDERINGCUSTOMERACCOUNTNUMBER", K.TEXT),
        FieldInfo("CURRENCYCODE", K.TEXT),
        FieldInfo("DELIVERYCOUNTRY", K.TEXT),
        FieldInfo("TOTAL", K.DECIMAL),
        FieldInfo("LINES", K.INTEGER),
        FieldInfo("STATUS", K.INTEGER),
        FieldInfo("NOTES", K.TEXT),
        FieldInfo("PRICELIST", K.TEXT),
        FieldInfo("OWNER", K.LOOKUP, targets=("Worker",)),
    ),
)
DESTINATION = EntityInfo(
    "salesorder",
    (
        FieldInfo("ordernumber", K.TEXT, max_length=20, required=True),
        FieldInfo("customerid", K.LOOKUP, targets=("account", "contact")),
        FieldInfo("transactioncurrencyid", K.LOOKUP, targets=("transactioncurrency",)),
        FieldInfo("pricelevelid", K.LOOKUP, targets=("pricelevel",)),
        FieldInfo("shipto_country", K.TEXT),
        FieldInfo("totalamount", K.INTEGER),
        FieldInfo("linecount", K.DECIMAL),
        FieldInfo("statecode", K.TEXT),
        FieldInfo("description", K.TEXT, max_length=5),
        FieldInfo("ownername", K.TEXT),
    ),
)


def leg(*mappings: FieldMapping) -> Leg:
    return Leg(
        source="operations",
        source_entity=SOURCE.name,
        destination="sales",
        destination_entity=DESTINATION.name,
        mappings=list(mappings),
    )


def m(source: str | None, destination: str, transform: Any = None) -> FieldMapping:
    return FieldMapping(source=source, destination=destination, transform=transform)


class Resolver:
    """The engine's resolve callback over fixed tables; records every call."""

    def __init__(self, tables: dict[str, dict[str, Any]]) -> None:
        self.tables = tables
        self.calls: list[tuple[str, list[str], list[tuple[Any, ...]]]] = []

    def __call__(
        self, entity: str, key: list[str], values: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], Any]:
        self.calls.append((entity, key, values))
        table = self.tables.get(entity, {})
        return {v: table[v[0]] for v in values if v[0] in table}


ORDER = leg(
    m("SALESORDERNUMBER", "ordernumber"),
    m("ORDERINGCUSTOMERACCOUNTNUMBER", "customerid.account(accountnumber).contact(contactnumber)"),
    m("CURRENCYCODE", "transactioncurrencyid.isocurrencycode"),
    m(None, "pricelevelid.name", [{"transformType": "Default", "defaultValue": "standard"}]),
    m("TOTAL", "totalamount"),
    m("LINES", "linecount"),
    m(
        "STATUS",
        "statecode",
        [{"transformType": "ValueMap", "valueMap": {"0": "Active", "1": "Inactive"}}],
    ),
)


def order(number: str, customer: str | None = "C1", **values: Any) -> dict[str, Any]:
    record = {
        "SALESORDERNUMBER": number,
        "ORDERINGCUSTOMERACCOUNTNUMBER": customer,
        "CURRENCYCODE": "USD",
        "TOTAL": Decimal("10.99"),
        "LINES": 2,
        "STATUS": 0,
    }
    return record | values


def test_copies_transforms_and_safe_coercion() -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, ["ordernumber"])
    mapped = plan.apply([order("SO-1", TOTAL=Decimal("-10.99"), STATUS=1)])
    (record,) = mapped.records
    assert record["ordernumber"] == "SO-1"
    assert record["totalamount"] == -10  # decimal to integer truncates toward zero
    assert record["linecount"] == Decimal(2)
    assert type(record["linecount"]) is Decimal
    assert record["statecode"] == "Inactive"
    assert record["pricelevelid"] == "standard"  # the key value, until resolved
    assert mapped.positions == [0]
    assert mapped.failures == []


def test_source_fields_lists_plain_fields_and_lookup_paths() -> None:
    plan = compile_leg(
        leg(m("salesordernumber", "ordernumber"), m("owner.personnelnumber", "ownername")),
        SOURCE,
        DESTINATION,
        None,
    )
    assert plan.source_fields() == ("SALESORDERNUMBER", "OWNER.personnelnumber")
    assert plan.source_paths()[1].key == ("personnelnumber",)
    mapped = plan.apply([{"SALESORDERNUMBER": "SO-1", "OWNER.personnelnumber": "P-7"}])
    assert mapped.records == [{"ordernumber": "SO-1", "ownername": "P-7"}]
    assert plan.destination_fields() == ("ordernumber", "ownername")


def test_over_long_text_is_left_unless_truncate_is_asked() -> None:
    notes = "a long note"
    plain = compile_leg(leg(m("NOTES", "description")), SOURCE, DESTINATION, None)
    assert plain.apply([{"NOTES": notes}]).records == [{"description": notes}]
    cut = compile_leg(
        leg(m("NOTES", "description", [{"transformType": "Truncate"}])), SOURCE, DESTINATION, None
    )
    assert cut.apply([{"NOTES": notes}]).records == [{"description": "a lon"}]


def test_lookups_resolve_once_per_entity_with_distinct_values() -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, ["ordernumber"])
    records = [order(f"SO-{i}", customer="C1") for i in range(50)]
    mapped = plan.apply(records)
    resolve = Resolver(
        {
            "account": {"C1": "acc-1"},
            "transactioncurrency": {"USD": "cur-usd"},
            "pricelevel": {"standard": "pl-std"},
        }
    )
    plan.resolve_lookups(mapped, resolve)
    assert sorted(c[0] for c in resolve.calls) == ["account", "pricelevel", "transactioncurrency"]
    assert ("transactioncurrency", ["isocurrencycode"], [("USD",)]) in resolve.calls
    assert all(len(values) == 1 for _, _, values in resolve.calls)
    assert mapped.records[0]["customerid"] == "acc-1"
    assert mapped.records[0]["transactioncurrencyid"] == "cur-usd"
    assert mapped.records[0]["pricelevelid"] == "pl-std"
    assert len(mapped.records) == 50
    assert mapped.lookups == []


def test_two_lookup_fields_to_one_entity_and_key_share_one_call() -> None:
    destination = EntityInfo(
        "quote",
        (
            FieldInfo("quotenumber", K.TEXT),
            FieldInfo("billto", K.LOOKUP, targets=("account",)),
            FieldInfo("shipto", K.LOOKUP, targets=("account",)),
        ),
    )
    plan = compile_leg(
        leg(
            m("SALESORDERNUMBER", "quotenumber"),
            m("ORDERINGCUSTOMERACCOUNTNUMBER", "billto.accountnumber"),
            m("CURRENCYCODE", "shipto.accountnumber"),
        ),
        SOURCE,
        destination,
        None,
    )
    mapped = plan.apply([order("Q1", customer="C1", CURRENCYCODE="C2")])
    resolve = Resolver({"account": {"C1": 1, "C2": 2}})
    plan.resolve_lookups(mapped, resolve)
    assert resolve.calls == [("account", ["accountnumber"], [("C1",), ("C2",)])]
    assert mapped.records == [{"quotenumber": "Q1", "billto": 1, "shipto": 2}]


def test_polymorphic_targets_are_tried_in_order() -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, None)
    records = [order("SO-1", "BOTH"), order("SO-2", "CONTACT-ONLY"), order("SO-3", "ACC")]
    mapped = plan.apply(records)
    resolve = Resolver(
        {
            "account": {"BOTH": "acc-both", "ACC": "acc"},
            "contact": {"BOTH": "con-both", "CONTACT-ONLY": "con"},
            "transactioncurrency": {"USD": 1},
            "pricelevel": {"standard": 2},
        }
    )
    plan.resolve_lookups(mapped, resolve)
    assert [r["customerid"] for r in mapped.records] == ["acc-both", "con", "acc"]
    contact_calls = [c for c in resolve.calls if c[0] == "contact"]
    # Only the value the first target did not know is asked of the second.
    assert contact_calls == [("contact", ["contactnumber"], [("CONTACT-ONLY",)])]
    account_index = next(i for i, c in enumerate(resolve.calls) if c[0] == "account")
    assert account_index < resolve.calls.index(contact_calls[0])


def test_missing_lookup_value_fails_the_record_with_the_original_message() -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, None)
    records = [order("SO-1", "C1"), order("SO-2", "ACME"), order("SO-3", "C1")]
    mapped = plan.apply(records)
    resolve = Resolver(
        {"account": {"C1": 1}, "transactioncurrency": {"USD": 1}, "pricelevel": {"standard": 2}}
    )
    plan.resolve_lookups(mapped, resolve)
    assert [r["ordernumber"] for r in mapped.records] == ["SO-1", "SO-3"]
    assert mapped.positions == [0, 2]
    (failure,) = mapped.failures
    assert failure.position == 1
    assert failure.message == "customerid with value ACME does not exist in destination."
    assert failure.source_field == "ORDERINGCUSTOMERACCOUNTNUMBER"
    assert failure.destination_field.startswith("customerid.account(accountnumber)")


def test_none_lookup_value_writes_none_without_asking() -> None:
    plan = compile_leg(
        leg(m("SALESORDERNUMBER", "ordernumber"), m("CURRENCYCODE", "transactioncurrencyid.iso")),
        SOURCE,
        DESTINATION,
        None,
    )
    mapped = plan.apply([order("SO-1", CURRENCYCODE=None), order("SO-2", CURRENCYCODE=" ")])
    resolve = Resolver({})
    plan.resolve_lookups(mapped, resolve)
    assert resolve.calls == []
    assert [r["transactioncurrencyid"] for r in mapped.records] == [None, None]
    assert mapped.failures == []


def test_failures_keep_input_positions() -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, ["ordernumber"])
    records = [
        order("SO-0"),
        order("SO-1", STATUS=9),  # not in the value map
        order("SO-2"),
        order(" "),  # blank integration key
        order("SO-4", TOTAL="abc"),  # not a number
        order("SO-5"),
    ]
    mapped = plan.apply(records)
    assert mapped.positions == [0, 2, 5]
    assert [r["ordernumber"] for r in mapped.records] == ["SO-0", "SO-2", "SO-5"]
    by_position = {f.position: f for f in mapped.failures}
    assert sorted(by_position) == [1, 3, 4]
    assert by_position[1].message == "value '9' of field STATUS is not in the value map"
    assert by_position[1].destination_field == "statecode"
    assert by_position[3].destination_field == "ordernumber"
    assert "integration key" in by_position[3].message
    assert by_position[4].message == "value 'abc' cannot be written to integer field totalamount"
    assert mapped.lookups[0].rows == [0, 1, 2]


@given(st.lists(st.sampled_from([0, 1, 2, None, "x"]), max_size=30))
def test_every_input_position_is_written_or_failed_once(statuses: list[Any]) -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, ["ordernumber"])
    records = [order(f"SO-{i}", f"C{i % 3}", STATUS=s) for i, s in enumerate(statuses)]
    mapped = plan.apply(records)
    resolve = Resolver(
        {
            "account": {"C0": 0},
            "contact": {"C1": 1},
            "transactioncurrency": {"USD": 1},
            "pricelevel": {"standard": 2},
        }
    )
    plan.resolve_lookups(mapped, resolve)
    failed = [f.position for f in mapped.failures]
    assert sorted(failed + mapped.positions) == list(range(len(records)))
    assert len(set(failed)) == len(failed)
    assert mapped.positions == sorted(mapped.positions)
    for position, record in zip(mapped.positions, mapped.records, strict=True):
        assert record["ordernumber"] == f"SO-{position}"
    assert len({c[0] for c in resolve.calls}) == len(resolve.calls)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["SO", " ", None]),
            st.sampled_from([0, 9]),
            st.sampled_from([Decimal("1"), "abc"]),
        ),
        max_size=20,
    )
)
def test_a_record_failing_several_fields_is_reported_once_for_the_first(
    cases: list[tuple[str | None, int, Any]],
) -> None:
    """Fields are mapped column by column; a record still fails once, for the first field
    in mapping order that rejects it, and the integration key is checked last."""
    plan = compile_leg(ORDER, SOURCE, DESTINATION, ["ordernumber"])
    records = [
        order(f"SO-{i}" if number == "SO" else number, STATUS=status, TOTAL=total)  # type: ignore[arg-type]
        for i, (number, status, total) in enumerate(cases)
    ]
    mapped = plan.apply(records)
    expected = {}
    for i, (number, status, total) in enumerate(cases):
        if total == "abc":
            expected[i] = "totalamount"
        elif status == 9:
            expected[i] = "statecode"
        elif number != "SO":
            expected[i] = "ordernumber"
    assert {f.position: f.destination_field for f in mapped.failures} == expected
    assert [f.position for f in mapped.failures] == sorted(expected)
    assert mapped.positions == [i for i in range(len(cases)) if i not in expected]


def test_compile_with_query_maps_the_query_columns() -> None:
    plan = compile_leg(
        leg(m("SALESORDERNUMBER", "ordernumber"), m("COUNTRY", "shipto_country")),
        SOURCE,
        DESTINATION,
        ["ordernumber"],
        "select *, coalesce(DELIVERYCOUNTRY, 'US') as COUNTRY from source",
    )
    mapped = plan.apply([{"SALESORDERNUMBER": "SO-1", "COUNTRY": "US"}])
    assert mapped.records == [{"ordernumber": "SO-1", "shipto_country": "US"}]


@pytest.mark.parametrize(
    ("mappings", "key", "error", "message"),
    [
        ([m("NOPE", "ordernumber")], None, MappingError, "source field NOPE does not exist"),
        ([m("NOTES", "nope")], None, MappingError, "destination field nope does not exist"),
        (
            [m("NOTES", "description"), m("SALESORDERNUMBER", "Description")],
            None,
            MappingError,
            "destination field description is mapped twice",
        ),
        ([m("NOTES", "description.x")], None, MappingError, "description is not a lookup"),
        (
            [m("NOTES", "customerid.lead(x)")],
            None,
            MappingError,
            "customerid cannot reference lead",
        ),
        ([m("NOTES", "description")], ["ordernumber"], MappingError, "ordernumber of salesorder"),
        ([m("NOTES", "description(")], None, PathError, "position 11"),
        (
            [m("NOTES", "description", [{"transformType": "Upper"}])],
            None,
            TransformError,
            "mapping NOTES -> description, transform 1",
        ),
    ],
)
def test_compile_errors(
    mappings: list[FieldMapping], key: list[str] | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        compile_leg(leg(*mappings), SOURCE, DESTINATION, key)


def test_key_may_name_the_lookup_path() -> None:
    plan = compile_leg(
        leg(m("SALESORDERNUMBER", "ordernumber"), m("CURRENCYCODE", "transactioncurrencyid.iso")),
        SOURCE,
        DESTINATION,
        ["ordernumber", "transactioncurrencyid.iso"],
    )
    assert plan.key == ("ordernumber", "transactioncurrencyid")


def test_blank_source_is_no_source_and_list_values_are_composite_keys() -> None:
    destination = EntityInfo(
        "line",
        (
            FieldInfo("number", K.TEXT),
            FieldInfo("orderid", K.LOOKUP, targets=("order",)),
            FieldInfo("kind", K.TEXT),
        ),
    )
    source = EntityInfo("lines", (FieldInfo("NUMBER", K.TEXT), FieldInfo("ORDER", K.STRUCTURED)))
    plan = compile_leg(
        leg(
            m("NUMBER", "number"),
            m("ORDER", "orderid.order(company,ordernumber)"),
            m(" ", "kind", [{"transformType": "Default", "defaultValue": "Item"}]),
        ),
        source,
        destination,
        None,
    )
    mapped = plan.apply([{"NUMBER": "1", "ORDER": ["usmf", "SO-1"]}])
    resolve = Resolver({})
    plan.resolve_lookups(mapped, lambda e, k, v: resolve(e, k, v) | {("usmf", "SO-1"): 42})
    assert resolve.calls == [("order", ["company", "ordernumber"], [("usmf", "SO-1")])]
    assert mapped.records == [{"number": "1", "orderid": 42, "kind": "Item"}]
    assert plan.source_fields() == ("NUMBER", "ORDER")


def test_a_target_reached_by_two_lookups_in_different_orders_is_asked_once() -> None:
    destination = EntityInfo(
        "order",
        (
            FieldInfo("number", K.TEXT),
            FieldInfo("customer", K.LOOKUP, targets=("account", "contact")),
            FieldInfo("contact", K.LOOKUP, targets=("contact",)),
        ),
    )
    plan = compile_leg(
        leg(
            m("SALESORDERNUMBER", "number"),
            m("ORDERINGCUSTOMERACCOUNTNUMBER", "customer.account(number).contact(number)"),
            m("CURRENCYCODE", "contact.number"),
        ),
        SOURCE,
        destination,
        None,
    )
    records = [order("SO-1", "C9", CURRENCYCODE="P1"), order("SO-2", "A1", CURRENCYCODE=None)]
    mapped = plan.apply(records)
    resolve = Resolver({"account": {"A1": "a1"}, "contact": {"C9": "c9", "P1": "p1"}})
    plan.resolve_lookups(mapped, resolve)
    assert resolve.calls == [
        ("account", ["number"], [("C9",), ("A1",)]),
        ("contact", ["number"], [("C9",), ("P1",)]),
    ]
    assert [(r["customer"], r["contact"]) for r in mapped.records] == [("c9", "p1"), ("a1", None)]


@given(
    names=st.lists(
        st.from_regex(r"[A-Za-z_\u00c0-\u024f][A-Za-z0-9_\u00c0-\u024f]{0,10}", fullmatch=True),
        min_size=1,
        max_size=6,
        unique_by=str.lower,
    ),
    count=st.integers(0, 5),
)
def test_mapped_records_hold_every_destination_field(names: list[str], count: int) -> None:
    source = EntityInfo("s", tuple(FieldInfo(f"src{i}", K.TEXT) for i in range(len(names))))
    destination = EntityInfo("d", tuple(FieldInfo(n, K.TEXT) for n in names))
    mapping = Leg(
        source="a",
        source_entity="s",
        destination="b",
        destination_entity="d",
        mappings=[m(f"src{i}", n) for i, n in enumerate(names)],
    )
    plan = compile_leg(mapping, source, destination, None)
    records = [{f"src{i}": f"v{row}.{i}" for i in range(len(names))} for row in range(count)]
    assert plan.apply(records).records == [
        {n: f"v{row}.{i}" for i, n in enumerate(names)} for row in range(count)
    ]


def test_a_record_without_a_mapped_field_maps_it_as_none() -> None:
    plan = compile_leg(ORDER, SOURCE, DESTINATION, ["ordernumber"])
    records = [order("SO-0"), {k: v for k, v in order("SO-1").items() if k != "TOTAL"}]
    mapped = plan.apply(records)
    assert [r["totalamount"] for r in mapped.records] == [10, None]  # 10.99 as an integer
