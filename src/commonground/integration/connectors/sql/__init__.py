"""The SQL connector: tables of any SQLAlchemy-reachable database as entities."""

from commonground.integration.connectors.sql.connector import SqlConnector
from commonground.integration.connectors.sql.settings import SqlSettings

__all__ = ["SqlConnector", "SqlSettings"]
