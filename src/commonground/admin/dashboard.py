"""The dashboard: runs of the last days by status as a stacked bar chart (SVG drawn on the
server, so it needs no script and reads the same for a screen reader as a table), and the
latest runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from commonground.admin.render import page
from commonground.integration.history import Execution
from commonground.integration.integrator import Integrator

DAYS = 14
STATUSES = ("Completed", "Warning", "Error")
COLOURS = {"Completed": "#1b6e2d", "Warning": "#b07800", "Error": "#a4161a"}
WIDTH, HEIGHT, GAP = 560, 160, 4


@dataclass(frozen=True)
class Bar:
    """One status's part of one day's bar."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class Chart:
    """What the template draws: bars, day labels, the scale and the table behind it."""

    bars: list[Bar]
    days: list[tuple[float, str]]
    highest: int
    table: list[tuple[str, list[int]]]


def chart(executions: list[Execution], today: date) -> Chart:
    """Runs per day and status over the last DAYS days."""
    first = today - timedelta(days=DAYS - 1)
    counts: Counter[tuple[date, str]] = Counter(
        (e.submitted_on.astimezone(UTC).date(), e.status)
        for e in executions
        if e.status in STATUSES
    )
    days = [first + timedelta(days=n) for n in range(DAYS)]
    highest = max([sum(counts[(d, s)] for s in STATUSES) for d in days] + [1])
    slot = WIDTH / DAYS
    bars: list[Bar] = []
    for n, day in enumerate(days):
        bottom = float(HEIGHT)
        for status in STATUSES:
            count = counts[(day, status)]
            if not count:
                continue
            height = HEIGHT * count / highest
            bottom -= height
            label = f"{day.isoformat()}: {count} {status.lower()}"
            x = n * slot + GAP / 2
            bars.append(Bar(x, bottom, slot - GAP, height, COLOURS[status], label))
    labels = [(n * slot + slot / 2, d.strftime("%d")) for n, d in enumerate(days)]
    table = [(d.isoformat(), [counts[(d, s)] for s in STATUSES]) for d in days]
    return Chart(bars, labels, highest, table)


async def dashboard(request: Request, integrator: Integrator) -> Response:
    """The dashboard page."""
    executions = await run_in_threadpool(integrator.history.list, None, 500)
    drawn = chart(executions, datetime.now(UTC).date())
    return page(
        request,
        "dashboard.html",
        chart=drawn,
        statuses=STATUSES,
        colours=COLOURS,
        size=(WIDTH, HEIGHT),
        latest=executions[:10],
    )
