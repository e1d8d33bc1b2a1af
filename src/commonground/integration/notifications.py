"""Email on warnings and failures, with the content the original sent (data-integrator.md §19).

Mail goes over SMTP to the server named by COMMONGROUND_SMTP_URL
(`smtp://[user:password@]host:port`, or `smtps://` for TLS from the start, `?starttls=1` to
upgrade); without it nothing is sent and the run says so in the log.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from urllib.parse import parse_qs, unquote, urlsplit

from commonground.errors import DefinitionError
from commonground.integration.history import Execution, RunStatus
from commonground.settings import setting

log = logging.getLogger(__name__)

SUMMARY = {
    RunStatus.ERROR.value: "Your project did not complete due to errors.",
    RunStatus.WARNING.value: "Your project completed with warnings: some records failed.",
}
COLUMNS = (
    "Task",
    "Step",
    "Status",
    "Records Exported",
    "Records Inserted",
    "Records Updated",
    "Records With Error",
)


@dataclass(frozen=True)
class MailServer:
    """Where and how to send mail."""

    host: str
    port: int
    tls: bool
    starttls: bool
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_url(cls, url: str, sender: str) -> MailServer:
        """Parse `smtp://user:password@host:port?starttls=1` (errors name the URL's problem)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise DefinitionError(
                "the SMTP URL must look like smtp://host:port or smtps://host:port"
            )
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
        )


def configured_server() -> MailServer | None:
    """The mail server from the settings, or None when mail is not set up."""
    url = setting("smtp_url")
    if not url:
        return None
    return MailServer.from_url(
        url, setting("mail_sender") or "Account No Reply <noreply@localhost>"
    )


def run_link(execution: Execution) -> str:
    """Where the run's details are shown in the admin pages."""
    base = (setting("public_url") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/admin/executions/{execution.id}"


def compose(execution: Execution, recipients: Sequence[str]) -> EmailMessage:
    """The notification for one finished run: subject, summary, per-step table and link."""
    server_sender = setting("mail_sender") or "Account No Reply <noreply@localhost>"
    when = execution.submitted_on.strftime("%Y-%m-%d %H:%M:%S UTC")
    summary = SUMMARY.get(execution.status, f"Your project ended with status {execution.status}.")
    rows = [
        (
            s.task,
            s.step,
            s.status,
            str(s.counts.read),
            str(s.counts.inserted),
            str(s.counts.updated),
            str(s.counts.failed),
        )
        for s in execution.steps
    ]
    link = run_link(execution)
    message = EmailMessage()
    message["Subject"] = f"Data integration project notification for project {execution.project}"
    message["From"] = server_sender
    message["To"] = ", ".join(recipients)
    opening = (
        f"The latest status of project {execution.project}, run at {when}: {execution.status}."
    )
    text_rows = "\n".join(" | ".join(r) for r in rows)
    message.set_content(
        f"{opening}\n{summary}\n\n{' | '.join(COLUMNS)}\n{text_rows}\n\n"
        f"Click here to view project execution details: {link}\n"
    )
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    message.add_alternative(
        f"<p>{escape(opening)}</p><p>{escape(summary)}</p>"
        f"<table border='1' cellpadding='4'><tr>{head}</tr>{body}</table>"
        f"<p><a href='{escape(link)}'>Click here to view project execution details</a></p>",
        subtype="html",
    )
    return message


def notify(execution: Execution, recipients: Sequence[str], server: MailServer | None) -> bool:
    """Send the notification of a Warning or Error run; True when a mail went out."""
    if execution.status not in SUMMARY or not recipients:
        return False
    if server is None:
        log.warning(
            "project %s ended with %s but no SMTP server is configured (COMMONGROUND_SMTP_URL)",
            execution.project,
            execution.status,
        )
        return False
    message = compose(execution, recipients)
    message.replace_header("From", server.sender)
    client_type = smtplib.SMTP_SSL if server.tls else smtplib.SMTP
    try:
        with client_type(server.host, server.port, timeout=30) as client:
            if server.starttls:
                client.starttls()
            if server.user:
                client.login(server.user, server.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("could not send the notification for project %s: %s", execution.project, exc)
        return False
    return True
