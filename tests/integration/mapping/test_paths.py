"""Field references: plain, `lookup.keyfield`, polymorphic; round trips and error positions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.errors import DefinitionError
from commonground.integration.mapping.paths import FieldPath, PathError, Target, parse_path

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
targets = st.builds(Target, names, st.lists(names, min_size=1, max_size=3).map(tuple))
paths = st.one_of(
    st.builds(FieldPath, names),
    st.builds(lambda f, k: FieldPath(f, key=(k,)), names, names),
    st.builds(
        lambda f, t: FieldPath(f, targets=tuple(t)),
        names,
        st.lists(targets, min_size=1, max_size=3),
    ),
)


def test_plain_field() -> None:
    assert parse_path("accountnumber") == FieldPath("accountnumber")
    assert not parse_path("accountnumber").is_lookup


def test_lookup_key() -> None:
    path = parse_path("transactioncurrencyid.isocurrencycode")
    assert path == FieldPath("transactioncurrencyid", key=("isocurrencycode",))
    assert path.is_lookup


def test_polymorphic_lookup_from_the_templates() -> None:
    path = parse_path("customerid.Account(accountnumber).Contact(msdynce_contactnumber)")
    assert path.field == "customerid"
    assert path.targets == (
        Target("Account", ("accountnumber",)),
        Target("Contact", ("msdynce_contactnumber",)),
    )


def test_composite_key_and_spaces() -> None:
    path = parse_path(" salesline . SalesLine( order , line ) ")
    assert path.targets == (Target("SalesLine", ("order", "line")),)
    assert str(path) == "salesline.SalesLine(order,line)"


@given(paths)
def test_round_trip(path: FieldPath) -> None:
    assert parse_path(str(path)) == path


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("", 0, "a field name"),
        (".key", 0, "a field name"),
        ("lookup.", 7, "a key field or a target entity"),
        ("lookup.Account(", 15, "a key field of Account"),
        ("lookup.Account(key", 18, "')' closing the key of Account"),
        ("lookup.Account(key)Contact(x)", 19, "'.' before the next target entity"),
        ("lookup.key.other", 10, "'(' and the key field(s) of key"),
        ("lookup.Account(a,)", 17, "a key field of Account after ','"),
        ("a(b)", 1, "'.' or the end"),
    ],
)
def test_errors_name_text_and_position(text: str, position: int, expected: str) -> None:
    with pytest.raises(PathError) as info:
        parse_path(text)
    assert info.value.position == position
    assert info.value.text == text
    assert expected in str(info.value)
    assert f"'{text}'" in str(info.value)
    assert isinstance(info.value, DefinitionError)


@given(st.text(alphabet="ab.(), ", max_size=15))
def test_any_text_parses_or_raises_path_error(text: str) -> None:
    position: int | None = None
    try:
        path = parse_path(text)
    except PathError as exc:
        position = exc.position
    if position is None:
        assert parse_path(str(path)) == path
    else:
        assert 0 <= position <= len(text)
