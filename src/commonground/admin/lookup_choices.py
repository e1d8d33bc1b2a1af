"""Lookup inputs as a choice of records: a select of the target's records by primary name
when the caller can read few enough of them, else the RecordId box with a link to browse them.

The select's values are RecordIds, so the form posts what the RecordId box would and the
record form needs no JavaScript. A value the caller cannot see among the choices (a record
outside their policies, say) is kept as a choice of its own, so saving the form keeps it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from commonground.admin.record_inputs import Input, Section
from commonground.model.entity import RECORD_ID
from commonground.query.plan import Order, Query
from commonground.security.caller import Caller
from commonground.security.permissions import Operation
from commonground.service.environment import Environment

MAX_CHOICES = 200


def record_choices(env: Environment, target: str, caller: Caller) -> list[tuple[str, str]] | None:
    """(RecordId, label) for each record of `target` the caller can read, ordered by primary
    name; None when the caller cannot read the entity or it has more than MAX_CHOICES."""
    if not env.access(caller).allows(target, Operation.READ):
        return None
    entity = env.model.entity(target)
    name = entity.primary_name
    query = Query(
        entity.name,
        select=(RECORD_ID, name) if name else (RECORD_ID,),
        order_by=(Order(name), Order(RECORD_ID)) if name else (Order(RECORD_ID),),
        top=MAX_CHOICES + 1,
    )
    records = env.query(query, caller)
    if len(records) > MAX_CHOICES:
        return None
    names = [str(r.get(name) or "") if name else "" for r in records]
    repeated = Counter(names)
    return [
        (
            str(r[RECORD_ID]),
            shown if shown and repeated[shown] == 1 else f"{shown or '(no name)'} · {r[RECORD_ID]}",
        )
        for r, shown in zip(records, names, strict=True)
    ]


def with_record_choices(
    env: Environment, sections: list[Section], values: dict[str, str], caller: Caller
) -> list[Section]:
    """The form's sections with each lookup input made a select where the target allows;
    a lookup to an entity the caller cannot read keeps its box without links to it."""
    readable = env.access(caller).allows
    found: dict[str, list[tuple[str, str]] | None] = {}
    for section in sections:
        for position, widget in enumerate(section.widgets):
            if not isinstance(widget, Input) or widget.target is None:
                continue
            if widget.target not in found:
                found[widget.target] = record_choices(env, widget.target, caller)
            choices = found[widget.target]
            if choices is None:
                if not readable(widget.target, Operation.READ):
                    section.widgets[position] = replace(widget, target=None)
                continue
            value = values.get(widget.name, "")
            if value and value not in {v for v, _ in choices}:
                choices = [(value, f"record {value}"), *choices]
            hint = f"A {widget.target} record, by its {_name_of(env, widget.target)}."
            section.widgets[position] = replace(
                widget, control="select", options=tuple(choices), hint=hint
            )
    return sections


def _name_of(env: Environment, target: str) -> str:
    return env.model.entity(target).primary_name or RECORD_ID
