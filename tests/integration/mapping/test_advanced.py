"""The advanced query: DuckDB SELECT over the batch as `source`, its output columns, its limits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from commonground.errors import DefinitionError
from commonground.integration.contracts import EntityInfo, FieldInfo, ValueKind
from commonground.integration.mapping import (
    QueryError,
    check_query,
    output_fields,
    query_entity,
    run_advanced_query,
)

K = ValueKind

SOURCE = EntityInfo(
    "msdyn_estimatelines",
    (
        FieldInfo("msdyn_name", K.TEXT, max_length=100),
        FieldInfo("msdyn_islinetask", K.BOOLEAN),
        FieldInfo("msdyn_amount", K.DECIMAL),
        FieldInfo("msdyn_hours", K.FLOAT),
        FieldInfo("msdyn_date", K.DATE),
        FieldInfo("msdyn_project", K.LOOKUP, targets=("msdyn_project",)),
        FieldInfo("msdyn_category", K.TEXT),
    ),
    keys=(("msdyn_name",),),
)

RECORDS = [
    {
        "msdyn_name": "L1",
        "msdyn_islinetask": False,
        "msdyn_amount": Decimal("10.50"),
        "msdyn_hours": 1.5,
        "msdyn_date": date(2024, 1, 2),
        "msdyn_project": 7,
        "msdyn_category": "Travel",
    },
    {
        "msdyn_name": "L2",
        "msdyn_islinetask": True,
        "msdyn_amount": Decimal("3"),
        "msdyn_hours": 2.0,
        "msdyn_date": date(2024, 1, 3),
        "msdyn_project": 8,
        "msdyn_category": None,
    },
]

PSA_QUERY = """
select *, 'FM-1' as forecastmodel
from source
where not msdyn_islinetask and msdyn_category is not null
"""


def test_query_filters_and_adds_a_constant_column() -> None:
    out = run_advanced_query(PSA_QUERY, RECORDS)
    assert out == [RECORDS[0] | {"forecastmodel": "FM-1"}]


def test_query_keeps_python_values() -> None:
    stamp = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    guid = UUID("12345678-1234-5678-1234-567812345678")
    out = run_advanced_query(
        "select *, amount * 2 as doubled from source",
        [{"amount": Decimal("1.25"), "at": stamp, "id": guid, "mixed": 1}, {"mixed": "x"}],
    )
    assert out[0]["doubled"] == Decimal("2.50")
    assert out[0]["at"] == stamp
    assert str(out[0]["id"]) == str(guid)
    assert [r["mixed"] for r in out] == ["1", "x"]  # a column arrow cannot type becomes text


def test_empty_batch_gives_no_records() -> None:
    assert run_advanced_query("select * from source", []) == []


def test_output_fields_keep_passed_through_fields_and_describe_new_ones() -> None:
    query = """
        select msdyn_name, msdyn_project, msdyn_amount,
               case when msdyn_hours > 1 then 'long' else 'short' end as duration,
               cast(msdyn_amount as integer) as whole, msdyn_hours > 1 as is_long,
               msdyn_date + 1 as next_day
        from source
    """
    fields = {f.name: f for f in output_fields(query, SOURCE)}
    assert fields["msdyn_name"] == SOURCE.fields[0]  # max_length kept
    assert fields["msdyn_project"] == SOURCE.fields[5]  # a lookup stays a lookup
    assert fields["msdyn_amount"].kind is K.DECIMAL
    assert fields["duration"] == FieldInfo("duration", K.TEXT)
    assert fields["whole"].kind is K.INTEGER
    assert fields["is_long"].kind is K.BOOLEAN
    assert fields["next_day"].kind is K.DATE
    assert list(fields) == [
        "msdyn_name",
        "msdyn_project",
        "msdyn_amount",
        "duration",
        "whole",
        "is_long",
        "next_day",
    ]


def test_a_field_whose_kind_the_query_changes_is_described_anew() -> None:
    (field,) = output_fields(
        "select cast(msdyn_amount as varchar) as msdyn_amount from source", SOURCE
    )
    assert field == FieldInfo("msdyn_amount", K.TEXT)


def test_query_entity_replaces_the_fields_only() -> None:
    entity = query_entity("select msdyn_name from source", SOURCE)
    assert entity.name == SOURCE.name
    assert entity.keys == SOURCE.keys
    assert [f.name for f in entity.fields] == ["msdyn_name"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("delete from source", "only a SELECT is allowed, not DELETE"),
        ("insert into source values (1)", "only a SELECT is allowed, not INSERT"),
        ("copy (select 1) to 'out.csv'", "only a SELECT is allowed, not COPY"),
        ("attach 'x.db'", "only a SELECT is allowed, not ATTACH"),
        ("select 1; select 2", "expected one SELECT statement, found 2"),
        ("", "expected one SELECT statement, found 0"),
        ("selec * from source", "syntax error"),
    ],
)
def test_only_one_select_is_accepted(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        check_query(query, task="Estimates")
    with pytest.raises(QueryError, match="advanced query of task Estimates failed"):
        output_fields(query, SOURCE, task="Estimates")


def test_errors_name_the_query_and_duckdb_message() -> None:
    with pytest.raises(QueryError) as info:
        run_advanced_query("select nope from source", RECORDS, task="Estimates")
    text = str(info.value)
    assert "advanced query of task Estimates failed" in text
    assert 'column "nope" not found' in text
    assert "(query: select nope from source)" in text
    assert isinstance(info.value, DefinitionError)


def test_queries_cannot_reach_files() -> None:
    with pytest.raises(QueryError, match="disabled by configuration"):
        run_advanced_query("select * from read_csv('/etc/passwd')", RECORDS)


def test_long_queries_are_shortened_in_messages() -> None:
    query = "select nope, " + ", ".join(f"msdyn_name as c{i}" for i in range(100)) + " from source"
    with pytest.raises(QueryError) as info:
        run_advanced_query(query, RECORDS)
    assert str(info.value).endswith("...)")
    assert info.value.query == query
