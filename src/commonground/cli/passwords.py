"""Where the user commands get a password: COMMONGROUND_PASSWORD (for scripts), else a
hidden prompt asked twice. Never an option, so a password stays out of shell history and
the process list."""

from __future__ import annotations

import os

import typer

PASSWORD_VAR = "COMMONGROUND_PASSWORD"


def read_password() -> str:
    """The new password for a user."""
    given = os.environ.get(PASSWORD_VAR)
    if given:
        return given
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password
