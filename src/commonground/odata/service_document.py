"""The service document: what `GET <service root>` answers, one entry per entity set.

OData clients start here to find the entity sets and `$metadata`. Entity set URLs are relative
to the service root, as the OData JSON format allows, so the same document is right behind any
proxy that rewrites the host; only the context URL needs the root.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from commonground.model.datamodel import DataModel
from commonground.odata.edm import sorted_entities
from commonground.odata.naming import entity_set_name


class ServiceDocumentEntry(TypedDict):
    """One entity set in the service document."""

    name: str
    kind: Literal["EntitySet"]
    url: str


ServiceDocument = TypedDict(
    "ServiceDocument",
    {"@odata.context": str, "value": list[ServiceDocumentEntry]},
)


def service_document(model: DataModel, service_root: str) -> ServiceDocument:
    """The service document of a data model served at `service_root` (an absolute URL).

    The context URL is `<root>$metadata`; a missing trailing slash on the root is added, since
    the root is a collection and relative URLs resolve against it only with one.
    """
    root = service_root if service_root.endswith("/") else service_root + "/"
    entries: list[ServiceDocumentEntry] = []
    for entity in sorted_entities(model):
        name = entity_set_name(entity.name)
        entries.append({"name": name, "kind": "EntitySet", "url": name})
    return {"@odata.context": f"{root}$metadata", "value": entries}
