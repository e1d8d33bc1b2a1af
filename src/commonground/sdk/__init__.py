"""The Python SDK: entity sets, a query builder and transactional batches.

The shape of the CDS C# SDK in Python idioms. `connect()` gives a client on an embedded
environment (in-process); the remote (HTTP) client shares the same interface.
"""

from commonground.sdk.batch import Batch
from commonground.sdk.client import Client, EntitySet, connect, connect_remote
from commonground.sdk.query import QueryBuilder

__all__ = ["Batch", "Client", "EntitySet", "QueryBuilder", "connect", "connect_remote"]
