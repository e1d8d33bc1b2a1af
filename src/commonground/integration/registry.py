"""Connector kinds, found through the `commonground.connectors` entry-point group.

Built-in connectors are registered in pyproject.toml exactly like third-party plug-ins, so the
engine has one way to find any of them.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, cast

from pydantic import ValidationError

from commonground.errors import DefinitionError, NotFoundError
from commonground.integration.contracts import Connector

GROUP = "commonground.connectors"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def connector_types() -> dict[str, type[Connector]]:
    """Every installed connector class by kind."""
    return {kind: connector_type(kind) for kind in sorted(_entry_points())}


@cache
def connector_type(kind: str) -> type[Connector]:
    """One connector class, loaded on first use (NotFoundError names the installed kinds)."""
    found = _entry_points()
    if kind not in found:
        raise NotFoundError("Connector kind", kind, f"installed kinds: {', '.join(sorted(found))}")
    return cast(type[Connector], found[kind].load())


def open_connector(kind: str, settings: dict[str, Any]) -> Connector:
    """A connector of one kind, its settings validated first (errors name the setting)."""
    cls = connector_type(kind)
    try:
        parsed = cls.Settings.model_validate(settings)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise DefinitionError(f"{kind} connection settings are invalid: {problems}") from exc
    return cls(parsed)  # type: ignore[call-arg]
