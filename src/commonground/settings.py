"""Settings: one table of (name, default, help) that feeds environment variables, CLI and docs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default and meaning."""

    name: str
    env_var: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "home",
        "COMMONGROUND_HOME",
        ".commonground",
        "Folder for the embedded SQLite environments (one file each) and local state.",
    ),
    Setting(
        "database_url",
        "COMMONGROUND_DATABASE_URL",
        None,
        "PostgreSQL URL; when set, environments are schemas of that database instead of "
        "SQLite files under the home folder.",
    ),
    Setting(
        "rate_limit",
        "COMMONGROUND_RATE_LIMIT",
        "6000/300",
        "API request budget per client: requests/seconds (0 turns the budget off).",
    ),
    Setting(
        "secret_key",
        "COMMONGROUND_SECRET_KEY",
        None,
        "Fernet key that encrypts connection secrets; without it a key file "
        "(secret.key, mode 0600) in the home folder is created and used.",
    ),
    Setting(
        "token_key",
        "COMMONGROUND_TOKEN_KEY",
        None,
        "Key that signs API access tokens (HS256); without it a key file "
        "(token.key, mode 0600) in the home folder is created and used. Every API process "
        "of an installation must use the same key.",
    ),
    Setting(
        "token_minutes",
        "COMMONGROUND_TOKEN_MINUTES",
        "15",
        "Minutes an API access token is valid; clients renew it with their refresh token "
        "or client credentials.",
    ),
    Setting(
        "history_days",
        "COMMONGROUND_HISTORY_DAYS",
        "45",
        "Days the data integrator keeps execution history before purging it.",
    ),
    Setting(
        "smtp_url",
        "COMMONGROUND_SMTP_URL",
        None,
        "SMTP server for run notifications: smtp://[user:password@]host:port "
        "(smtps:// for TLS, ?starttls=1 to upgrade); unset means no mail.",
    ),
    Setting(
        "mail_sender",
        "COMMONGROUND_MAIL_SENDER",
        "Account No Reply <noreply@localhost>",
        "Sender of run notification mails.",
    ),
    Setting(
        "public_url",
        "COMMONGROUND_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "Base URL of the admin pages, used in links sent by mail.",
    ),
    Setting(
        "scheduler",
        "COMMONGROUND_SCHEDULER",
        "on",
        "Whether `commonground serve` fires scheduled integration projects (on/off); safe "
        "with several workers and processes, each schedule fires once.",
    ),
    Setting(
        "batch_size",
        "COMMONGROUND_BATCH_SIZE",
        "5000",
        "Records per batch for imports, exports, copies and restores.",
    ),
)


def setting(name: str) -> str | None:
    """The value of a setting: its environment variable, else its default."""
    for item in SETTINGS:
        if item.name == name:
            return os.environ.get(item.env_var, item.default)
    raise KeyError(name)


def home_path() -> Path:
    """The home folder."""
    return Path(setting("home") or ".commonground")
