"""Connectors for runs: opened per run, or kept open across the runs of one sequence.

Opening a connector can cost a tenth of a second (an environment's tables are bound, a remote
model is fetched). A sequence of runs in one thread (the demo, a scheduler tick) can keep them
open inside `keep()`; a connector whose connection settings changed is opened again. What is
kept belongs to the thread that called `keep()`: runs in other threads (the API's background
runs) open and close their own. Outside `keep()` every run opens and closes its own, so
nothing stale survives between runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import orjson

from commonground.integration.catalog.definitions_store import DefinitionStore
from commonground.integration.contracts import Connector
from commonground.integration.registry import open_connector


class RunConnectors:
    """Opens connectors by connection name; keeps them inside `keep()`."""

    def __init__(self, definitions: DefinitionStore) -> None:
        self.definitions = definitions
        self._local = threading.local()

    @property
    def _kept(self) -> dict[str, tuple[bytes, Connector]] | None:
        kept: dict[str, tuple[bytes, Connector]] | None = getattr(self._local, "kept", None)
        return kept

    @contextmanager
    def keep(self) -> Iterator[None]:
        """Keep connectors open between the runs this thread makes inside the block."""
        self._local.kept = {}
        try:
            yield
        finally:
            kept, self._local.kept = self._local.kept, None
            for _, connector in kept.values():
                connector.close()

    def open(self, name: str) -> Connector:
        """A connector for a connection: a kept one when its settings are unchanged."""
        connection = self.definitions.connection(name, reveal=True)
        fingerprint = orjson.dumps(
            [connection.kind, connection.settings], option=orjson.OPT_SORT_KEYS, default=str
        )
        if self._kept is not None and name in self._kept:
            known, connector = self._kept[name]
            if known == fingerprint:
                return connector
            connector.close()
            del self._kept[name]
        connector = open_connector(connection.kind, connection.settings)
        if self._kept is not None:
            self._kept[name] = (fingerprint, connector)
        return connector

    def release(self, connector: Connector) -> None:
        """A run is done with a connector: close it unless it is kept."""
        kept = self._kept or {}
        if not any(connector is c for _, c in kept.values()):
            connector.close()
