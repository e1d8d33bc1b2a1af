"""The engine of a SQL connection, and the one place driver errors become connector errors.

Driver messages are shown to users and stored in run history, so they pass through here:
the password is never in them (the URL is rendered with it hidden, and the password text is
masked should a driver ever echo it), and connection problems are marked transient while
refused credentials are terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchTableError,
    OperationalError,
    SQLAlchemyError,
)

from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
    ConnectorError,
    SchemaError,
)

# What servers say when they refuse a login (PostgreSQL, MySQL/MariaDB).
AUTHENTICATION_HINTS = ("authentication failed", "password", "access denied", 'role "')
MYSQL_AUTHENTICATION_CODES = frozenset({1044, 1045, 1698})
# Errors of the connection rather than of the statement: a later attempt may succeed.
TRANSIENT = (OperationalError, InterfaceError)


class Database:
    """An engine plus the URL as it may be shown, and the error translation around its use."""

    def __init__(self, url: str) -> None:
        try:
            self.url: URL = make_url(url)
        except ArgumentError:
            raise ConnectorError("the connection URL is not a valid SQLAlchemy URL") from None
        self.shown = self.url.render_as_string(hide_password=True)
        try:
            self.engine = create_engine(self.url)
        except (ArgumentError, ImportError) as exc:  # an unknown dialect, a missing driver
            raise ConnectorError(f"{self.shown}: {self._mask(str(exc))}") from None
        if self.engine.dialect.name == "sqlite":
            _enable_sqlite_transactions(self.engine)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Translate driver errors raised inside the block into connector errors."""
        try:
            yield
        except NoSuchTableError as exc:
            raise SchemaError(f"{self.shown}: table '{exc}' does not exist") from None
        except DBAPIError as exc:
            raise self._translate(exc) from None
        except SQLAlchemyError as exc:
            raise ConnectorError(f"{self.shown}: {self._mask(str(exc))}") from None

    def _translate(self, exc: DBAPIError) -> ConnectorError:
        """The connector error for one driver error."""
        message = f"{self.shown}: {self.describe(exc)}"
        if _is_authentication(exc):
            return AuthenticationFailedError(message)
        if exc.connection_invalidated or isinstance(exc, TRANSIENT):
            return ConnectionFailedError(message)
        return ConnectorError(message)

    def describe(self, exc: DBAPIError) -> str:
        """The driver's own message (without the statement), password masked."""
        return self._mask(str(exc.orig).strip())

    def _mask(self, text: str) -> str:
        """The text with the password, should it appear, replaced by ***."""
        password = self.url.password
        return text.replace(str(password), "***") if password else text

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _is_authentication(exc: DBAPIError) -> bool:
    args: tuple[Any, ...] = getattr(exc.orig, "args", ())
    if args and args[0] in MYSQL_AUTHENTICATION_CODES:
        return True
    text = str(exc.orig).lower()
    return isinstance(exc, TRANSIENT) and any(hint in text for hint in AUTHENTICATION_HINTS)


def _enable_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy issue BEGIN itself, so that savepoints work; enforce foreign keys.

    pysqlite otherwise starts transactions on its own schedule, which breaks SAVEPOINT, the
    one `write` uses to isolate records the database refuses.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")
