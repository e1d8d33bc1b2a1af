"""Each master-data template's two legs compose to its documented direct mapping.

The comparison is field by field, in the images' order: source field, destination field, map
type and transform chain (tests/p2c/documented_masters.py). Two kinds of rows differ on
purpose, and are compared by what they do instead:

- Truncate: where the image copies (`=`) a Sales name into an F&O column that keeps fewer
  characters (ORGANIZATIONNAME 100, ADDRESSDESCRIPTION 60), or a hub field that does (FullName
  128), our legs cut the text, so a long name arrives shortened instead of failing the record.
  Without its Truncates the row is the documented copy, and the destination is indeed shorter
  than the source.
- IsInactive: the hub keeps Status as the standard Active/Inactive, so statecode goes 0/1 ->
  Active/Inactive -> No/Yes in two value maps; together they give the documented 0/1 -> No/Yes.
"""

from __future__ import annotations

from typing import Any

import pytest

from commonground.apps.definitions import operations_tables, sales_model
from commonground.integration.definitions import FieldMapping, TaskDef
from commonground.integration.mapping.transforms import chain, parse_transforms
from commonground.integration.templates.compose import direct_mapping
from commonground.integration.templates.library import TemplateDef, built_in_templates
from tests.p2c.documented_masters import MASTERS, Documented, Row

TRUNCATED = {
    ("Accounts - Customers", "ORGANIZATIONNAME"),
    ("Accounts - Customers", "ADDRESSDESCRIPTION"),
    ("Accounts - Customers", "DELIVERYADDRESSDESCRIPTION"),
    ("ContactToCustomer", "ADDRESSDESCRIPTION"),
}
SAME_BEHAVIOUR: dict[tuple[str, str], list[Any]] = {
    ("Contacts", "IsInactive"): [0, 1, None],
}
IDS = [d.task for d in MASTERS]


def _template(documented: Documented) -> TemplateDef:
    [template] = [t for t in built_in_templates() if t.name == documented.template]
    return template


def _task(documented: Documented) -> TaskDef:
    [task] = _template(documented).tasks
    return task


@pytest.mark.parametrize("documented", MASTERS, ids=IDS)
def test_the_template_is_listed_as_documented(documented: Documented) -> None:
    template = _template(documented)
    assert template.version == documented.version
    assert template.author == "Common Ground"
    assert template.builtin
    assert template.roles == ["hub", "operations", "sales"]
    assert template.description
    task = _task(documented)
    assert task.name == documented.task
    assert bool(task.filter) is documented.filtered


@pytest.mark.parametrize("documented", MASTERS, ids=IDS)
def test_the_task_runs_through_the_hub(documented: Documented) -> None:
    first, second = _task(documented).legs
    assert f"{first.source}.{first.source_entity}" == documented.source
    assert first.destination == second.source == "hub"
    assert first.destination_entity == second.source_entity
    assert f"{second.destination}.{second.destination_entity}" == documented.destination


@pytest.mark.parametrize("documented", MASTERS, ids=IDS)
def test_the_legs_compose_to_the_documented_direct_mapping(documented: Documented) -> None:
    direct = direct_mapping(_task(documented))
    assert [r.destination for r in direct] == [r.destination for r in documented.rows]
    for row, ours in zip(documented.rows, direct, strict=True):
        assert ours.source == row.source, row.destination
        where = (documented.task, row.destination)
        if where in TRUNCATED:
            _check_truncated(documented, row, ours)
        elif where in SAME_BEHAVIOUR:
            assert ours.map_type == row.map
            assert _apply(ours.transform, SAME_BEHAVIOUR[where]) == _apply(
                row.transform, SAME_BEHAVIOUR[where]
            )
        else:
            assert ours.map_type == row.map, row.destination
            assert ours.transform == row.transform, row.destination


def _check_truncated(documented: Documented, row: Row, ours: FieldMapping) -> None:
    assert row.map == "="
    assert row.transform is None
    kinds = {t["transformType"] for t in ours.transform or []}
    assert kinds == {"Truncate"}
    assert all(set(t) == {"transformType"} for t in ours.transform or [])  # to each length
    assert row.source is not None
    entity = documented.source.split(".")[1]
    source_field = sales_model().entity(entity).field_or_none(row.source)
    assert source_field is not None
    assert source_field.length is not None
    table = documented.destination.split(".")[1]
    [columns] = [t.columns for t in operations_tables() if t.name == table]
    length = columns[row.destination].length
    assert length is not None
    assert length < source_field.length


def _apply(transform: list[dict[str, Any]] | None, samples: list[Any]) -> list[Any]:
    apply = chain(parse_transforms(transform, mapping="test", field="test"))
    assert apply is not None
    return [apply(value) for value in samples]


def test_no_other_template_reuses_the_master_task_names() -> None:
    names = [t.name for t in built_in_templates()]
    assert len(names) == len(set(names))
    for documented in MASTERS:
        assert documented.template in names
