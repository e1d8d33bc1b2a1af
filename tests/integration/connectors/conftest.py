"""Real databases for the SQL connector's tests, one empty namespace per test.

`sql_db` runs a test on SQLite (a file in tmp_path) always, on PostgreSQL when
COMMONGROUND_TEST_POSTGRES_URL names a server (in a schema of its own, dropped afterwards) and
on MariaDB/MySQL when COMMONGROUND_TEST_MYSQL_URL does (in a database of its own, dropped
afterwards). `shop` fills that namespace with the tables most tests use.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from commonground.integration.connectors.sql import SqlConnector, SqlSettings

POSTGRES_URL_VAR = "COMMONGROUND_TEST_POSTGRES_URL"
MYSQL_URL_VAR = "COMMONGROUND_TEST_MYSQL_URL"


@dataclass
class SqlDatabase:
    """An empty namespace on one backend: where the test's tables live."""

    backend: str
    url: str  # what the connector connects to
    schema: str | None  # the PostgreSQL schema, None elsewhere
    engine: sa.Engine  # for the test's own setup and checks
    connectors: list[SqlConnector] = field(default_factory=list)

    def metadata(self) -> sa.MetaData:
        """A MetaData whose tables are created in this namespace."""
        return sa.MetaData(schema=self.schema)

    def connector(self, **settings: Any) -> SqlConnector:
        """A connector to this namespace (closed after the test)."""
        connector = SqlConnector(
            SqlSettings.model_validate({"url": self.url, "schema_name": self.schema, **settings})
        )
        self.connectors.append(connector)
        return connector

    def qualified(self, name: str) -> str:
        """A table name as raw SQL in this namespace must write it."""
        return f"{self.schema}.{name}" if self.schema else name


def _sqlite(tmp_path: Path) -> Iterator[SqlDatabase]:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    yield SqlDatabase("sqlite", url, None, engine)
    engine.dispose()


def _postgresql(url: str) -> Iterator[SqlDatabase]:
    engine = sa.create_engine(url)
    schema = f"cg_sql_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield SqlDatabase("postgresql", url, schema, engine)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def _mysql(url: str) -> Iterator[SqlDatabase]:
    server = sa.create_engine(url)
    name = f"cg_sql_{uuid.uuid4().hex[:12]}"
    with server.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    database_url = make_url(url).set(database=name)
    engine = sa.create_engine(database_url)
    try:
        yield SqlDatabase("mysql", database_url.render_as_string(hide_password=False), None, engine)
    finally:
        engine.dispose()
        with server.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")
        server.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def sql_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    """An empty namespace on SQLite, PostgreSQL and MySQL/MariaDB in turn."""
    made: Iterator[SqlDatabase]
    if request.param == "sqlite":
        made = _sqlite(tmp_path)
    else:
        variable = POSTGRES_URL_VAR if request.param == "postgresql" else MYSQL_URL_VAR
        url = os.environ.get(variable)
        if not url:
            pytest.skip(f"{request.param} tests need {variable} (a SQLAlchemy URL of a server)")
        made = _postgresql(url) if request.param == "postgresql" else _mysql(url)
    database = next(made)
    try:
        yield database
    finally:
        for connector in database.connectors:
            connector.close()
        next(made, None)


@dataclass
class Shop:
    """The tables of the `shop` fixture, created in a test's namespace."""

    db: SqlDatabase
    customers: sa.Table
    orders: sa.Table
    lines: sa.Table
    events: sa.Table

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows with the test's own engine."""
        with self.db.engine.begin() as conn:
            conn.execute(table.insert(), rows)

    def rows(self, table: sa.Table, order_by: str = "id") -> list[dict[str, Any]]:
        """Every row of a table as the test's own engine reads it."""
        with self.db.engine.connect() as conn:
            result = conn.execute(sa.select(table).order_by(table.c[order_by]))
            return [dict(row._mapping) for row in result]


def shop_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    """Customers, their orders, order lines (composite key) and events (no key at all)."""
    customers = sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("credit", sa.Numeric(12, 2)),
        sa.Column("score", sa.Float),
        sa.Column("active", sa.Boolean),
        sa.Column("born", sa.Date),
        sa.Column("modified_at", sa.DateTime, nullable=False),
        sa.Column("company", sa.String(10)),
    )
    orders = sa.Table(
        "orders",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_no", sa.String(20), nullable=False, unique=True),
        sa.Column("customer_id", sa.ForeignKey(customers.c.id)),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("amount", sa.Numeric(12, 2)),
    )
    lines = sa.Table(
        "lines",
        metadata,
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("product", sa.String(30), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
    )
    events = sa.Table(
        "events",
        metadata,
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
    )
    return customers, orders, lines, events


@pytest.fixture
def shop(sql_db: SqlDatabase) -> Shop:
    """The shop tables, empty, in the test's namespace."""
    metadata = sql_db.metadata()
    tables = shop_tables(metadata)
    metadata.create_all(sql_db.engine)
    return Shop(sql_db, *tables)


@pytest.fixture
def statements() -> Callable[[SqlConnector], list[str]]:
    """Records the first word of each statement a connector sends (a live list)."""

    def watch(connector: SqlConnector) -> list[str]:
        seen: list[str] = []

        @sa.event.listens_for(connector.database.engine, "before_cursor_execute")
        def _record(*args: Any) -> None:
            seen.append(str(args[2]).lstrip().split()[0].upper())

        return seen

    return watch
