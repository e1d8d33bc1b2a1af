"""The Operations database's ModifiedDateTime stamps and the incremental reads that follow them.

Documents flow Sales -> Operations (inserts the database stamps) and back (incremental reads
by that stamp), so an insert made within the second of the last read must still be read.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from commonground.apps.definitions import operations_tables
from commonground.apps.operations import CURSOR, create_operations_database
from commonground.integration.contracts import ReadRequest
from commonground.integration.registry import open_connector

TABLE = "SalesOrderHeaderCDSEntity"


def test_an_insert_sharing_the_last_read_stamp_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "operations.sqlite"
    url = f"sqlite:///{path}"
    create_operations_database(url)
    connector = open_connector(
        "sql",
        {
            "url": url,
            "organization_field": "dataAreaId",
            "cursors": {t.name: CURSOR for t in operations_tables()},
        },
    )
    db = sqlite3.connect(path)
    try:
        db.execute(f"INSERT INTO {TABLE} (dataAreaId, SalesOrderNumber) VALUES ('USMF', 'SO-1')")
        db.commit()
        [(stamp,)] = db.execute(f"SELECT {CURSOR} FROM {TABLE}")
        # the form SQLAlchemy writes (and compares) a datetime in: six fraction digits
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stamp)

        request = ReadRequest(entity=TABLE, fields=["SalesOrderNumber"], organization="USMF")
        [batch] = list(connector.read(request))
        assert [r["SalesOrderNumber"] for r in batch.records] == ["SO-1"]

        # another order inserted within the same instant: the same stamp, a greater key
        db.execute(
            f"INSERT INTO {TABLE} (dataAreaId, SalesOrderNumber, {CURSOR}) VALUES (?, ?, ?)",
            ["USMF", "SO-2", stamp],
        )
        db.commit()
        resumed = connector.read(
            ReadRequest(
                entity=TABLE,
                fields=["SalesOrderNumber"],
                organization="USMF",
                since=batch.watermark,
            )
        )
        assert [r["SalesOrderNumber"] for b in resumed for r in b.records] == ["SO-2"]
    finally:
        db.close()
        connector.close()
