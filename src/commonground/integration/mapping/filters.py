"""Whether a task's source filter parses against the source's fields (validation DIPV1012)."""

from __future__ import annotations

from commonground.integration.contracts import EntityInfo, FilterError
from commonground.integration.source_filters import parse_source_filter


def filter_problem(source: EntityInfo, text: str) -> str | None:
    """Why a `$filter` on the source does not parse (None when it parses)."""
    try:
        parse_source_filter(source.name, [(f.name, f.kind) for f in source.fields], text)
    except FilterError as exc:
        return str(exc)
    return None
