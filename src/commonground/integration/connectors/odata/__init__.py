"""The OData connector (kind `odata`): any OData v4 service."""

from commonground.integration.connectors.odata.connector import ODataConnector
from commonground.integration.connectors.odata.settings import ODataSettings

__all__ = ["ODataConnector", "ODataSettings"]
