"""What every service operation inside one transaction needs to know."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from commonground.model.datamodel import DataModel
from commonground.store.database import Database


@dataclass(frozen=True)
class WriteContext:
    """One write transaction of one environment, on behalf of one user."""

    db: Database
    conn: Connection
    model: DataModel
    user: str
