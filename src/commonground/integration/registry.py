"""Connector kinds, found through the `commonground.connectors` entry-point group.

Built-in connectors are registered in pyproject.toml exactly like third-party plug-ins, so the
engine has one way to find any of them.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any, cast

from pydantic import ValidationError

from commonground.errors import DefinitionError, NotFoundError
from commonground.integration.contracts import Connector

GROUP = "commonground.connectors"


@cache
def connector_types() -> dict[str, type[Connector]]:
    """Every installed connector class by kind."""
    return {ep.name: cast(type[Connector], ep.load()) for ep in entry_points(group=GROUP)}


def connector_type(kind: str) -> type[Connector]:
    """One connector class (NotFoundError names the installed kinds)."""
    types = connector_types()
    if kind not in types:
        raise NotFoundError("Connector kind", kind, f"installed kinds: {', '.join(sorted(types))}")
    return types[kind]


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
