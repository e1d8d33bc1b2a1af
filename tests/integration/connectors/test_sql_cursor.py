"""The (cursor, key) watermark, checked as a property: every row comes exactly once.

Rows are read one batch per run, each run resuming from the watermark the last one stored,
while new rows arrive between runs with a cursor at or after the last one read (and, as
new rows do, a larger key): whatever the cursor values, ties and batch sizes, no row is
missed and none is read twice.
"""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.integration.connectors.sql import SqlConnector
from commonground.integration.contracts import Batch, ReadRequest
from tests.integration.connectors.conftest import SqlDatabase


class Ledger:
    """A table of (id, changed) rows and a connector reading it by `changed`."""

    def __init__(self, db: SqlDatabase) -> None:
        metadata = db.metadata()
        self.table = sa.Table(
            "ledger",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("changed", sa.Integer, nullable=False),
        )
        metadata.create_all(db.engine)
        self.engine = db.engine
        self.connector: SqlConnector = db.connector(cursors={"ledger": "changed"})
        self.next_id = 1

    def reset(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.table))
        self.next_id = 1

    def add(self, cursors: list[int]) -> list[int]:
        """Insert rows with these cursor values; their ids."""
        ids = list(range(self.next_id, self.next_id + len(cursors)))
        self.next_id += len(cursors)
        if ids:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(self.table),
                    [{"id": i, "changed": c} for i, c in zip(ids, cursors, strict=True)],
                )
        return ids

    def run(self, since: dict[str, Any] | None, batch_size: int) -> Batch | None:
        """One run that reads a single batch and stops."""
        request = ReadRequest("ledger", since=since, batch_size=batch_size)
        with closing(self.connector.read(request)) as batches:
            return next(batches, None)


@pytest.fixture
def ledger(sql_db: SqlDatabase) -> Ledger:
    return Ledger(sql_db)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    initial=st.lists(st.integers(0, 4), max_size=25),
    runs=st.lists(
        st.tuples(st.integers(1, 6), st.lists(st.integers(0, 2), max_size=4)),
        min_size=1,
        max_size=10,
    ),
)
def test_incremental_runs_read_every_row_exactly_once(
    ledger: Ledger, initial: list[int], runs: list[tuple[int, list[int]]]
) -> None:
    ledger.reset()
    expected = ledger.add(initial)
    seen: list[int] = []
    since: dict[str, Any] | None = None
    for batch_size, arrivals in [*runs, *[(5, [])] * (len(initial) + 60)]:
        batch = ledger.run(since, batch_size)
        if batch is not None:
            seen += [r["id"] for r in batch.records]
            since = json.loads(json.dumps(batch.watermark))
        last = since["changed"] if since else 0
        expected += ledger.add([last + step for step in arrivals])
        if batch is None and not arrivals and len(seen) == len(expected):
            break
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert ledger.run(since, 5) is None
