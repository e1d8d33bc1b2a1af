"""Checking that every destination holds exactly what its source says it should.

For each leg of each task, the source's records (with the task's filters) are mapped with the
leg's own mapping, their lookups resolved in the destination, and compared field by field with
the destination's records of the same keys: counts, key sets, and a checksum of the mapped
fields on both sides. Records the mapping itself rejects (a key missing, a lookup that does
not exist) are counted apart: the run reported them as errors and wrote nothing for them.
So are echoes: records the integrator itself wrote into the source from that very
destination, unchanged since, which a two-way flow rightly does not send back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from commonground.integration.contracts import Connector, ReadRequest
from commonground.integration.definitions import Leg, ProjectDef
from commonground.integration.engine.state import RunState
from commonground.integration.integrator import Integrator
from commonground.integration.mapping import compile_leg
from commonground.integration.registry import open_connector


@dataclass
class LegCheck:
    """One leg's comparison."""

    project: str
    task: str
    step: str
    expected: int = 0
    matched: int = 0
    missing: int = 0
    different: int = 0
    rejected: int = 0
    echoes: int = 0
    source_checksum: str = ""
    destination_checksum: str = ""
    examples: list[str] = field(default_factory=list)  # the first differences, explained

    @property
    def ok(self) -> bool:
        """Everything the source says arrived, unchanged."""
        return self.missing == 0 and self.different == 0


def _plain(value: Any) -> Any:
    """A value in a form that compares equal across systems (1 = True, 10.50 = 10.5)."""
    if value is None:
        return None
    if isinstance(value, dict):  # a compound value written through one part (an amount)
        parts = [v for v in value.values() if v is not None]
        return _plain(parts[0]) if len(parts) == 1 else repr(sorted(value.items()))
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(Decimal(str(value)).normalize())
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:  # an ISO date or date-time written as text (a Default transform's constant)
            return _plain(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


class _Checksum:
    """A checksum of (key, row) pairs that does not depend on their order: the sum of their
    digests. Rows are added as they are read, so a leg of any size is checked in flat memory.
    """

    def __init__(self) -> None:
        self._sum = 0

    def add(self, key: str, row: dict[str, Any]) -> None:
        digest = hashlib.sha256(repr((key, sorted(row.items()))).encode()).digest()
        self._sum = (self._sum + int.from_bytes(digest)) % (1 << 256)

    def hexdigest(self) -> str:
        return f"{self._sum:064x}"[:16]


def verify_project(integrator: Integrator, project: ProjectDef) -> list[LegCheck]:
    """Compare every leg of a project's tasks (see the module docstring)."""
    definitions = integrator.definitions
    links = definitions.connection_set(project.connection_set)
    organizations = (
        links.organizations[project.organization] if project.organization is not None else {}
    )
    connectors: dict[str, Connector] = {}
    try:
        for role in links.connections:
            connection = definitions.connection(links.connections[role], reveal=True)
            connectors[role] = open_connector(connection.kind, connection.settings)
        checks = []
        for task in project.tasks:
            for index, leg in enumerate(task.legs):
                source, destination = connectors[leg.source], connectors[leg.destination]
                key = links.key_for(leg.destination, leg.destination_entity) or []
                source_key = links.key_for(leg.source, leg.source_entity) or []
                step = f"{leg.source}.{leg.source_entity} > "
                step += f"{leg.destination}.{leg.destination_entity}"
                check = LegCheck(project.name, task.name, step)
                route = _Route(
                    source,
                    destination,
                    integrator.state,
                    f"{links.connections[leg.source]}",
                    f"{links.connections[leg.destination]}/{leg.destination_entity}",
                    organizations.get(leg.source),
                    organizations.get(leg.destination),
                )
                _compare(
                    check,
                    route,
                    leg,
                    key,
                    source_key,
                    task.source_filter(index),
                )
                checks.append(check)
        return checks
    finally:
        for connector in connectors.values():
            connector.close()


@dataclass(frozen=True)
class _Route:
    """The two ends of a leg and what the integrator remembers of its writes."""

    source: Connector
    destination: Connector
    state: RunState
    source_connection: str
    destination_address: str
    source_org: str | None
    destination_org: str | None

    def echoes(
        self, entity: str, records: list[dict[str, Any]], stamps: list[str] | None, key: list[str]
    ) -> list[bool]:
        """Which records the integrator wrote into the source from this destination."""
        if stamps is None:
            return [False] * len(records)
        return self.state.echoes(
            self.source_connection, entity, records, stamps, key, self.destination_address
        )


def _compare(
    check: LegCheck,
    route: _Route,
    leg: Leg,
    key: list[str],
    source_key: list[str],
    filter_text: str | None,
) -> None:
    source, destination = route.source, route.destination
    source_org, destination_org = route.source_org, route.destination_org
    source_info = source.describe(leg.source_entity)
    destination_info = destination.describe(leg.destination_entity)
    plan = compile_leg(leg, source_info, destination_info, key)
    fields = list(dict.fromkeys([*plan.read_fields(), *source_key]))
    request = ReadRequest(
        leg.source_entity, fields=fields, filter=filter_text, organization=source_org, stamps=True
    )
    expected, actual = _Checksum(), _Checksum()
    for batch in source.read(request):
        echoes = route.echoes(leg.source_entity, batch.records, batch.stamps, source_key)
        records = [r for r, echo in zip(batch.records, echoes, strict=True) if not echo]
        check.echoes += len(batch.records) - len(records)
        plan.fill_related(records, source.fetch)
        mapped = plan.apply(records)

        def resolve(entity: str, names: list[str], values: list[tuple[Any, ...]]) -> Any:
            return destination.resolve(entity, names, values, destination_org)

        plan.resolve_lookups(mapped, resolve)
        check.rejected += len(records) - len(mapped.records)
        if not mapped.records:
            continue
        values = [tuple(r.get(k) for k in key) for r in mapped.records]
        references = destination.resolve(leg.destination_entity, key, values, destination_org)
        names = sorted({f for r in mapped.records for f in r})
        stored = destination.fetch(leg.destination_entity, list(set(references.values())), names)
        for record, value in zip(mapped.records, values, strict=True):
            label = repr(tuple(_plain(v) for v in value))
            want = {f: _plain(v) for f, v in record.items()}
            expected.add(label, want)
            check.expected += 1
            reference = references.get(value)
            row = stored.get(reference) if reference is not None else None
            if row is None:
                check.missing += 1
                continue
            have = {f: _plain(row.get(f)) for f in record}
            actual.add(label, have)
            if have == want:
                check.matched += 1
                continue
            check.different += 1
            if len(check.examples) < 3:
                fields = [f for f in want if have.get(f) != want[f]]
                shown = ", ".join(f"{f}: {have.get(f)!r} (expected {want[f]!r})" for f in fields)
                check.examples.append(f"{label} {shown}")
    check.source_checksum = expected.hexdigest()
    check.destination_checksum = actual.hexdigest()
