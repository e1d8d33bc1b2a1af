"""The scheduler with real runs: due projects fire once, across processes; failures mail."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from commonground.integration.definitions import ScheduleDef, ScheduleUnit
from commonground.integration.integrator import Integrator
from commonground.integration.scheduler import Fired, Scheduler
from tests.fixtures.fix_integration import World, one_way
from tests.fixtures.mail import Inbox

START = datetime(2026, 1, 1, tzinfo=UTC)


def _scheduled(world: World, **schedule: object) -> None:
    project = one_way().model_copy(
        update={"schedule": ScheduleDef(every=1, unit=ScheduleUnit.HOURS, start=START, **schedule)}
    )
    world.save_project(project)


def test_missed_occurrences_fire_once(world: World) -> None:
    world.crm.create("Customer", world.customers(1, 2))
    _scheduled(world)
    scheduler = Scheduler(world.integrator)
    now = START + timedelta(days=3, minutes=5)  # 72 occurrences were missed
    [fired] = scheduler.tick(now)
    assert fired.execution is not None
    assert fired.execution.status == "Completed"
    assert fired.execution.trigger == "Scheduled"
    assert fired.occurrence == START + timedelta(days=3)
    assert scheduler.tick(now) == []
    assert scheduler.tick(now + timedelta(minutes=30)) == []
    assert len(scheduler.tick(now + timedelta(hours=1))) == 1


def test_several_processes_ticking_fire_each_occurrence_once(world: World) -> None:
    _scheduled(world)
    others = [Integrator(home=world.home, secret_key=None) for _ in range(3)]
    now = START + timedelta(hours=5, minutes=1)
    results: list[list[Fired]] = []
    barrier = threading.Barrier(len(others))

    def tick(integrator: Integrator) -> None:
        barrier.wait()
        results.append(Scheduler(integrator).tick(now))

    threads = [threading.Thread(target=tick, args=(i,)) for i in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for integrator in others:
        integrator.close()
    assert sum(len(r) for r in results) == 1
    assert len(world.integrator.history.list("CustomersToHub")) == 1


def test_a_schedule_past_its_end_does_not_fire(world: World) -> None:
    _scheduled(world, end=START - timedelta(days=1))
    assert Scheduler(world.integrator).tick(START + timedelta(days=2)) == []


def test_a_warning_run_mails_the_addresses(
    world: World, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    monkeypatch.setenv("COMMONGROUND_SMTP_URL", f"smtp://127.0.0.1:{port}")
    world.crm.create("Customer", world.customers(1))
    world.crm.create("Customer", [{"Number": "C2", "Name": "Bad", "Country": "Atlantis"}])
    project = one_way().model_copy(update={"schedule": ScheduleDef(notify=["ops@example.com"])})
    world.save_project(project)
    run = world.integrator.run("CustomersToHub")
    assert run.status == "Warning"
    [message] = inbox.messages
    assert message["To"] == "ops@example.com"
    assert "CustomersToHub" in message["Subject"]
    clean = world.integrator.run("CustomersToHub")
    assert clean.status == "Completed"
    assert len(inbox.messages) == 1  # completed runs send nothing
