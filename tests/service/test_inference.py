"""Type inference for new entities: the rules, and that a type never rejects its own column."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.errors import DefinitionError
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.types import FieldType
from commonground.service.codec import canonical
from commonground.service.inference import (
    NO_MODEL,
    infer_entity,
    profile_values,
    sanitize_name,
    unique_names,
)
from commonground.service.tabular import cell_value, open_sheet
from commonground.store.dialects.sqlite import SQLiteDialect

T = FieldType


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["true", "No", "YES", ""], T.BOOLEAN),
        (["1", "0"], T.INTEGER),
        (["-12", "2147483647"], T.INTEGER),
        (["2147483648"], T.NUMBER),
        (["1.5", "2"], T.NUMBER),
        (["1.1234567"], T.TEXT),  # more places than a Number keeps
        (["1e5"], T.TEXT),
        (["00123", "1"], T.TEXT),  # leading zeros matter: an identifier, not a number
        (["2024-01-02", "1999-12-31"], T.DATE),
        (["2024-02-30"], T.TEXT),
        (["2024-01-02", "2024-01-02T10:00:00Z"], T.DATETIME),
        (["2024-01-02 10:00:00+02:00"], T.DATETIME),
        (["https://example.com", "http://a.b/c?d=1"], T.URL),
        (["a@b.com", "x.y@z.org"], T.EMAIL),
        (["a@b"], T.TEXT),
        (["", ""], T.TEXT),
        (["x" * 129], T.MULTILINE),
        (["two\nlines"], T.MULTILINE),
        ([True, False], T.BOOLEAN),  # workbook cells keep their types
        ([3.0, -1.0], T.INTEGER),
        ([0.30000000000000004], T.NUMBER),
        ([date(2024, 1, 2)], T.DATE),
        ([datetime(2024, 1, 2, 3, 4)], T.DATETIME),
    ],
)
def test_inference_rules(values: list[Any], expected: FieldType) -> None:
    assert profile_values("Column", values).field("Column").type is expected


def test_text_is_128_then_multiline_then_too_long() -> None:
    assert profile_values("C", ["abc"]).field("C").max_length == 128
    assert profile_values("C", ["x" * 2048]).field("C").type is T.MULTILINE
    with pytest.raises(DefinitionError, match="column 'C' holds a value of 2049 characters"):
        profile_values("C", ["x" * 2049]).field("C")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("first name", "FirstName"),
        ("Customer_id", "Customer_id"),
        ("Prix (€)", "Prix"),
        ("Café", "Cafe"),
        ("2024 sales", "Field2024Sales"),
        ("", "Field"),
        ("_x", "Field_x"),
        ("a" * 80, "A" + "a" * 63),
    ],
)
def test_sanitize_name(header: str, name: str) -> None:
    assert sanitize_name(header) == name


def test_unique_names_avoid_each_other_and_system_fields() -> None:
    assert unique_names(["Name", "name", "RecordId", "Name"]) == [
        "Name",
        "name2",
        "RecordId2",
        "Name3",
    ]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_entity_has_key_primary_name_and_renames(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "Code,Full Name,Qty,Junk,Colour\n1,Pen,3,x,red\n2,Ink,,y,\n")
    inferred = infer_entity(
        "Part", open_sheet(path), key="code", renames={"junk": "", "COLOUR": "Shade"}
    )
    entity = inferred.entity
    code = entity.field_or_none("Code")
    assert code is not None
    assert (code.type, code.required, code.unique) == (T.INTEGER, True, True)
    assert entity.keys == {"Code": ("Code",)}
    assert entity.primary_name == "FullName"
    assert [f.name for f in entity.fields] == ["Code", "FullName", "Qty", "Shade"]
    assert inferred.columns == {
        "Code": "Code",
        "Full Name": "FullName",
        "Qty": "Qty",
        "Colour": "Shade",
    }


def test_a_name_column_is_text_even_when_it_looks_numeric(tmp_path: Path) -> None:
    entity = infer_entity("Part", open_sheet(write(tmp_path / "p.csv", "Title\n1\n2\n"))).entity
    title = entity.field_or_none("Title")
    assert title is not None
    assert (title.type, entity.primary_name) == (T.TEXT, "Title")


def test_without_a_name_column_there_is_no_primary_name_yet(tmp_path: Path) -> None:
    entity = infer_entity("Part", open_sheet(write(tmp_path / "p.csv", "Qty\n1\n"))).entity
    assert entity.primary_name is None  # the service adds its Title field when it creates it


def test_key_and_renames_must_name_columns(tmp_path: Path) -> None:
    sheet = open_sheet(write(tmp_path / "p.csv", "Qty\n1\n"))
    with pytest.raises(DefinitionError, match="--key Sku"):
        infer_entity("Part", sheet, key="Sku")
    with pytest.raises(DefinitionError, match="does not have: nope"):
        infer_entity("Part", sheet, renames={"Nope": "X"})
    with pytest.raises(DefinitionError, match="new entity part name"):
        infer_entity("part name", sheet)


# -- the property: inference never picks a type that rejects one of the column's values ------

offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(timezones=st.none() | st.just(UTC) | offsets)
TEXT_KINDS = [
    st.sampled_from(["true", "false", "yes", "no", "TRUE", "No", "y", "1", "0", " yes"]),
    st.integers(-(2**33), 2**33).map(str),
    st.integers(0, 9999).map(lambda n: f"{n:05d}"),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats().map(repr),
    st.dates().map(date.isoformat),
    st.tuples(instants, st.sampled_from("T ")).map(lambda p: p[0].isoformat(sep=p[1])),
    st.emails(),
    st.from_regex(r"(?i:https?)://[a-z0-9.]{1,12}(/\S{0,20})?", fullmatch=True),
    st.text(max_size=140),
]
TYPED_KINDS = [
    st.booleans(),
    st.integers(-(2**40), 2**40).map(float),
    st.floats(),
    st.dates(),
    instants.map(lambda d: d.replace(tzinfo=None)),
    st.text(max_size=30),
]


def columns(kinds: list[st.SearchStrategy[Any]]) -> st.SearchStrategy[list[Any]]:
    """Columns of one kind of value (with blanks), and columns mixing kinds."""
    single = st.sampled_from(kinds).flatmap(lambda k: st.lists(k | st.just(""), max_size=12))
    mixed = st.lists(st.one_of(*kinds), max_size=12)
    return single | mixed


def assert_accepts_own_values(values: list[Any]) -> None:
    field = profile_values("Column", values).field("Column")
    Entity(name="Check", fields=(field,))  # a valid field of a custom entity
    to_param = SQLiteDialect().param_converter(field.storage)
    for value in values:
        stored = canonical(NO_MODEL, field, cell_value(field, value))
        if stored is not None and to_param is not None:
            to_param(stored)  # e.g. SQLite keeps at most 15 significant digits


@settings(max_examples=300, deadline=None)
@given(columns(TEXT_KINDS))
def test_inferred_type_accepts_every_csv_value(values: list[str]) -> None:
    assert_accepts_own_values(values)


@settings(max_examples=300, deadline=None)
@given(columns(TYPED_KINDS))
def test_inferred_type_accepts_every_workbook_value(values: list[Any]) -> None:
    assert_accepts_own_values(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=12))
def test_whole_numbers_within_32_bits_are_integers(numbers: list[int]) -> None:
    field: Field = profile_values("C", [str(n) for n in numbers]).field("C")
    leading_zero = any(str(n).lstrip("-").startswith("0") and n != 0 for n in numbers)
    assert field.type is (T.TEXT if leading_zero else T.INTEGER)
