"""OData literal text to Python values, and enum literals to picklist item names.

The store coerces a literal to the type of the field it is compared with, so these values
only need to be exact, not typed for a column: numbers stay `int` or `Decimal` (never a lossy
float), date-times are aware, and an enum literal becomes the item's name, which the store
maps to the stored number like any other item name.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from commonground.model.datamodel import DataModel
from commonground.odata.errors import ODataQueryError
from commonground.odata.naming import NAMESPACE

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# OData doubles reach 1.8e308; anything beyond cannot be stored or compared by either database.
MAX_EXPONENT = 308

GUID_PATTERN = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)
DATE_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
# A space before the offset is a '+' that an unencoded URL turned into a space.
TIME_PATTERN = re.compile(
    r"[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?([Zz]|[+\- ]\d{2}:\d{2})?", re.ASCII
)
NUMBER_PATTERN = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?([mMdDfFlL])?", re.ASCII)
SURROGATE = re.compile("[\ud800-\udfff]")
STRING_UNSUPPORTED = frozenset({"duration", "binary", "geography", "geometry", "datetime"})


def number_value(text: str, position: int, option: str) -> int | Decimal:
    """An integer literal as `int` (a `Decimal` beyond Int64), anything else as `Decimal`."""
    body = text.rstrip("mMdDfFlL")
    digits = body.lstrip("-")
    # More than 19 digits cannot be an Int64 (and int() refuses very long digit strings).
    is_integer = digits.isdigit() and len(digits) <= 19
    if is_integer and text[-1:] not in ("m", "M", "d", "D", "f", "F"):
        number = int(body)
        if INT64_MIN <= number <= INT64_MAX:
            return number
    value = Decimal(body)
    if abs(value.adjusted()) > MAX_EXPONENT and value != 0:
        raise ODataQueryError(f"number {text} is out of range", position, option=option)
    return value


def date_value(match: re.Match[str], position: int, option: str) -> date:
    """A calendar date from `YYYY-MM-DD`."""
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ODataQueryError(
            f"'{match.group(0)}' is not a valid date", position, option=option
        ) from None


def datetime_value(
    day: date, time: re.Match[str], text: str, position: int, option: str
) -> datetime:
    """An aware date-time; no offset means UTC, as the store assumes for naive values."""
    hour, minute, second, fraction, zone = time.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            day.year, day.month, day.day, int(hour), int(minute), int(second or 0), micro
        )
        return moment.replace(tzinfo=_zone(zone))
    except ValueError:
        raise ODataQueryError(
            f"'{text}' is not a valid date-time", position, option=option
        ) from None


def _zone(zone: str | None) -> timezone:
    if zone is None or zone in ("Z", "z"):
        return UTC
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def guid_value(text: str) -> uuid.UUID:
    """A GUID from its 8-4-4-4-12 hex form (the pattern has been matched already)."""
    return uuid.UUID(text)


def string_value(text: str, start: int, option: str) -> tuple[str, int]:
    """The value of the quoted string starting at `text[start]` and the index after it.

    A quote inside the string is written twice (`'O''Neil'`), as in the OData ABNF.
    """
    pieces: list[str] = []
    index = start + 1
    while True:
        end = text.find("'", index)
        if end < 0:
            raise ODataQueryError("unterminated string (a quote is missing)", start, option=option)
        pieces.append(text[index:end])
        if text.startswith("''", end):
            pieces.append("'")
            index = end + 2
            continue
        value = "".join(pieces)
        if "\x00" in value:  # PostgreSQL text cannot hold it, so no record can match
            raise ODataQueryError("a string cannot contain the NUL character", start, option=option)
        if SURROGATE.search(value):  # not text at all: no database driver can encode it
            raise ODataQueryError("a string cannot contain lone surrogates", start, option=option)
        return value, end + 1


def quote_string(value: str) -> str:
    """The OData literal for a string: quoted, with quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def enum_value(model: DataModel, type_name: str, member: str, position: int, option: str) -> str:
    """The item name an enum literal (`AccountStatus'Active'`, maybe qualified) stands for.

    The member may be the item's name or its number; either way the item's own name is
    returned, so the store sees the same value as for a plain item-name string.
    """
    namespace, _, name = type_name.rpartition(".")
    if name.lower() in STRING_UNSUPPORTED and not namespace:
        raise ODataQueryError(f"{name} literals are not supported", position, option=option)
    if namespace and namespace.lower() != NAMESPACE.lower():
        raise ODataQueryError(
            f"unknown namespace '{namespace}' in enum literal (use {NAMESPACE})",
            position,
            option=option,
        )
    if not model.has_picklist(name):
        raise ODataQueryError(f"unknown enum type '{type_name}'", position, option=option)
    picklist = model.picklist(name)
    text = member.strip()
    value = picklist.value_of(text)
    if value is None and re.fullmatch(r"-?[0-9]{1,18}", text):
        value = int(text)
    item = picklist.name_of(value) if value is not None else None
    if item is None:
        raise ODataQueryError(
            f"'{member}' is not an item of {picklist.name}", position, option=option
        )
    return item
