"""Source paths `lookup.keyfield`: read fields, and filling values with the source's fetch."""

from __future__ import annotations

from typing import Any

import pytest

from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.definitions import FieldMapping, Leg
from commonground.integration.mapping import MappingError, compile_leg, validate_leg

K = ValueKind

SOURCE = EntityInfo(
    "salesorder",
    (
        FieldInfo("ordernumber", K.TEXT),
        FieldInfo("customerid", K.LOOKUP, targets=("account", "contact")),
        FieldInfo("transactioncurrencyid", K.LOOKUP, targets=("transactioncurrency",)),
        FieldInfo("ownerid", K.LOOKUP),
        FieldInfo("name", K.TEXT),
    ),
)
DESTINATION = EntityInfo(
    "SalesOrderHeaders",
    (
        FieldInfo("SALESORDERNUMBER", K.TEXT),
        FieldInfo("ORDERINGCUSTOMERACCOUNTNUMBER", K.TEXT),
        FieldInfo("CURRENCYCODE", K.TEXT),
        FieldInfo("OWNER", K.TEXT),
    ),
)


def plan_for(*rows: tuple[str, str]) -> Any:
    leg = Leg(
        source="sales",
        source_entity=SOURCE.name,
        destination="operations",
        destination_entity=DESTINATION.name,
        mappings=[FieldMapping(source=s, destination=d) for s, d in rows],
    )
    return compile_leg(leg, SOURCE, DESTINATION, ["SALESORDERNUMBER"])


ROWS = (
    ("ordernumber", "SALESORDERNUMBER"),
    (
        "customerid.Account(accountnumber).Contact(msdynce_contactnumber)",
        "ORDERINGCUSTOMERACCOUNTNUMBER",
    ),
    ("transactioncurrencyid.isocurrencycode", "CURRENCYCODE"),
)


class Fetcher:
    """The source connector's fetch over fixed tables; records every call."""

    def __init__(self, tables: dict[str, dict[Any, dict[str, Any]]]) -> None:
        self.tables = tables
        self.calls: list[tuple[str, list[Any], list[str]]] = []

    def __call__(
        self, entity: str, references: list[Any], fields: list[str]
    ) -> dict[Any, dict[str, Any]]:
        self.calls.append((entity, references, fields))
        table = self.tables.get(entity, {})
        return {r: table[r] for r in references if r in table}


def test_read_fields_request_the_lookup_field_of_a_path() -> None:
    plan = plan_for(*ROWS)
    assert plan.read_fields() == ("ordernumber", "customerid", "transactioncurrencyid")
    assert plan.source_fields() == (
        "ordernumber",
        "customerid.Account(accountnumber).Contact(msdynce_contactnumber)",
        "transactioncurrencyid.isocurrencycode",
    )


def test_fill_related_then_apply() -> None:
    plan = plan_for(*ROWS)
    records = [
        {"ordernumber": "SO-1", "customerid": 1, "transactioncurrencyid": 10},
        {"ordernumber": "SO-2", "customerid": 2, "transactioncurrencyid": 10},
        {"ordernumber": "SO-3", "customerid": 3, "transactioncurrencyid": None},
        {"ordernumber": "SO-4", "customerid": 1, "transactioncurrencyid": 11},
    ]
    fetch = Fetcher(
        {
            "account": {1: {"AccountNumber": "C-1"}},  # field spelling differs: still found
            "contact": {1: {"msdynce_contactnumber": "P-1"}, 2: {"msdynce_contactnumber": "P-2"}},
            "transactioncurrency": {10: {"isocurrencycode": "USD"}},
        }
    )
    plan.fill_related(records, fetch)
    assert fetch.calls == [
        ("account", [1, 2, 3], ["accountnumber"]),
        ("contact", [2, 3], ["msdynce_contactnumber"]),
        ("transactioncurrency", [10, 11], ["isocurrencycode"]),
    ]
    mapped = plan.apply(records)
    assert [(r["ORDERINGCUSTOMERACCOUNTNUMBER"], r["CURRENCYCODE"]) for r in mapped.records] == [
        ("C-1", "USD"),
        ("P-2", "USD"),
        (None, None),
        ("C-1", None),
    ]


def test_composite_keys_give_tuples_and_no_paths_means_no_fetch() -> None:
    plan = plan_for(("ordernumber", "SALESORDERNUMBER"), ("customerid.account(a,b)", "OWNER"))
    records = [{"ordernumber": "SO-1", "customerid": 5}]
    plan.fill_related(records, Fetcher({"account": {5: {"a": "x", "b": 2}}}))
    assert records[0]["customerid.account(a,b)"] == ("x", 2)
    plain = plan_for(("ordernumber", "SALESORDERNUMBER"))
    fetch = Fetcher({})
    plain.fill_related(records, fetch)
    assert fetch.calls == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("name.first", "source field name is not a lookup"),
        ("ownerid.fullname", "lookup ownerid has no target to read ownerid.fullname"),
        ("customerid.lead(x)", "lookup customerid has no target to read"),
    ],
)
def test_paths_that_cannot_be_read(source: str, message: str) -> None:
    with pytest.raises(MappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_for(("ordernumber", "SALESORDERNUMBER"), (source, "OWNER"))
    leg = Leg(
        source="s",
        source_entity="x",
        destination="o",
        destination_entity="y",
        mappings=[
            FieldMapping(source="ordernumber", destination="SALESORDERNUMBER"),
            FieldMapping(source=source, destination="OWNER"),
        ],
    )
    problems = validate_leg("Orders", leg, SOURCE, DESTINATION, ["SALESORDERNUMBER"])
    assert [p.code for p in problems] == ["DIPV1028"]
