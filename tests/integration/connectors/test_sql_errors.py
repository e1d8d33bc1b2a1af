"""Connection errors: transient or terminal as they should be, and never showing a password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from commonground.integration.connectors.sql import SqlConnector, SqlSettings
from commonground.integration.contracts import (
    AuthenticationFailedError,
    ConnectionFailedError,
    ConnectorError,
)
from commonground.integration.registry import open_connector
from tests.integration.connectors.conftest import MYSQL_URL_VAR, POSTGRES_URL_VAR

SECRET = "s3cret-Pa55"


def server_url(variable: str) -> str:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"this test needs {variable} (a SQLAlchemy URL of a server)")
    return url


def failure(url: str) -> ConnectorError:
    connector = SqlConnector(SqlSettings(url=url))  # type: ignore[arg-type]
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.entities()
    finally:
        connector.close()
    assert SECRET not in str(caught.value)
    return caught.value


def test_an_unreachable_server_is_a_transient_failure_without_the_password() -> None:
    url = make_url(server_url(POSTGRES_URL_VAR)).set(port=1, password=SECRET)
    error = failure(url.render_as_string(hide_password=False))
    assert isinstance(error, ConnectionFailedError)
    assert "***" in str(error)


def test_refused_mysql_credentials_are_an_authentication_failure() -> None:
    url = make_url(server_url(MYSQL_URL_VAR)).set(username="nobody", password=SECRET)
    error = failure(url.render_as_string(hide_password=False))
    assert isinstance(error, AuthenticationFailedError)
    assert "nobody" in str(error)


def test_an_unknown_postgresql_role_is_an_authentication_failure() -> None:
    url = make_url(server_url(POSTGRES_URL_VAR)).set(username="nobody", password=SECRET)
    error = failure(url.render_as_string(hide_password=False))
    assert isinstance(error, AuthenticationFailedError)


def test_a_sqlite_file_that_cannot_be_opened_is_a_connection_failure(tmp_path: Path) -> None:
    error = failure(f"sqlite:///{tmp_path / 'missing' / 'folder' / 'x.db'}")
    assert isinstance(error, ConnectionFailedError)


def test_a_malformed_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConnectorError, match="not a valid SQLAlchemy URL") as caught:
        SqlConnector(SqlSettings(url=f"not a url {SECRET}"))  # type: ignore[arg-type]
    assert SECRET not in str(caught.value)


def test_the_registry_opens_it_and_the_settings_hide_the_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    connector = open_connector("sql", {"url": url, "cursors": {"t": "changed"}})
    try:
        assert isinstance(connector, SqlConnector)
        assert url not in repr(connector.settings)
        assert connector.entities() == []
    finally:
        connector.close()


def test_an_unknown_dialect_is_refused_with_the_url_shown_safely() -> None:
    with pytest.raises(ConnectorError, match="nosuchdb") as caught:
        SqlConnector(SqlSettings(url=f"nosuchdb://user:{SECRET}@host/db"))  # type: ignore[arg-type]
    assert SECRET not in str(caught.value)
