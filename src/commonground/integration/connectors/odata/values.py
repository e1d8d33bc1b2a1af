"""Values across the wire: JSON bodies and URL literals out, typed plain values in.

Decimals and 64-bit integers travel as strings under `IEEE754Compatible=true`, both ways (the
OData way to keep every digit, which a JSON number parsed as a double would lose); instants
go as ISO 8601 in UTC.
Incoming values are typed by the property's kind with the same conversion the files
connector uses (`files.columns.Column`), so both connectors hand the engine identical values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

from commonground.sdk.odata_text import literal_text

JSON_TYPE = "application/json;IEEE754Compatible=true"
URL_SAFE = "'=,()*:@$!;+"


def json_value(value: Any) -> Any:
    """A plain value as an OData JSON body carries it."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def key_segment(entity_set: str, fields: Sequence[str], values: Sequence[Any]) -> str:
    """The URL of one record by key: `Set(Key1='a',Key2=2)`, percent-encoded where needed."""
    text = ",".join(
        f"{name}={literal_text(value)}" for name, value in zip(fields, values, strict=True)
    )
    return f"{quote(entity_set, safe='')}({quote(text, safe=URL_SAFE)})"
