"""The files connector (kind `files`): one entity per CSV, Excel, Parquet or JSON Lines file."""

from commonground.integration.connectors.files.connector import FilesConnector
from commonground.integration.connectors.files.settings import FilesSettings

__all__ = ["FilesConnector", "FilesSettings"]
