"""Turn CDM and model.json names into names our metadata accepts.

CDM names are camelCase (`primaryContact`), model.json names may hold spaces or punctuation
(`Order Date`), and option-set display texts are free text (`Net 30 days`). Our entity names are
PascalCase letters and digits, our field names letters, digits and `_` starting with a letter,
both at most 64 characters. The functions here are total (any string in, a valid name out) and
idempotent, so a name that is already valid only gets its first letter capitalised: importing the
same definitions twice yields the same names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

MAX_NAME = 64

_FIELD_WORD = re.compile(r"[A-Za-z0-9_]+")
_ENTITY_WORD = re.compile(r"[A-Za-z0-9]+")


def _ascii(text: str) -> str:
    """Drop accents (`é` -> `e`) and every character that has no ASCII form."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _join(words: list[str]) -> str:
    """Join words, capitalising the first letter of each: `order date` -> `OrderDate`."""
    return "".join(word[:1].upper() + word[1:] for word in words)


def field_name(text: str, prefix: str = "Field") -> str:
    """A valid field name for any text; `prefix` is put first when the text starts with no letter.

    Word separators (spaces, dots, dashes) are dropped and the next word capitalised;
    underscores are kept, because CDM resolved names such as `statusCode_display` use them.
    """
    name = _join(_FIELD_WORD.findall(_ascii(text)))
    if not name[:1].isalpha():
        name = prefix + name
    return name[:MAX_NAME]


def entity_name(text: str) -> str:
    """A valid PascalCase entity name for any text (underscores count as word separators)."""
    name = _join(_ENTITY_WORD.findall(_ascii(text)))
    if not name[:1].isalpha():
        name = "Entity" + name
    return name[:MAX_NAME]


def unique_name(name: str, taken: Collection[str]) -> str:
    """`name`, or `name` with the smallest suffix 2, 3, ... that no name in `taken` uses.

    `taken` holds lower-cased names: our names are unique case-insensitively.
    """
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = with_suffix(name, number)
    return candidate


def with_suffix(name: str, number: int) -> str:
    """`name` followed by `number` (after `_` if the name ends in a digit: `Address1_2`),
    shortened first if needed to stay within 64 characters."""
    suffix = f"_{number}" if name[-1:].isdigit() else str(number)
    return name[: MAX_NAME - len(suffix)] + suffix
