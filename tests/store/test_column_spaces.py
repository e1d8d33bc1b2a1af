"""The whole-column format checks spell whitespace as a set of characters (codec.SPACES):
the set must be exactly Python's \\s, and the checks must agree with the per-value patterns
on every kind of whitespace."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.model.values import EMAIL_PATTERN, PHONE_PATTERN, URL_PATTERN
from commonground.service.codec import SPACES, _all_match, _column_pattern

PYTHON_SPACES = "".join(
    chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c)) is not None
)


def test_spaces_is_exactly_pythons_whitespace() -> None:
    spelled = re.compile(f"[{SPACES}]")
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if spelled.fullmatch(c)) == (
        PYTHON_SPACES
    )


values = st.lists(
    st.text(alphabet="ab1+-(): @./#x" + PYTHON_SPACES.replace("\n", ""), min_size=1, max_size=8),
    max_size=12,
)


@pytest.mark.parametrize("pattern", [EMAIL_PATTERN, URL_PATTERN, PHONE_PATTERN])
@given(texts=values)
def test_whole_column_checks_agree_with_the_patterns_on_any_whitespace(
    pattern: re.Pattern[str], texts: list[str]
) -> None:
    assert _all_match(_column_pattern(pattern), texts) == all(pattern.match(t) for t in texts)
