"""How a run reports progress to whoever watches it (a CLI progress bar, a log, nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from commonground.integration.history import StepCounts


@dataclass(frozen=True)
class StepProgress:
    """One step's counts so far; `done` once the step finished."""

    task: str
    step: str
    counts: StepCounts
    done: bool = False


class ProgressListener(Protocol):
    """Called after every batch and at the end of every step."""

    def __call__(self, progress: StepProgress) -> None: ...


def ignore_progress(progress: StepProgress) -> None:
    """The listener used when nobody watches."""
