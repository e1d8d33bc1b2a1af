"""Load entity and picklist definitions from YAML, with errors that name file and line.

YAML is composed into nodes first, so that every mapping key and list item keeps the line it
came from; when pydantic rejects a value, its error location is mapped back to that line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from commonground.errors import DefinitionError, SourceLocation
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.picklist import Picklist

Lines = dict[tuple[str | int, ...], int]
ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_yaml(text: str, source: str) -> tuple[Any, Lines]:
    """Parse YAML text into plain data plus a map from each value's path to its line (1-based)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(f"malformed YAML: {problem}", SourceLocation(source, line)) from exc
    lines: Lines = {}
    if node is None:
        return None, lines
    return _to_data(node, (), lines, source), lines


def _to_data(node: yaml.Node, path: tuple[str | int, ...], lines: Lines, source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                where = SourceLocation(source, key_node.start_mark.line + 1)
                raise DefinitionError(f"key '{key}' appears twice", where)
            out[key] = _to_data(value_node, (*path, key), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _line_of(loc: tuple[str | int, ...], lines: Lines, data: Any) -> int | None:
    """The line of the deepest known path along a pydantic error location."""
    path = _data_path(loc, data)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _data_path(loc: tuple[str | int, ...], data: Any) -> tuple[str | int, ...]:
    """Translate a pydantic location into a path in the YAML data.

    Entity fields are written as a mapping `{Name: {...}}` but validated as a list, so the
    location ("fields", 3, "max_length") becomes ("fields", "<fourth name>", "max_length").
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, int):
            keys = list(node)
            if part < len(keys):
                path.append(keys[part])
                node = node[keys[part]]
                continue
        in_mapping = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_mapping or in_list):
            break
        node = node[part]
        path.append(part)
    return tuple(path)


MENTIONS = (
    (re.compile(r"field group '(\w+)'"), "field_groups"),
    (re.compile(r"key '(\w+)'"), "keys"),
    (re.compile(r"field '(\w+)'"), "fields"),
    (re.compile(r"primary_name '(\w+)'"), "primary_name"),
)


def _location_in_message(message: str) -> tuple[str | int, ...]:
    """Where a whole-entity check points: the field, key or group its message names."""
    for pattern, section in MENTIONS:
        found = pattern.search(message)
        if found:
            return (section,) if section == "primary_name" else (section, found[1])
    return ()


def build(model: type[ModelT], data: Any, lines: Lines, source: str) -> ModelT:
    """Validate data into a model, turning the first pydantic error into a DefinitionError."""
    if not isinstance(data, dict):
        raise DefinitionError(
            f"expected a mapping for a {model.__name__}", SourceLocation(source, 1)
        )
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"]) or _location_in_message(first["msg"])
        named = ".".join(str(p) for p in _data_path(loc, data)) or model.__name__
        message = first["msg"].removeprefix("Value error, ")
        raise DefinitionError(
            f"{named}: {message}", SourceLocation(source, _line_of(loc, lines, data))
        ) from exc


def load_entity(text: str, source: str, *, standard: bool = False) -> Entity:
    """An Entity from YAML text; `standard` marks the entities shipped with the product."""
    data, lines = parse_yaml(text, source)
    if standard and isinstance(data, dict):
        data["standard"] = True
    return build(Entity, data, lines, source)


def load_picklists(text: str, source: str, *, standard: bool = False) -> list[Picklist]:
    """Picklists from YAML text: one picklist, or `picklists: {Name: {...} | [items]}`."""
    data, lines = parse_yaml(text, source)
    if isinstance(data, dict) and "picklists" in data:
        group = data["picklists"]
        if not isinstance(group, dict):
            raise DefinitionError("'picklists' must be a mapping", SourceLocation(source, 1))
        out = []
        for name, body in group.items():
            props = body if isinstance(body, dict) else {"items": body}
            item_lines = {p[2:]: n for p, n in lines.items() if p[:2] == ("picklists", name)}
            out.append(
                build(Picklist, {"name": name, "standard": standard, **props}, item_lines, source)
            )
        return out
    if standard and isinstance(data, dict):
        data["standard"] = True
    return [build(Picklist, data, lines, source)]


def read_entity_file(path: Path) -> Entity:
    """An Entity from a YAML file."""
    return load_entity(path.read_text(encoding="utf-8"), str(path))


def _standard_files(folder: str) -> Iterator[tuple[str, str]]:
    root = resources.files("commonground.model").joinpath("standard", folder)
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".yaml", ".yml")):
            yield f"standard/{folder}/{item.name}", item.read_text(encoding="utf-8")


def standard_picklists() -> list[Picklist]:
    """The standard picklists shipped with the product."""
    out: list[Picklist] = []
    for source, text in _standard_files("picklists"):
        out.extend(load_picklists(text, source, standard=True))
    return out


def standard_entities() -> list[Entity]:
    """The standard entities shipped with the product, one YAML file each."""
    out = []
    for source, text in _standard_files("entities"):
        out.append(load_entity(text, source, standard=True))
    return out


@cache
def standard_model() -> DataModel:
    """The standard entities and picklists, checked together (read once: models are immutable)."""
    return DataModel(standard_entities(), standard_picklists())
