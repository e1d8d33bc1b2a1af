"""Decoding stored rows a column at a time gives exactly the records decoding each row does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.model.datamodel import DataModel
from commonground.model.yaml_loader import standard_model
from commonground.service.codec import EntityCodec
from commonground.store.dialects.sqlite import SQLiteDialect

MODEL: DataModel = standard_model()
ACCOUNT = MODEL.entity("Account")
CODEC = EntityCodec(MODEL, ACCOUNT, SQLiteDialect())
FIELDS = list(ACCOUNT.all_fields)
WIDTH = sum(len(f.parts) if f.is_compound else 1 for f in FIELDS)

# What a driver may hand back for a column: text, numbers, picklist values, instants.
stored = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(-3, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.datetimes().map(lambda d: d.replace(tzinfo=None)),
    # (from Jan 2 of year 1: an instant two hours east of UTC on Jan 1 has no UTC date)
    st.datetimes(datetime(1, 1, 2), timezones=st.just(timezone(timedelta(hours=2)))),
)
rows = st.lists(st.lists(stored, min_size=WIDTH, max_size=WIDTH).map(tuple), max_size=6)


@settings(max_examples=60)
@given(table=rows)
def test_decode_rows_equals_decoding_each_row(table: list[tuple[Any, ...]]) -> None:
    expected = [CODEC.decode(FIELDS, row) for row in table]
    assert CODEC.decode_rows(FIELDS, table) == expected


def test_picklists_instants_and_floats_are_converted() -> None:
    row: list[Any] = [None] * WIDTH
    names = [
        c
        for f in FIELDS
        for c in ([f"{f.name}_{p.name}" for p in f.parts] if f.is_compound else [f.name])
    ]
    row[names.index("Status")] = 1
    row[names.index("CreatedOnDateTime")] = datetime(2026, 11, 25, 1, 2, 3)
    row[names.index("CreditLimitAmount_Amount")] = 10.5
    (record,) = CODEC.decode_rows(FIELDS, [tuple(row)])
    assert record["Status"] == "Inactive"
    assert record["CreatedOnDateTime"] == datetime(2026, 11, 25, 1, 2, 3, tzinfo=UTC)
    assert record["CreditLimitAmount"]["Amount"] == Decimal("10.5")
    assert record.related == {}
