"""The transform editor's rows: a chain to rows and back, in the chain's order and types."""

from __future__ import annotations

import pytest

from commonground.admin.integration.transform_rows import (
    chain_of,
    posted_rows,
    rows_of,
    uncovered,
)
from commonground.errors import DefinitionError

CHAIN = [
    {"transformType": "Default", "defaultValue": 0},
    {"transformType": "ValueMap", "valueMap": {"a": 1, "": 2}},
]


def test_a_chain_comes_back_the_same_through_its_rows() -> None:
    rows = rows_of(CHAIN)
    assert rows.pairs == [("a", "1")]
    assert rows.blank == "2"
    assert rows.default == "0"
    form = {
        "map.count": "2",
        "map.key.0": "a",
        "map.value.0": "1",
        "map.blank": "2",
        "default.on": "yes",
        "default.value": "0",
    }
    assert chain_of(posted_rows(form, rows)) == CHAIN


def test_new_transforms_go_after_in_a_fixed_order() -> None:
    rows = rows_of([{"transformType": "Truncate"}])
    form = {"map.count": "1", "map.key.0": "x", "map.value.0": "y", "truncate.on": "yes"}
    assert chain_of(posted_rows(form, rows)) == [
        {"transformType": "Truncate"},
        {"transformType": "ValueMap", "valueMap": {"x": "y"}},
    ]
    assert chain_of(posted_rows({}, rows)) == []


def test_rows_refuse_what_they_cannot_say() -> None:
    assert uncovered([{"transformType": "CountryRegionCode"}]) == "it has CountryRegionCode"
    assert uncovered([{"transformType": "Truncate"}] * 2) == "it has Truncate more than once"
    assert uncovered(CHAIN) is None
    with pytest.raises(DefinitionError, match="a source value is required"):
        posted_rows({"map.count": "1", "map.value.0": "orphan"}, rows_of(None))
    with pytest.raises(DefinitionError, match="positive integer"):
        chain_of(posted_rows({"truncate.on": "yes", "truncate.length": "-3"}, rows_of(None)))
