"""Options every command shares (--home, --database-url, --user) and the environments they
open.

Without `--user` a command acts as the local operator, who holds every right (whoever can
read the home folder or the database has the data anyway). With `--user NAME` it signs in
(password from COMMONGROUND_PASSWORD or a prompt, throttled like the API's sign-in) and acts
with that user's roles, exactly as the API would.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import typer

from commonground.cli.passwords import PASSWORD_VAR
from commonground.integration.integrator import Integrator
from commonground.security.authentication import open_authenticator
from commonground.security.caller import SYSTEM, Caller
from commonground.security.directory import Directory
from commonground.service.environment import Environment
from commonground.service.environments import Environments


@dataclass
class State:
    """Where the environments live; opened on first use."""

    home: Path
    database_url: str | None
    user: str | None = None
    _environments: Environments | None = field(default=None, repr=False)
    _integrator: Integrator | None = field(default=None, repr=False)
    _directory: Directory | None = field(default=None, repr=False)
    _caller: Caller | None = field(default=None, repr=False)

    @property
    def environments(self) -> Environments:
        """The installation's environments."""
        if self._environments is None:
            self._environments = Environments(self.home, self.database_url, self.directory)
        return self._environments

    def env(self, name: str) -> Environment:
        """An existing environment."""
        return self.environments.open(name)

    @property
    def integrator(self) -> Integrator:
        """The installation's data integrator (its catalog beside the environments)."""
        if self._integrator is None:
            self._integrator = Integrator(home=self.home, database_url=self.database_url)
        return self._integrator

    @property
    def directory(self) -> Directory:
        """The installation's users, application users, groups and audit log."""
        if self._directory is None:
            self._directory = Directory(self.home, self.database_url)
        return self._directory

    @property
    def caller(self) -> Caller:
        """Who the command acts as: the signed-in `--user`, or the local operator."""
        if self._caller is None:
            self.sign_in()
        assert self._caller is not None
        return self._caller

    def sign_in(self) -> None:
        """Sign `--user` in (password from COMMONGROUND_PASSWORD or a prompt), if given."""
        if self.user is None:
            self._caller = SYSTEM
            return
        password = os.environ.get(PASSWORD_VAR) or typer.prompt(
            f"Password for {self.user}", hide_input=True
        )
        authenticator = open_authenticator(self.home, self.database_url)
        try:
            grant = authenticator.sign_in_user(self.user, password, None)
            self._caller = authenticator.verify(grant.access_token)
        finally:
            authenticator.directory.close()

    def close(self) -> None:
        """Release database connections."""
        if self._directory is not None:
            self._directory.close()
        if self._environments is not None:
            self._environments.close()
        if self._integrator is not None:
            self._integrator.close()


EnvOption = typer.Option(..., "--env", "-e", help="The environment to act in.")


def state_of(ctx: typer.Context) -> State:
    """The shared options of the running command (set by the app's callback)."""
    state: State = ctx.obj
    return state
