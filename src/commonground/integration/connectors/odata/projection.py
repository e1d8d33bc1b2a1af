"""Which fields a read asks for, as `$select`/`$expand`, and JSON rows back as typed records.

A field is a property, a lookup (its value is the related key, read from the lookup's
constrained property) or `lookup.keyfield`, read with `$expand=lookup($select=keyfield)` and
returned under the dotted name. Names match case-insensitively and come back in the
service's spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from commonground.integration.connectors.files.columns import Column
from commonground.integration.connectors.odata.metadata import EntitySet
from commonground.integration.connectors.shared import fingerprint
from commonground.integration.contracts import SchemaError, ValueKind

Record = dict[str, Any]
Reader = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Projection:
    """The query options of a read and how each row becomes a record."""

    select: tuple[str, ...] | None  # None: every property
    expand: dict[str, tuple[str, ...]]  # lookup -> fields of its target
    readers: dict[str, Reader]  # field name as returned -> how it is read from a row

    @property
    def params(self) -> dict[str, str]:
        """`$select` and `$expand` for these fields."""
        params: dict[str, str] = {}
        if self.select is not None:
            params["$select"] = ",".join(self.select)
        if self.expand:
            params["$expand"] = ",".join(
                f"{name}($select={','.join(fields)})" for name, fields in self.expand.items()
            )
        return params

    def record(self, row: dict[str, Any]) -> Record:
        """One typed record from a JSON row."""
        return {name: read(row) for name, read in self.readers.items()}


def stamp_of(row: dict[str, Any], record: Record) -> str:
    """A row's stored-state token: its ETag when the service gives one, else a hash."""
    etag = row.get("@odata.etag")
    return str(etag) if etag else fingerprint(record)


def project(
    entity: EntitySet,
    fields: Sequence[str] | None,
    target: Callable[[str], EntitySet],
    extra: Sequence[str] = (),
) -> Projection:
    """The projection of some fields of an entity (every field when `fields` is None).

    `extra` names properties the read needs for itself (cursor, key): selected, not returned.
    """
    wanted = [f.name for f in entity.info.fields] if fields is None else list(fields)
    select: list[str] = []
    expand: dict[str, list[str]] = {}
    readers: dict[str, Reader] = {}
    for name in wanted:
        head, dot, rest = name.partition(".")
        lookup = entity.lookup(head)
        if dot and lookup is not None:
            related = target(lookup.target)
            keyfield = _property(related, rest)
            expand.setdefault(lookup.name, []).append(keyfield)
            readers[name] = _related(lookup.name, keyfield, related.kinds[keyfield])
        elif lookup is not None and not dot:
            select.append(lookup.value_property)
            readers[lookup.name] = _reader(
                lookup.value_property, entity.kinds[lookup.value_property]
            )
        else:
            prop = _property(entity, name)
            select.append(prop)
            readers[prop] = _reader(prop, entity.kinds[prop])
    select += [_property(entity, e) for e in extra]
    if not select:  # only related fields: an empty $select would be invalid
        select = list(entity.key)
    return Projection(
        None if fields is None else tuple(dict.fromkeys(select)),
        {k: tuple(dict.fromkeys(v)) for k, v in expand.items()},
        readers,
    )


def _property(entity: EntitySet, name: str) -> str:
    wanted = name.lower()
    found = next((p for p in entity.kinds if p.lower() == wanted), None)
    if found is None:
        raise SchemaError(f"{entity.info.name} has no property '{name}'")
    return found


def _reader(name: str, kind: ValueKind) -> Reader:
    column = Column(name, kind)
    return lambda row: column.convert(row.get(name))


def _related(lookup: str, name: str, kind: ValueKind) -> Reader:
    column = Column(name, kind)

    def read(row: dict[str, Any]) -> Any:
        related = row.get(lookup)
        return column.convert(related.get(name)) if isinstance(related, dict) else None

    return read
