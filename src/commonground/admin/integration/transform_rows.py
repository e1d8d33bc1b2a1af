"""The transform editor's rows: the common transforms as form fields instead of JSON.

The original's "Edit transform" dialog showed a value map as editable "source : destination"
rows beside a Show JSON toggle (data-integrator.md section 12). Here a chain of ValueMap,
Default and Truncate (each at most once) shows as rows: value-map pairs, the blank-key row
(the value for a blank source, and for a value missing from the map), a default value and a
truncation length. The rows post back into the same JSON chain, in the chain's own order
(new transforms go after, in the order ValueMap, Default, Truncate), and that chain is checked
like a typed one. "Add a row" is a submit button, so no script is needed. A chain with other
transforms, or one twice, is left to the JSON box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from commonground.errors import DefinitionError

COVERED = ("ValueMap", "Default", "Truncate")
NEW_ROWS = 1  # empty value-map rows offered beyond the filled ones


@dataclass(frozen=True)
class Rows:
    """A transform chain as the row editor shows it."""

    pairs: list[tuple[str, str]] = field(default_factory=list)  # value map, blank key aside
    blank: str | None = None  # the blank key's value
    default: str | None = None
    truncate: bool = False
    length: str = ""  # empty: the destination's length
    order: list[str] = field(default_factory=list)  # the chain's transform types, in order
    values: dict[str, Any] = field(default_factory=dict)  # shown text -> typed value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def uncovered(chain: list[dict[str, Any]] | None) -> str | None:
    """Why the row editor cannot show this chain (None when it can)."""
    kinds = [str(item.get("transformType")) for item in chain or []]
    others = sorted({k for k in kinds if k not in COVERED})
    if others:
        return f"it has {', '.join(others)}"
    twice = sorted({k for k in kinds if kinds.count(k) > 1})
    if twice:
        return f"it has {', '.join(twice)} more than once"
    return None


def rows_of(chain: list[dict[str, Any]] | None) -> Rows:
    """The rows of a chain the row editor covers (see `uncovered`)."""
    pairs: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    blank = default = None
    truncate, length = False, ""
    for item in chain or []:
        kind = item.get("transformType")
        if kind == "ValueMap":
            for key, value in (item.get("valueMap") or {}).items():
                values[_text(value)] = value
                if str(key).strip():
                    pairs.append((str(key), _text(value)))
                else:
                    blank = _text(value)
        elif kind == "Default":
            default = _text(item.get("defaultValue"))
            values[default] = item.get("defaultValue")
        elif kind == "Truncate":
            truncate, length = True, _text(item.get("length"))
    order = [str(item.get("transformType")) for item in chain or []]
    return Rows(pairs, blank, default, truncate, length, order, values)


def posted_rows(form: dict[str, str], current: Rows) -> Rows:
    """The rows as posted (value-map rows with an empty source value are dropped)."""
    count = int(form["map.count"]) if form.get("map.count", "").isdigit() else 0
    pairs = []
    for n in range(count):
        key = form.get(f"map.key.{n}", "").strip()
        value = form.get(f"map.value.{n}", "")
        if key:
            pairs.append((key, value))
        elif value.strip():
            raise DefinitionError(
                f"value map row {n + 1}: a source value is required (the blank-source row "
                "is the one below the others)"
            )
    blank = form.get("map.blank", "")
    return Rows(
        pairs,
        blank if blank.strip() else None,
        form.get("default.value", "") if form.get("default.on") else None,
        bool(form.get("truncate.on")),
        form.get("truncate.length", "").strip(),
        current.order,
        current.values,
    )


def chain_of(rows: Rows) -> list[dict[str, Any]]:
    """The JSON chain the rows stand for (kept values keep their JSON type)."""

    def typed(text: str) -> Any:
        return rows.values.get(text, text)

    items: dict[str, dict[str, Any]] = {}
    if rows.pairs or rows.blank is not None:
        value_map = {key: typed(value) for key, value in rows.pairs}
        if rows.blank is not None:
            value_map[""] = typed(rows.blank)
        items["ValueMap"] = {"transformType": "ValueMap", "valueMap": value_map}
    if rows.default is not None:
        items["Default"] = {"transformType": "Default", "defaultValue": typed(rows.default)}
    if rows.truncate:
        truncate: dict[str, Any] = {"transformType": "Truncate"}
        if rows.length:
            if not rows.length.isdigit():
                raise DefinitionError("transform: Truncate length must be a positive integer")
            truncate["length"] = int(rows.length)
        items["Truncate"] = truncate
    order = [k for k in rows.order if k in items] + [k for k in COVERED if k not in rows.order]
    return [items[k] for k in order if k in items]
