"""The whole-column format check of the text fast path agrees with the per-value patterns."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commonground.model.values import EMAIL_PATTERN, PHONE_PATTERN, URL_PATTERN
from commonground.service.codec import _all_match, _column_pattern

# Characters that matter to the three patterns: separators, whitespace, newlines, markers.
ALPHABET = "ab1+-() @.:/#x\n\t"
values = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=8), max_size=12)


@pytest.mark.parametrize("pattern", [EMAIL_PATTERN, URL_PATTERN, PHONE_PATTERN])
@given(texts=values)
def test_whole_column_check_never_accepts_a_value_the_pattern_rejects(
    pattern: re.Pattern[str], texts: list[str]
) -> None:
    whole = _all_match(_column_pattern(pattern), texts)
    each = all(pattern.match(t) for t in texts)
    if whole:
        assert each
    if not any("\n" in t for t in texts):
        assert whole == each  # without newlines in values the two checks are the same


def test_a_value_with_a_newline_goes_to_the_per_value_check() -> None:
    column = _column_pattern(EMAIL_PATTERN)
    assert _all_match(column, ["a@b", "c@d"])
    assert not _all_match(column, ["a@b\nc@d"])  # one value, two addresses: not valid
    assert not EMAIL_PATTERN.match("a@b\nc@d")
    assert _all_match(column, [])
