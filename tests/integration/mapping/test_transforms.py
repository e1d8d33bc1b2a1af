"""Transforms: parsing the JSON array, chain order, value maps, truncation, country codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.integration.mapping.transforms import (
    FORMATS,
    TransformError,
    ValueRejectedError,
    chain,
    parse_transforms,
)

COUNTRIES = list(pycountry.countries)
ATTRIBUTE = {"alpha2": "alpha_2", "alpha3": "alpha_3", "name": "name", "numeric": "numeric"}


def build(spec: Any, max_length: int | None = None) -> Any:
    transforms = parse_transforms(spec, mapping="SRC -> dst", field="SRC", max_length=max_length)
    apply = chain(transforms)
    assert apply is not None
    return apply


def test_no_transforms() -> None:
    assert parse_transforms(None, mapping="a -> b", field="a") == ()
    assert chain(()) is None


def test_default_fills_none_and_blank_only() -> None:
    apply = build([{"transformType": "Default", "defaultValue": "Organization"}])
    assert apply(None) == "Organization"
    assert apply("  ") == "Organization"
    assert apply("Person") == "Person"
    assert apply(0) == 0


def test_chain_applies_in_array_order() -> None:
    value_map = {"transformType": "ValueMap", "valueMap": {"0": "Active", "1": "Inactive"}}
    default = {"transformType": "Default", "defaultValue": "1"}
    # Default first: a blank source becomes "1", which the map turns into "Inactive".
    assert build([default, value_map])(None) == "Inactive"
    # ValueMap first: a blank source passes the map unchanged and gets the Default's "1".
    assert build([value_map, default])(None) == "1"
    truncate = {"transformType": "Truncate", "length": 3}
    assert build([value_map, truncate])(0) == "Act"


def test_value_map_is_case_insensitive_and_matches_numbers_as_text() -> None:
    apply = build(
        [{"transformType": "ValueMap", "valueMap": {"united States": "US", "0": "Active"}}]
    )
    assert apply("UNITED STATES") == "US"
    assert apply(" united states ") == "US"
    assert apply(0) == "Active"
    assert apply(Decimal("0.00")) == "Active"
    assert apply(0.0) == "Active"
    decimals = build([{"transformType": "ValueMap", "valueMap": {"1.5": "half"}}])
    assert decimals(Decimal("1.50")) == "half"
    assert decimals(1.5) == "half"


def test_value_map_matches_booleans_as_text() -> None:
    apply = build([{"transformType": "ValueMap", "valueMap": {"true": "Yes", "FALSE": "No"}}])
    assert apply(True) == "Yes"
    assert apply(False) == "No"


def test_value_map_blank_key_for_blank_and_missing_values() -> None:
    apply = build([{"transformType": "ValueMap", "valueMap": {"us": "US", "": "US"}}])
    assert apply(None) == "US"
    assert apply("") == "US"
    assert apply("Narnia") == "US"
    assert apply("us") == "US"


def test_value_map_without_blank_key_rejects_missing_values() -> None:
    apply = build([{"transformType": "ValueMap", "valueMap": {"0": "Active"}}])
    with pytest.raises(ValueRejectedError, match="value '7' of field SRC is not in the value map"):
        apply(7)
    assert apply(None) is None  # no value, no blank key: nothing to map


@given(st.text(max_size=30), st.integers(min_value=1, max_value=20))
def test_truncate_to_explicit_length(text: str, length: int) -> None:
    out = build([{"transformType": "Truncate", "length": length}])(text)
    assert len(out) <= length
    assert text.startswith(out)
    assert out == text or len(out) == length


@given(st.text(max_size=30), st.integers(min_value=1, max_value=20))
def test_truncate_defaults_to_destination_length(text: str, max_length: int) -> None:
    out = build([{"transformType": "Truncate"}], max_length=max_length)(text)
    assert len(out) <= max_length
    assert text.startswith(out)


def test_truncate_leaves_other_values() -> None:
    apply = build([{"transformType": "Truncate", "length": 2}])
    assert apply(12345) == 12345
    assert apply(None) is None


@pytest.mark.parametrize(
    ("value", "format", "expected"),
    [
        ("Germany", "alpha2", "DE"),
        ("deu", "alpha2", "DE"),
        ("de", "alpha3", "DEU"),
        ("USA", "alpha2", "US"),
        ("United States", "alpha3", "USA"),
        ("United States of America", "alpha2", "US"),
        ("UK", "alpha2", "GB"),
        ("uk", "name", "United Kingdom"),
        (840, "alpha2", "US"),
        ("840", "alpha3", "USA"),
        (4, "alpha2", "AF"),
        ("4", "alpha2", "AF"),
        ("FR", "numeric", "250"),
        ("Taiwan", "alpha2", "TW"),
    ],
)
def test_country_region_code(value: Any, format: str, expected: str) -> None:
    spec = [{"transformType": "CountryRegionCode", "format": format}]
    assert build(spec)(value) == expected


def test_country_default_format_is_alpha2_and_blank_passes() -> None:
    apply = build([{"transformType": "CountryRegionCode"}])
    assert apply("france") == "FR"
    assert apply(None) is None
    with pytest.raises(ValueRejectedError, match="'Narnia' of field SRC is not a known country"):
        apply("Narnia")


@given(
    st.sampled_from(COUNTRIES),
    st.sampled_from(["alpha_2", "alpha_3", "numeric", "name", "official_name", "common_name"]),
    st.sampled_from(FORMATS),
    st.booleans(),
)
def test_country_round_trip_over_all_countries(
    country: Any, spelling: str, format: str, upper: bool
) -> None:
    given_as = getattr(country, spelling, None) or country.name
    given_as = given_as.upper() if upper else given_as.lower()
    out = build([{"transformType": "CountryRegionCode", "format": format}])(given_as)
    assert out == getattr(country, ATTRIBUTE[format])
    back = build([{"transformType": "CountryRegionCode", "format": "alpha2"}])(out)
    assert back == country.alpha_2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"transformType": "ValueMap"}, "must be a JSON array"),
        ([{"transformType": "Concat"}], "transform 1: unknown transformType 'Concat'"),
        (["Default"], "transform 1: a transform must be an object"),
        ([{"transformType": "Default"}], "Default needs a defaultValue"),
        ([{"transformType": "Default", "defaultValue": [1]}], "must be a single value"),
        ([{"transformType": "Truncate"}, {"transformType": "ValueMap"}], "transform 2: ValueMap"),
        ([{"transformType": "ValueMap", "valueMap": ["a"]}], "needs a valueMap object"),
        ([{"transformType": "ValueMap", "valueMap": {"a": {}}}], "must be single values"),
        ([{"transformType": "ValueMap", "valueMap": {"US": 1, "us": 2}}], "'us' appears twice"),
        ([{"transformType": "Truncate", "length": 0}], "positive integer"),
        ([{"transformType": "Truncate", "length": "5"}], "positive integer"),
        ([{"transformType": "CountryRegionCode", "format": "iso"}], "format must be one of"),
        ([{"transformType": "Default", "defaultValue": 1, "x": 2}], "Default does not take x"),
    ],
)
def test_bad_shapes_name_mapping_and_position(spec: Any, message: str) -> None:
    with pytest.raises(TransformError) as info:
        parse_transforms(spec, mapping="SRC -> dst", field="SRC", max_length=10)
    assert "mapping SRC -> dst" in str(info.value)
    assert message in str(info.value)


def test_bare_truncate_needs_a_destination_length() -> None:
    with pytest.raises(TransformError, match="destination field declares none"):
        parse_transforms([{"transformType": "Truncate"}], mapping="a -> b", field="a")


def test_unmapped_value_message_names_value_and_field() -> None:
    spec = [{"transformType": "ValueMap", "valueMap": {"x": "y"}}]
    (value_map,) = parse_transforms(spec, mapping="STATE -> st", field="STATE")
    with pytest.raises(ValueRejectedError) as info:
        value_map("Missouri")
    assert str(info.value) == "value 'Missouri' of field STATE is not in the value map"


keys = st.text(alphabet="abcXYZ019 _-", min_size=1, max_size=8).filter(lambda k: k.strip() != "")


@given(st.dictionaries(keys, st.integers(), min_size=1, max_size=6), st.data())
def test_value_map_matches_any_casing_of_a_key(mapping: dict[str, int], data: Any) -> None:
    folded: dict[str, int] = {}
    for key, value in mapping.items():
        folded.setdefault(key.strip().casefold(), value)
    unique = {k: v for k, v in mapping.items() if folded[k.strip().casefold()] == v}
    if len(folded) != len(mapping):
        with pytest.raises(TransformError, match="appears twice"):
            build([{"transformType": "ValueMap", "valueMap": mapping}])
        return
    apply = build([{"transformType": "ValueMap", "valueMap": mapping}])
    key = data.draw(st.sampled_from(sorted(unique)))
    spelled = "".join(c.upper() if data.draw(st.booleans()) else c.lower() for c in key)
    assert apply(f" {spelled} ") == mapping[key]


@given(st.one_of(st.none(), st.text(max_size=5), st.integers()), st.text(min_size=1))
def test_default_never_leaves_a_blank(value: Any, default: str) -> None:
    out = build([{"transformType": "Default", "defaultValue": default}])(value)
    blank = value is None or (isinstance(value, str) and not value.strip())
    assert out == (default if blank else value)
