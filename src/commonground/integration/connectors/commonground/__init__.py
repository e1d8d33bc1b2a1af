"""The Common Ground connector (kind `commonground`): one environment, embedded or remote."""

from commonground.integration.connectors.commonground.connector import CommonGroundConnector
from commonground.integration.connectors.commonground.settings import CommonGroundSettings

__all__ = ["CommonGroundConnector", "CommonGroundSettings"]
