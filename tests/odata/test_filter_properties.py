"""Property tests: printed trees parse back to themselves; any text fails only cleanly."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.model.datamodel import DataModel
from commonground.model.yaml_loader import standard_model
from commonground.odata.apply import parse_apply
from commonground.odata.errors import ODataQueryError
from commonground.odata.filter_parser import parse_filter
from commonground.odata.keys import parse_key
from commonground.odata.lexer import Kind, tokenize
from commonground.odata.literals import quote_string
from commonground.odata.options import OPTIONS, parse_query_options
from commonground.query.expressions import Binary, Expr, Literal, Path
from tests.odata.printer import dump, flat, to_odata
from tests.odata.strategies import COLLECTIONS, TEXTS, TREES, VALUES

MODEL: DataModel = standard_model()
ACCOUNT = MODEL.entity("Account")

QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(TREES)
def test_fully_parenthesised_trees_parse_back_to_the_same_tree(tree: Expr) -> None:
    text = to_odata(tree, COLLECTIONS, full=True)
    assert dump(parse_filter(ACCOUNT, MODEL, text)) == dump(tree), text


@QUICK
@given(TREES)
def test_minimally_parenthesised_trees_parse_back_to_an_equivalent_tree(tree: Expr) -> None:
    text = to_odata(tree, COLLECTIONS)
    assert flat(parse_filter(ACCOUNT, MODEL, text)) == flat(tree), text


@QUICK
@given(TEXTS)
def test_string_literals_round_trip(value: str) -> None:
    tokens = tokenize(quote_string(value), "$filter")
    assert [t.kind for t in tokens] == [Kind.STRING, Kind.END]
    assert tokens[0].value == value
    parsed = parse_filter(ACCOUNT, MODEL, f"FullName eq {quote_string(value)}")
    assert dump(parsed) == dump(Binary("eq", Path(("FullName",)), Literal(value)))


@QUICK
@given(VALUES["number"])
def test_number_literals_round_trip(value: int | Decimal) -> None:
    text = str(value) if isinstance(value, int) else f"{value}M"
    assert tokenize(text, "$filter")[0].value == value


SOUP = st.sampled_from(
    [
        "FullName", "EmployeeCount", "PrimaryContact", "/", "Contacts", "any", "all", "(", ")",
        ",", ":", ";", "=", "*", "-", "c", "c/FullName", "eq", "and", "or", "not", "in", "add",
        "mul", "'x'", "''", "'", "1", "-1", "1.5", "2e3", "2024-01-31", "2024-01-31T10:00:00Z",
        "null", "true", "AccountStatus'Active'", "contains", "tolower", "substring", "now",
        "$select", "$filter", "$top", "$expand", "$count", "$it", "@p", "with", "as", "sum",
        "groupby", "aggregate", "filter", "MailingPostalAddress", "City", "asc", "desc", " ",
    ]
)  # fmt: skip
TEXT = st.one_of(st.text(), st.lists(SOUP, max_size=25).map(" ".join), st.lists(SOUP).map("".join))


def only_clean_errors(call: Any, *args: Any) -> None:
    """Run the parser; an ODataQueryError is a clean failure, anything else fails the test."""
    with contextlib.suppress(ODataQueryError):
        call(*args)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_any_filter_text_fails_only_with_an_odata_query_error(text: str) -> None:
    only_clean_errors(parse_filter, ACCOUNT, MODEL, text, {"@p": "1"})


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(OPTIONS), TEXT)
def test_any_option_text_fails_only_with_an_odata_query_error(option: str, text: str) -> None:
    only_clean_errors(parse_query_options, ACCOUNT, MODEL, {option: text, "@p": text})


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(["Account", "QuotationLine", "UnitOfMeasureConversion"]))
def test_any_key_or_apply_text_fails_only_with_an_odata_query_error(text: str, entity: str) -> None:
    only_clean_errors(parse_key, MODEL.entity(entity), MODEL, text)
    only_clean_errors(parse_key, MODEL.entity(entity), MODEL, f"({text})")
    only_clean_errors(parse_apply, MODEL.entity(entity), MODEL, text)


@pytest.mark.parametrize("option", OPTIONS)
def test_deeply_nested_text_in_every_option_fails_cleanly(option: str) -> None:
    for text in ("(" * 5000, "not " * 5000, "A(" * 2000, "Contacts($expand=" * 500):
        only_clean_errors(parse_query_options, ACCOUNT, MODEL, {option: text})
