"""Dry runs: what a batch would insert and update, with the field-level differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commonground.integration.contracts import Connector
from commonground.integration.engine.state import key_text


def preview_batch(
    destination: Connector,
    entity: str,
    key: Sequence[str],
    records: Sequence[dict[str, Any]],
    organization: str | None,
) -> list[dict[str, Any]]:
    """One entry per record that would change: insert, or update with {field: [old, new]}."""
    if not records:
        return []
    values = [tuple(r.get(k) for k in key) for r in records]
    references = destination.resolve(entity, key, values, organization)
    fields = sorted({f for r in records for f in r})
    existing = (
        destination.fetch(entity, list(set(references.values())), fields) if references else {}
    )
    changes: list[dict[str, Any]] = []
    for record, value in zip(records, values, strict=True):
        reference = references.get(value)
        current = existing.get(reference) if reference is not None else None
        if current is None:
            changes.append(
                {
                    "action": "insert",
                    "record": key_text(record, key),
                    "differences": {f: [None, v] for f, v in record.items() if v is not None},
                }
            )
            continue
        differences = {
            f: [current.get(f), v] for f, v in record.items() if not _same(current.get(f), v)
        }
        if differences:
            changes.append(
                {"action": "update", "record": key_text(record, key), "differences": differences}
            )
    return changes


def _same(old: Any, new: Any) -> bool:
    """Equal, or equal as text when the two sides carry different types (5 and "5")."""
    if old == new:
        return True
    if old is None or new is None or type(old) is type(new):
        return False
    return str(old) == str(new)
