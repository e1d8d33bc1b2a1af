"""Loading the sample applications' definitions from the YAML files of this package."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commonground.errors import DefinitionError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.field import Field as ModelField
from commonground.model.yaml_loader import build, load_entity, parse_yaml, standard_model


def _files(folder: str) -> Iterator[tuple[str, str]]:
    root = resources.files("commonground.apps").joinpath(folder)
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            yield f"apps/{folder}/{item.name}", item.read_text(encoding="utf-8")


@cache
def sales_model() -> DataModel:
    """The Sales app's entities (Dataverse logical names), one YAML file each."""
    return DataModel([load_entity(text, source) for source, text in _files("sales")], [])


class HubExtension(BaseModel):
    """Custom fields the scenario adds to one standard hub entity."""

    model_config = ConfigDict(extra="forbid")

    entity: str
    fields: dict[str, dict[str, object]]
    keys: dict[str, list[str]] = Field(default_factory=dict)


@cache
def hub_model() -> DataModel:
    """The standard model with the scenario's custom fields and keys added."""
    standard = standard_model()
    entities = {e.name: e for e in standard.entities}
    for source, text in _files("hub"):
        data, lines = parse_yaml(text, source)
        extension = build(HubExtension, data, lines, source)
        base = entities.get(extension.entity)
        if base is None:
            raise DefinitionError(f"{source}: no standard entity '{extension.entity}'")
        added = [ModelField.model_validate({"name": n, **p}) for n, p in extension.fields.items()]
        entities[base.name] = Entity.model_validate(
            {
                **base.model_dump(exclude={"fields", "keys"}),
                "fields": [*base.fields, *added],
                "keys": {**base.keys, **extension.keys},
            }
        )
    return DataModel(list(entities.values()), list(standard.picklists))


class Column(BaseModel):
    """One column of an Operations table."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern="^(text|integer|decimal|boolean|date|datetime)$")
    length: int | None = None
    scale: int | None = None
    required: bool = False


class Table(BaseModel):
    """One Finance and Operations data entity, kept as a table of the Operations database."""

    model_config = ConfigDict(extra="forbid")

    name: str  # technical name, e.g. CustCustomerV2Entity
    display_name: str  # as the templates show it, e.g. Customers V2
    key: list[str]  # within a company (dataAreaId is added)
    columns: dict[str, Column]


@cache
def operations_tables() -> list[Table]:
    """The Operations app's tables, one YAML file each."""
    tables = []
    for source, text in _files("operations"):
        try:
            tables.append(Table.model_validate(yaml.safe_load(text)))
        except (ValidationError, yaml.YAMLError) as exc:
            raise DefinitionError(f"{source}: {exc}") from exc
    return tables
