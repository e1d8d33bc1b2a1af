"""Notification mails go to a real SMTP server (aiosmtpd) with the documented content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commonground.integration.history import Execution, Step, StepCounts
from commonground.integration.notifications import MailServer, notify
from tests.fixtures.mail import Inbox
from tests.fixtures.serving import free_port


def _execution(status: str) -> Execution:
    return Execution(
        id=7,
        project="AccountsToOps",
        name="AccountsToOps 2026-11-24T10:00:00 Immediate",
        trigger="Immediate",
        full_run=False,
        dry_run=False,
        status=status,
        submitted_on=datetime(2026, 11, 24, 10, tzinfo=UTC),
        finished_on=None,
        upserts=166,
        errors=16,
        message=None,
        rerun_of=None,
        steps=[
            Step(
                10,
                "Accounts",
                "From CRM accounts to AX Customers V2",
                status,
                StepCounts(read=182, inserted=100, updated=66, failed=16),
                None,
            )
        ],
    )


def test_warning_mail_has_the_documented_parts(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    server = MailServer.from_url(f"smtp://127.0.0.1:{port}", "Account No Reply <noreply@x.test>")
    assert notify(_execution("Warning"), ["ops@x.test", "team@x.test"], server)
    [message] = inbox.messages
    assert message["Subject"] == "Data integration project notification for project AccountsToOps"
    assert "Account No Reply" in message["From"]
    assert message["To"] == "ops@x.test, team@x.test"
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "The latest status of project AccountsToOps, run at 2026-11-24 10:00:00 UTC" in body
    for column in (
        "Task",
        "Step",
        "Status",
        "Records Exported",
        "Records Inserted",
        "Records Updated",
        "Records With Error",
    ):
        assert column in body
    assert "Accounts | From CRM accounts to AX Customers V2 | Warning | 182 | 100 | 66 | 16" in body
    assert "Click here to view project execution details" in body
    assert "/admin/executions/7" in body


def test_completed_runs_send_nothing(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    server = MailServer.from_url(f"smtp://127.0.0.1:{port}", "x@x.test")
    assert not notify(_execution("Completed"), ["ops@x.test"], server)
    assert inbox.messages == []


def test_unreachable_server_is_reported_not_raised() -> None:
    server = MailServer.from_url(f"smtp://127.0.0.1:{free_port()}", "x@x.test")
    assert not notify(_execution("Error"), ["ops@x.test"], server)


def test_bad_url_names_the_problem() -> None:
    with pytest.raises(Exception, match="smtp://host:port"):
        MailServer.from_url("http://x", "x@x.test")
