"""The service document lists every entity set, as in $metadata's container."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from commonground.odata.csdl import EDM_NS, csdl_xml
from commonground.odata.naming import entity_for_set
from commonground.odata.service_document import service_document
from tests.odata.metadata_models import custom_model, standard

ROOT = "http://127.0.0.1:8765/environments/demo/api/data/v1/"


def test_context_points_at_metadata() -> None:
    document = service_document(standard(), ROOT)
    assert document["@odata.context"] == f"{ROOT}$metadata"


@pytest.mark.parametrize("root", [ROOT, ROOT.rstrip("/")])
def test_root_with_or_without_slash(root: str) -> None:
    assert service_document(standard(), root)["@odata.context"] == f"{ROOT}$metadata"


def test_one_entry_per_entity_set() -> None:
    model = standard()
    entries = service_document(model, ROOT)["value"]
    assert len(entries) == len(model.entities)
    names = [entry["name"] for entry in entries]
    assert len(set(names)) == len(names)
    for entry in entries:
        assert entry == {"name": entry["name"], "kind": "EntitySet", "url": entry["name"]}
        assert entity_for_set(model, entry["name"]) is not None
    assert {"name": "Accounts", "kind": "EntitySet", "url": "Accounts"} in entries
    assert {"name": "SalesOrderLines", "kind": "EntitySet", "url": "SalesOrderLines"} in entries


def test_same_sets_in_the_same_order_as_the_metadata_container() -> None:
    model = custom_model()
    schema = ET.fromstring(csdl_xml(model))
    sets = [s.get("Name") for s in schema.iter(f"{{{EDM_NS}}}EntitySet")]
    names = [e["name"] for e in service_document(model, ROOT)["value"]]
    assert names == sets == ["Bins", "Crates", "Gadgets"]


def test_is_json_and_deterministic() -> None:
    first = json.dumps(service_document(custom_model(), ROOT))
    assert first == json.dumps(service_document(custom_model(reverse=True), ROOT))
