"""Tokens of OData query option text, shared by every option and by key predicates.

`$filter`, `$orderby`, `$select`, `$expand` (with its nested `;`-separated options), `$apply`
and key predicates all use one token language, so one lexer serves them all. Nested options
are parsed on the same token stream as their `$expand`, which keeps every reported position
an offset into the text the client sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from commonground.odata import literals
from commonground.odata.errors import ODataQueryError

NAME_PATTERN = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
ALIAS_PATTERN = re.compile(r"@[A-Za-z_][A-Za-z0-9_]*")
DIGITS = frozenset("0123456789")
WORD_CHAR = re.compile(r"[A-Za-z0-9_.\-]")
PUNCTUATION = {"(": "OPEN", ")": "CLOSE", ",": "COMMA", "/": "SLASH", ":": "COLON"}
PUNCTUATION |= {";": "SEMI", "=": "EQUALS", "*": "STAR", "-": "MINUS"}


class Kind(StrEnum):
    """What a token is; the value is how error messages name it."""

    NAME = "a name"
    STRING = "a string"
    NUMBER = "a number"
    DATE = "a date"
    DATETIME = "a date-time"
    GUID = "a GUID"
    ENUM = "an enum literal"
    ALIAS = "a parameter alias"
    OPEN = "'('"
    CLOSE = "')'"
    COMMA = "','"
    SLASH = "'/'"
    COLON = "':'"
    SEMI = "';'"
    EQUALS = "'='"
    STAR = "'*'"
    MINUS = "'-'"
    END = "end of text"


LITERAL_KINDS = frozenset(
    {Kind.STRING, Kind.NUMBER, Kind.DATE, Kind.DATETIME, Kind.GUID, Kind.ENUM}
)


@dataclass(frozen=True)
class Token:
    """One token: its kind, source text, 0-based position and (for literals) its value."""

    kind: Kind
    text: str
    pos: int
    value: Any = None

    def is_word(self, *words: str) -> bool:
        """True for a NAME token spelling one of `words` (case-insensitive, as OData 4.01)."""
        return self.kind is Kind.NAME and self.text.lower() in words

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is Kind.END:
            return "end of text"
        shown = self.text if len(self.text) <= 30 else self.text[:27] + "..."
        return shown if self.kind in (Kind.STRING, Kind.ENUM) else f"'{shown}'"


def tokenize(text: str, option: str) -> list[Token]:
    """The tokens of `text`, ending with an END token; ODataQueryError on a bad character."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
            continue
        token = _next_token(text, index, option)
        tokens.append(token)
        index = token.pos + len(token.text)
    tokens.append(Token(Kind.END, "", len(text)))
    return tokens


def _next_token(text: str, index: int, option: str) -> Token:
    char = text[index]
    if char == "'":
        value, end = literals.string_value(text, index, option)
        return Token(Kind.STRING, text[index:end], index, value)
    if char == "-" and text[index + 1 : index + 2] in DIGITS:
        return _number(text, index, option)
    if char in PUNCTUATION:
        return Token(Kind[PUNCTUATION[char]], char, index)
    guid = literals.GUID_PATTERN.match(text, index)
    if guid and not _word_follows(text, guid.end()):
        return Token(Kind.GUID, guid.group(0), index, literals.guid_value(guid.group(0)))
    if char in DIGITS:
        return _temporal(text, index, option) or _number(text, index, option)
    if char == "@":
        alias = ALIAS_PATTERN.match(text, index)
        if alias:
            return Token(Kind.ALIAS, alias.group(0), index)
    name = NAME_PATTERN.match(text, index)
    if name:
        return _name(text, name, option)
    raise ODataQueryError(f"unexpected character '{char}'", index, option=option)


def _word_follows(text: str, end: int) -> bool:
    return end < len(text) and WORD_CHAR.match(text, end) is not None


def _number(text: str, index: int, option: str) -> Token:
    match = literals.NUMBER_PATTERN.match(text, index)
    assert match is not None  # called at a digit, or at '-' before a digit
    if _word_follows(text, match.end()):
        end = match.end()
        while end < len(text) and WORD_CHAR.match(text, end):
            end += 1
        raise ODataQueryError(f"'{text[index:end]}' is not a valid number", index, option=option)
    value = literals.number_value(match.group(0), index, option)
    return Token(Kind.NUMBER, match.group(0), index, value)


def _temporal(text: str, index: int, option: str) -> Token | None:
    """A date or date-time literal at `index`, or None when the text is not one."""
    day_match = literals.DATE_PATTERN.match(text, index)
    if day_match is None:
        return None
    day = literals.date_value(day_match, index, option)
    time = literals.TIME_PATTERN.match(text, day_match.end())
    if time is not None and not _word_follows(text, time.end()):
        source = text[index : time.end()]
        moment = literals.datetime_value(day, time, source, index, option)
        return Token(Kind.DATETIME, source, index, moment)
    if _word_follows(text, day_match.end()):
        end = day_match.end()
        raise ODataQueryError(
            f"'{text[index : end + 1]}...' is not a valid date or date-time", index, option=option
        )
    return Token(Kind.DATE, day_match.group(0), index, day)


def _name(text: str, match: re.Match[str], option: str) -> Token:
    """A name, or an enum literal when a quoted string follows it at once."""
    start, end = match.start(), match.end()
    if text.startswith("'", end) and not match.group(0).startswith("$"):
        member, after = literals.string_value(text, end, option)
        return Token(Kind.ENUM, text[start:after], start, (match.group(0), member))
    return Token(Kind.NAME, match.group(0), start)


class TokenStream:
    """A cursor over tokens with the look-ahead and expectations the parsers need."""

    def __init__(self, tokens: Sequence[Token], option: str) -> None:
        self.tokens = tokens
        self.option = option
        self.index = 0

    @classmethod
    def of(cls, text: str, option: str) -> TokenStream:
        """A stream over the tokens of `text`."""
        return cls(tokenize(text, option), option)

    def peek(self, ahead: int = 0) -> Token:
        """The token `ahead` places after the current one (END past the end)."""
        at = self.index + ahead
        tokens = self.tokens
        return tokens[at] if at < len(tokens) else tokens[-1]  # the parsers' innermost call

    def advance(self) -> Token:
        """The current token; the cursor moves past it."""
        token = self.tokens[self.index]  # never past END, which advancing does not pass
        if token.kind is not Kind.END:
            self.index += 1
        return token

    def accept(self, kind: Kind) -> Token | None:
        """The current token if it is of `kind` (and move past it), else None."""
        return self.advance() if self.peek().kind is kind else None

    def accept_word(self, *words: str) -> Token | None:
        """The current token if it is one of these words (and move past it), else None."""
        return self.advance() if self.peek().is_word(*words) else None

    def expect(self, kind: Kind, what: str | None = None) -> Token:
        """The current token, which must be of `kind`; ODataQueryError otherwise."""
        if self.peek().kind is not kind:
            raise self.error(f"expected {what or kind.value}")
        return self.advance()

    def expect_end(self, what: str = "end of text") -> None:
        """Fail unless every token has been used."""
        if self.peek().kind is not Kind.END:
            raise self.error(f"expected {what}")

    def error(self, expected: str, token: Token | None = None) -> ODataQueryError:
        """'expected X but found Y' at the current (or given) token."""
        at = token or self.peek()
        return ODataQueryError(f"{expected} but found {at.describe()}", at.pos, option=self.option)

    def fail(self, message: str, position: int) -> ODataQueryError:
        """An error with a message of its own at a position."""
        return ODataQueryError(message, position, option=self.option)
