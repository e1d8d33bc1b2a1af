"""Reading token requests: form bodies and HTTP Basic client credentials, edge cases included."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.security.token_requests import (
    TokenRequestError,
    parse_basic_credentials,
    parse_token_form,
)

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
NAMES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
)


@given(st.dictionaries(NAMES, TEXT, max_size=10))
def test_a_form_reads_back_what_was_encoded(form: dict[str, str]) -> None:
    body = urlencode(form).encode()
    assert parse_token_form(body) == {k: v for k, v in form.items() if v}


@given(NAMES, TEXT, TEXT)
def test_a_repeated_parameter_is_refused(name: str, first: str, second: str) -> None:
    body = urlencode([(name, first), (name, second)]).encode()
    with pytest.raises(TokenRequestError, match="more than once"):
        parse_token_form(body)


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_refused_cleanly(body: bytes) -> None:
    try:
        form = parse_token_form(body)
    except TokenRequestError:
        return
    assert all(isinstance(v, str) and v for v in form.values())


def test_bodies_that_are_not_utf8_or_hold_nul_are_refused() -> None:
    for body in (b"a=%FF", b"\xff=1", b"a=%00", b"grant_type=password&x\x00=1"):
        with pytest.raises(TokenRequestError):
            parse_token_form(body)


@given(TEXT, TEXT)
def test_basic_credentials_round_trip(client_id: str, secret: str) -> None:
    """RFC 6749 §2.3.1: both parts are form-urlencoded before base64, so colons survive."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    header = "Basic " + base64.b64encode(pair).decode()
    assert parse_basic_credentials(header) == (client_id, secret)


@given(st.text(max_size=80))
def test_any_basic_header_parses_or_is_refused_cleanly(encoded: str) -> None:
    try:
        parsed = parse_basic_credentials(f"Basic {encoded}")
    except TokenRequestError:
        return
    assert parsed is not None


def test_other_schemes_and_malformed_basic() -> None:
    assert parse_basic_credentials("") is None
    assert parse_basic_credentials("Bearer abc") is None
    assert parse_basic_credentials("basic " + base64.b64encode(b"id:s").decode()) == ("id", "s")
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no colon").decode()):
        with pytest.raises(TokenRequestError):
            parse_basic_credentials(header)
