"""The direct mapping a two-leg task amounts to: source > hub > destination as one mapping.

Each destination row of the second leg is traced back through the hub field it reads to the
first leg's row that writes that field: the direct row has the first leg's source and the two
transform chains one after the other. A second-leg row with no source (a constant) stays one.
Used to show a task as the original's "Source > Destination" page, and by the tests that
prove each template's two legs give exactly its documented direct mapping.
"""

from __future__ import annotations

from commonground.errors import DefinitionError
from commonground.integration.definitions import FieldMapping, TaskDef


def direct_mapping(task: TaskDef) -> list[FieldMapping]:
    """The task's mapping from its first source to its last destination."""
    if len(task.legs) == 1:
        return list(task.legs[0].mappings)
    first, second = task.legs
    into_hub = {m.destination.lower(): m for m in first.mappings}
    rows: list[FieldMapping] = []
    for row in second.mappings:
        if row.source is None:
            rows.append(row)
            continue
        feeding = into_hub.get(row.source.lower())
        if feeding is None:
            raise DefinitionError(
                f"task '{task.name}': hub field {row.source} that {row.destination} reads is "
                "written by no row of the first leg"
            )
        chain = [*(feeding.transform or []), *(row.transform or [])]
        rows.append(
            FieldMapping(
                source=feeding.source, destination=row.destination, transform=chain or None
            )
        )
    return rows
