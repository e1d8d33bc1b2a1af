"""Small pieces every connector needs the same way: row stamps and case-insensitive keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value else "NaN"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def fingerprint(record: dict[str, Any]) -> str:
    """A stamp of a whole record: equal for equal values, whatever the field order.

    Used as `Batch.stamps` / `WriteOutcome.stamps` by connectors without row versions.
    """
    data = orjson.dumps(
        {k.lower(): v for k, v in record.items()},
        default=_plain,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def folded(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key tuple with text case-folded, for case-insensitive matching."""
    return tuple(v.casefold() if isinstance(v, str) else v for v in values)


def resolve_in_two_passes(
    values: Sequence[tuple[Any, ...]],
    exact: Callable[[Sequence[tuple[Any, ...]]], dict[tuple[Any, ...], Any]],
    insensitive: Callable[[Sequence[tuple[Any, ...]]], dict[tuple[Any, ...], Any]],
) -> dict[tuple[Any, ...], Any]:
    """Resolve key values exactly, then the misses case-insensitively (Connector.resolve).

    `exact` maps stored key tuples to references for the given tuples; `insensitive` returns
    stored key tuples (any case) to references for the misses; results are keyed by the tuples
    the caller gave.
    """
    unique = list(dict.fromkeys(values))
    found = exact(unique)
    result = {v: found[v] for v in unique if v in found}
    misses = [v for v in unique if v not in result and any(isinstance(x, str) for x in v)]
    if misses:
        by_fold: dict[tuple[Any, ...], Any] = {}
        for stored, ref in insensitive(misses).items():
            by_fold.setdefault(folded(stored), ref)
        for v in misses:
            ref = by_fold.get(folded(v))
            if ref is not None:
                result[v] = ref
    return result
