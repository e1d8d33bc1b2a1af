"""A connector's settings as form fields, and a posted form back into settings.

Each connector kind declares its settings as a pydantic model; the form follows it: secrets
(`SecretStr`) are password inputs that never show the stored value (left empty, the stored
secret is kept), lists and mappings are JSON text areas, the rest are text inputs. Empty
inputs are left out so the connector's defaults apply.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from commonground.errors import DefinitionError
from commonground.integration.catalog.definitions_store import MASK
from commonground.integration.registry import connector_type


@dataclass(frozen=True)
class SettingField:
    """One input of a connection's settings form."""

    name: str
    widget: str  # text | number | password | json
    required: bool
    value: str  # what the input shows ("" for secrets)
    default: str


def _bare(annotation: Any) -> Any:
    """The annotation without `| None`."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _widget(info: FieldInfo) -> str:
    bare = _bare(info.annotation)
    if bare is SecretStr:
        return "password"
    if get_origin(bare) in (dict, list) or bare in (dict, list):
        return "json"
    if bare in (int, float):
        return "number"
    return "text"


def _shown(value: Any, widget: str) -> str:
    if value is None or widget == "password":
        return ""
    if widget == "json":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def setting_fields(kind: str, current: dict[str, Any] | None = None) -> list[SettingField]:
    """The form's inputs for a connector kind, filled from a connection's (masked) settings."""
    current = current or {}
    fields = []
    for name, info in connector_type(kind).Settings.model_fields.items():
        widget = _widget(info)
        default = "" if info.is_required() else _shown(info.get_default(), widget)
        value = _shown(current.get(name), widget)
        fields.append(SettingField(name, widget, info.is_required(), value, default))
    return fields


def posted_settings(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """Settings from a posted form (inputs named `setting.<name>`); empty ones left out."""
    settings: dict[str, Any] = {}
    for item in setting_fields(kind):
        text = form.get(f"setting.{item.name}", "").strip()
        if not text or (item.widget == "password" and text == MASK):
            continue
        if item.widget == "json":
            try:
                settings[item.name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DefinitionError(f"connection: {item.name}: not valid JSON ({exc})") from exc
        elif item.widget == "number":
            try:
                settings[item.name] = float(text) if "." in text else int(text)
            except ValueError as exc:
                raise DefinitionError(f"connection: {item.name}: not a number") from exc
        else:
            settings[item.name] = text
    return settings
