"""Validation and compilation agree: a leg validation passes always compiles, and a leg that
does not compile always has a validation problem (so a run never fails after validation)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.errors import DefinitionError
from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.definitions import FieldMapping, Leg
from commonground.integration.mapping import compile_leg, validate_leg

K = ValueKind

SOURCE = EntityInfo(
    "source",
    (
        FieldInfo("code", K.TEXT),
        FieldInfo("amount", K.DECIMAL),
        FieldInfo("flag", K.BOOLEAN),
        FieldInfo("owner", K.LOOKUP, targets=("worker",)),
        FieldInfo("loose", K.LOOKUP),
    ),
)
DESTINATION = EntityInfo(
    "destination",
    (
        FieldInfo("number", K.TEXT, max_length=10, required=True),
        FieldInfo("total", K.INTEGER),
        FieldInfo("active", K.BOOLEAN),
        FieldInfo("note", K.TEXT),
        FieldInfo("parent", K.LOOKUP, targets=("account", "contact")),
        FieldInfo("orphan", K.LOOKUP),
        FieldInfo("stamp", K.DATETIME, read_only=True),
    ),
)

sources = st.sampled_from(
    [None, "", "code", "CODE", "amount", "flag", "owner", "owner.name", "loose.name", "nope",
     "code.x", "owner.worker(id)", "owner.(", "flag"]
)  # fmt: skip
destinations = st.sampled_from(
    ["number", "total", "active", "note", "parent", "parent.accountnumber", "orphan.key",
     "parent.account(accountnumber).contact(number)", "parent.lead(x)", "note.x", "missing",
     "stamp", " ", "total("]
)  # fmt: skip
transforms = st.sampled_from(
    [
        None,
        [{"transformType": "Default", "defaultValue": "x"}],
        [{"transformType": "ValueMap", "valueMap": {"a": "b", "": "c"}}],
        [{"transformType": "ValueMap", "valueMap": {"a": "b", "A": "c"}}],
        [{"transformType": "Truncate"}],
        [{"transformType": "CountryRegionCode", "format": "alpha3"}],
        [{"transformType": "Nope"}],
        [{"transformType": "Truncate", "length": -1}],
    ]
)
rows = st.builds(
    lambda s, d, t: FieldMapping(source=s, destination=d, transform=t),
    sources,
    destinations,
    transforms,
)
keys = st.sampled_from([None, ["number"], ["NUMBER"], ["total"], ["parent.accountnumber"]])


@settings(max_examples=300)
@given(st.lists(rows, max_size=6), keys)
def test_validation_predicts_compilation(mappings: list[FieldMapping], key: Any) -> None:
    leg = Leg(
        source="a",
        source_entity="source",
        destination="b",
        destination_entity="destination",
        mappings=mappings,
    )
    problems = validate_leg("Task", leg, SOURCE, DESTINATION, key)
    error: DefinitionError | None = None
    try:
        compile_leg(leg, SOURCE, DESTINATION, key)
    except DefinitionError as exc:
        error = exc
    if error is not None:
        assert problems, f"compile failed ({error}) but validation found nothing"
    else:
        # Problems that do not stop compilation (unmapped mandatory fields, type mismatches,
        # a missing key) are for the run to refuse; none of them is a compile error.
        blocking = {"DIPV1022", "DIPV1025", "DIPV1026", "DIPV1023", "CGV1001", "CGV1002"}
        assert not blocking & {p.code for p in problems}, problems
