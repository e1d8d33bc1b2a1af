"""The lexer: token kinds, literal values and the positions of lexical errors."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from commonground.errors import TerminalError
from commonground.odata.errors import ODataQueryError
from commonground.odata.lexer import Kind, TokenStream, tokenize


def kinds(text: str) -> list[Kind]:
    return [t.kind for t in tokenize(text, "$filter")][:-1]


def value(text: str) -> object:
    tokens = tokenize(text, "$filter")
    assert len(tokens) == 2, tokens
    return tokens[0].value


def test_a_filter_splits_into_tokens_with_positions():
    tokens = tokenize("Name eq 'x' and (A/B gt -5)", "$filter")
    assert [(t.kind, t.text, t.pos) for t in tokens] == [
        (Kind.NAME, "Name", 0),
        (Kind.NAME, "eq", 5),
        (Kind.STRING, "'x'", 8),
        (Kind.NAME, "and", 12),
        (Kind.OPEN, "(", 16),
        (Kind.NAME, "A", 17),
        (Kind.SLASH, "/", 18),
        (Kind.NAME, "B", 19),
        (Kind.NAME, "gt", 21),
        (Kind.NUMBER, "-5", 24),
        (Kind.CLOSE, ")", 26),
        (Kind.END, "", 27),
    ]


def test_punctuation_of_expand_apply_and_keys():
    assert kinds("A($select=B;$top=1),C/any(x: *)") == [
        Kind.NAME,
        Kind.OPEN,
        Kind.NAME,
        Kind.EQUALS,
        Kind.NAME,
        Kind.SEMI,
        Kind.NAME,
        Kind.EQUALS,
        Kind.NUMBER,
        Kind.CLOSE,
        Kind.COMMA,
        Kind.NAME,
        Kind.SLASH,
        Kind.NAME,
        Kind.OPEN,
        Kind.NAME,
        Kind.COLON,
        Kind.STAR,
        Kind.CLOSE,
    ]
    assert kinds("- x @p1 $count") == [Kind.MINUS, Kind.NAME, Kind.ALIAS, Kind.NAME]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("42L", 42),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", Decimal("9223372036854775808")),
        ("1.5", Decimal("1.5")),
        ("1.5M", Decimal("1.5")),
        ("1.5m", Decimal("1.5")),
        ("-0.25", Decimal("-0.25")),
        ("2e3", Decimal("2000")),
        ("2E-3", Decimal("0.002")),
        ("1.5d", Decimal("1.5")),
        ("3f", Decimal("3")),
        ("1" * 5000 + ".0", None),  # only checks that it does not crash: see below
    ],
)
def test_numbers(text, expected):
    if expected is None:
        with pytest.raises(ODataQueryError, match="out of range"):
            tokenize(text, "$filter")
        return
    got = value(text)
    assert got == expected
    assert type(got) is type(expected)


def test_integers_are_int_and_other_numbers_are_decimal_never_float():
    assert isinstance(value("12"), int)
    for text in ("1.0", "1e0", "1M", "1d"):
        assert isinstance(value(text), Decimal)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("''", ""),
        ("'abc'", "abc"),
        ("'O''Neil'", "O'Neil"),
        ("''''", "'"),
        ("'a b  c'", "a b  c"),
        ("'eq and ( ) / , '", "eq and ( ) / , "),
        ("'naïve ☃'", "naïve ☃"),
    ],
)
def test_strings_with_doubled_quotes(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", date(2024, 1, 31)),
        ("2024-01-31T10:00:00Z", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("2024-01-31T10:00Z", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("2024-01-31T10:00:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        (
            "2024-01-31T10:00:00.123456789+02:00",
            datetime(2024, 1, 31, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2024-01-31T10:00:00-05:30",
            datetime(2024, 1, 31, 10, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        # An unencoded '+' in a URL arrives as a space.
        (
            "2024-01-31T10:00:00 02:00",
            datetime(2024, 1, 31, 10, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_dates_and_aware_date_times(text, expected):
    got = value(text)
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(got, datetime):
        assert got.tzinfo is not None
        assert got.utcoffset() == expected.utcoffset()


def test_guids_whether_they_start_with_a_digit_or_a_letter():
    for text in ("01234567-89ab-cdef-0123-456789abcdef", "DEADBEEF-dead-beef-dead-beefdeadbeef"):
        assert value(text) == uuid.UUID(text)
    assert kinds("deadbeef") == [Kind.NAME]


def test_enum_literals_keep_type_and_member():
    assert value("AccountStatus'Active'") == ("AccountStatus", "Active")
    assert value("CommonGround.AccountStatus'In''active'") == (
        "CommonGround.AccountStatus",
        "In'active",
    )
    # A space makes it a name followed by a string.
    assert kinds("AccountStatus 'Active'") == [Kind.NAME, Kind.STRING]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("Name eq 'abc", "unterminated string", 8),
        ("Name eq 'it''s", "unterminated string", 8),
        ("Name eq 12abc", "'12abc' is not a valid number", 8),
        ("Name eq 1.2.3", "not a valid number", 8),
        ("Name eq 2024-02-30", "'2024-02-30' is not a valid date", 8),
        ("Name eq 2024-01-31T25:00:00Z", "not a valid date-time", 8),
        ("Name eq 2024-01-31T10:00:00+24:00", "not a valid date-time", 8),
        ("Name eq 2024-01-31Tx", "not a valid date or date-time", 8),
        ("Name eq 1e400", "out of range", 8),
        ("Name € 1", "unexpected character '€'", 5),
        ("Name eq #", "unexpected character '#'", 8),
        ("Name eq @", "unexpected character '@'", 8),
    ],
)
def test_lexical_errors_name_the_problem_and_position(text, message, position):
    with pytest.raises(ODataQueryError, match=message) as caught:
        tokenize(text, "$filter")
    assert caught.value.position == position
    assert str(caught.value).startswith("$filter: ")
    assert str(caught.value).endswith(f" at position {position}")


def test_the_error_is_terminal_with_the_invalid_query_code():
    error = ODataQueryError("expected ')'", 17, option="$filter")
    assert isinstance(error, TerminalError)
    assert error.code == "InvalidQuery"
    assert str(error) == "$filter: expected ')' at position 17"
    assert (error.option, error.position, error.detail) == ("$filter", 17, "expected ')'")
    assert str(ODataQueryError("bad", option="$top")) == "$top: bad"


def test_stream_expectations_report_what_was_found():
    stream = TokenStream.of("a b", "$select")
    assert stream.expect(Kind.NAME).text == "a"
    with pytest.raises(ODataQueryError, match=r"expected ',' but found 'b' at position 2"):
        stream.expect(Kind.COMMA)
    stream.advance()
    assert stream.advance().kind is Kind.END  # END repeats at the end
    with pytest.raises(ODataQueryError, match="found end of text at position 3"):
        stream.expect(Kind.NAME)
