"""What every service operation inside one transaction needs to know."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from commonground.model.datamodel import DataModel
from commonground.security.access import Access
from commonground.service.reads import Reader
from commonground.store.database import Database


@dataclass(frozen=True)
class WriteContext:
    """One write transaction of one environment, on behalf of one caller: `user` is the
    name written to CreatedBy/ModifiedBy, `access` what the caller may do, `reader` the
    environment's reads (a policy check asks which records a condition admits)."""

    db: Database
    conn: Connection
    model: DataModel
    user: str
    access: Access
    reader: Reader
