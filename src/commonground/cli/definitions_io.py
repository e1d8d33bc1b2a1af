"""Reading definitions from the command line: `key=value` options and YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from commonground.errors import DefinitionError


def parse_pairs(pairs: list[str], option: str) -> dict[str, Any]:
    """`key=value` texts as a dict; values read as YAML scalars (numbers, true, lists...)."""
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DefinitionError(f"{option} '{pair}' must look like key=value")
        try:
            result[key.strip()] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            result[key.strip()] = value
    return result


def read_yaml(file: Path) -> dict[str, Any]:
    """A YAML mapping from a file (errors name the file)."""
    if not file.is_file():
        raise DefinitionError(f"{file} is not a file")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DefinitionError(f"{file}: expected a YAML mapping")
    return data
