"""Options every command shares (--home, --database-url) and the environments they open."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from commonground.integration.integrator import Integrator
from commonground.security.directory import Directory
from commonground.service.environment import Environment
from commonground.service.environments import Environments


@dataclass
class State:
    """Where the environments live; opened on first use."""

    home: Path
    database_url: str | None
    _environments: Environments | None = field(default=None, repr=False)
    _integrator: Integrator | None = field(default=None, repr=False)
    _directory: Directory | None = field(default=None, repr=False)

    @property
    def environments(self) -> Environments:
        """The installation's environments."""
        if self._environments is None:
            self._environments = Environments(home=self.home, database_url=self.database_url)
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
