"""Finding records of an entity set by key values, a chunk of values per query.

A one-field key is matched with `in`, a composite one with an `or` of `and`s; the
case-insensitive variant compares `tolower(field)` with the lower-cased text. Values go in
chunks so that a URL stays well under the limits servers and proxies put on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from commonground.integration.connectors.odata.http import ODataHttp
from commonground.sdk.odata_text import literal_text

CHUNK = 50  # key tuples per query

Row = dict[str, Any]


def key_filter(fields: Sequence[str], values: Sequence[tuple[Any, ...]], insensitive: bool) -> str:
    """The `$filter` that selects the records whose fields hold one of the tuples."""
    if len(fields) == 1 and not insensitive:
        return f"{fields[0]} in ({','.join(literal_text(v[0]) for v in values)})"
    return " or ".join(
        "(" + " and ".join(_equal(f, x, insensitive) for f, x in zip(fields, v, strict=True)) + ")"
        for v in values
    )


def _equal(name: str, value: Any, insensitive: bool) -> str:
    if insensitive and isinstance(value, str):
        return f"tolower({name}) eq {literal_text(value.lower())}"
    return f"{name} eq {literal_text(value)}"


def rows_by_key(
    http: ODataHttp,
    entity_set: str,
    fields: Sequence[str],
    values: Sequence[tuple[Any, ...]],
    params: dict[str, str],
    insensitive: bool = False,
) -> Iterator[Row]:
    """Every row whose `fields` hold one of the tuples (all pages), with `params` applied."""
    unique = [v for v in dict.fromkeys(values) if None not in v]
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        url: str | None = entity_set
        query: dict[str, str] | None = {**params, "$filter": key_filter(fields, chunk, insensitive)}
        while url is not None:
            body = http.get_json(url, query)
            query = None
            value = body.get("value")
            yield from (r for r in value if isinstance(r, dict)) if isinstance(value, list) else ()
            url = body.get("@odata.nextLink")
