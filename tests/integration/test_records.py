"""RecordMaker: records from columns or rows, whatever the field names."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from commonground.integration.records import RecordMaker


@given(
    names=st.lists(st.text(max_size=12), max_size=6, unique=True),
    count=st.integers(0, 5),
)
def test_records_are_built_with_every_name_as_given(names: list[str], count: int) -> None:
    """The record maker is made from the field names: quotes, backslashes, braces or any
    other character in a name must come out as the name itself."""
    make = RecordMaker(names)
    columns = [[f"v{row}.{i}" for row in range(count)] for i in range(len(names))]
    expected = [{n: f"v{row}.{i}" for i, n in enumerate(names)} for row in range(count)]
    assert make.from_columns(columns, count) == expected
    rows = [(*(c[row] for c in columns), "more", "values") for row in range(count)]
    assert make.from_rows(rows) == expected  # values after the named ones are left out
