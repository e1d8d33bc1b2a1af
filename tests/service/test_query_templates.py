"""Query templates: a query whose shape was read before reuses its compiled SELECT with its
own values, and must read exactly what a SELECT compiled for it alone reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.model.field import Field
from commonground.query import F, Order, Query
from commonground.query.expressions import Binary, Expr, In, Literal, Path, Unary
from commonground.service.environment import Environment
from commonground.store.query import compile_query, query_shape
from tests.fixtures.fix_environments import TrackingEnvironments, new_environment_name
from tests.fixtures.records import account


@pytest.fixture(scope="module")
def data(module_envs: TrackingEnvironments) -> Environment:
    env = module_envs.create(new_environment_name())
    env.create(
        "Account",
        [
            account(
                f"Account {i}",
                EmployeeCount=None if i % 7 == 0 else i * 10,
                Status="Inactive" if i % 3 == 0 else "Active",
                Birthdate=date(1980 + i, 1 + i % 12, 1 + i % 28),
                CreditLimitAmount={"Amount": Decimal(i * 125) / 10, "CurrencyCode": "USD"},
            )
            for i in range(1, 30)
        ],
    )
    return env


def direct(env: Environment, query: Query) -> list[Any]:
    """What a SELECT compiled for this query alone reads (no template)."""
    statement, fields = compile_query(env.db, env.model, query, env.reader.coerce)
    codec = env.reader.codec(env.model.entity(query.entity))
    with env.reading() as conn:
        return codec.decode_rows(fields, conn.execute(statement))


def test_same_shape_with_other_values_reads_other_records(data):
    names = []
    for least in (100, 200, 250):
        query = Query("Account", select=("FullName",), where=F.EmployeeCount >= least, top=3)
        names.append([r["FullName"] for r in data.query(query)])
    assert names == [
        ["Account 10", "Account 11", "Account 12"],
        ["Account 20", "Account 22", "Account 23"],
        ["Account 25", "Account 26", "Account 27"],
    ]


def shaped(where: Expr) -> tuple[Any, list[Any]]:
    found = query_shape(Query("Account", where=where))
    assert found is not None
    return found


def test_shape_lists_literals_in_compile_order_and_ignores_their_values():
    first = shaped((F.Status == "Active") & (F.EmployeeCount > 5))
    second = shaped((F.Status == "Other") & (F.EmployeeCount > 9))
    assert first[0] == second[0]
    assert (first[1], second[1]) == (["Active", 5], ["Other", 9])
    assert shaped(F.EmployeeCount > 5.5)[0] != first[0]


def test_null_literal_and_functions_are_their_own_shapes():
    assert shaped(F.EmployeeCount.is_null())[0] != shaped(F.EmployeeCount == 1)[0]
    assert query_shape(Query("Account", where=F.FullName.startswith("a"))) is None


def test_an_in_list_of_values_is_one_parameter_whatever_its_length():
    two, three = shaped(F.FullName.in_(["a", "b"])), shaped(F.FullName.in_(["c", "d", "e"]))
    assert two[0] == three[0]
    assert (two[1], three[1]) == ([["a", "b"]], [["c", "d", "e"]])
    assert query_shape(Query("Account", where=F.FullName.in_([F.AccountId]))) is None


def test_in_lists_of_other_lengths_read_their_own_records(data):
    for names in (["Account 1", "Account 2"], ["Account 5"], ["Account 3", "x", "Account 9"]):
        query = Query("Account", select=("FullName",), where=F.FullName.in_(names))
        assert sorted(r["FullName"] for r in data.query(query)) == sorted(set(names) - {"x"})


def test_top_and_skip_are_values_of_the_template(data):
    ordered = Query("Account", select=("FullName",), order_by=(Order("FullName"),))
    everything = [r["FullName"] for r in data.query(ordered)]
    for top, skip in ((2, 1), (3, 5), (1, 9)):
        page = Query(
            "Account", select=("FullName",), order_by=(Order("FullName"),), top=top, skip=skip
        )
        assert [r["FullName"] for r in data.query(page)] == everything[skip : skip + top]


def test_a_bad_literal_is_refused_by_a_template_as_by_a_first_compile(data):
    data.query(Query("Account", where=F.Birthdate < "1990-01-01"))
    with pytest.raises(ValueError, match="Birthdate"):
        data.query(Query("Account", where=F.Birthdate < "not a date"))


def test_an_added_field_is_read_by_a_shape_read_before(env):
    env.create("Account", [account("Contoso", EmployeeCount=5)])
    query = Query("Account", where=F.EmployeeCount > 1)
    assert "LoyaltyTier" not in env.query(query)[0]
    env.add_field("Account", Field.model_validate({"name": "LoyaltyTier", "type": "Text"}))
    assert env.query(query)[0]["LoyaltyTier"] is None


# -- property: a template reads what a direct compile reads, for any values -----------------

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "EmployeeCount": st.integers(-10, 320),
    "Status": st.sampled_from(["Active", "Inactive", "active", 0, 1]),
    "Birthdate": st.dates(date(1975, 1, 1), date(2015, 1, 1)),
    "FullName": st.sampled_from(["Account 1", "Account 15", "Account 3", "B", ""]),
}
AMOUNT = Path(("CreditLimitAmount", "Amount"))


@st.composite
def comparisons(draw: st.DrawFn) -> Expr:
    name = draw(st.sampled_from([*VALUES, "Amount", "Arithmetic", "In"]))
    op = draw(st.sampled_from(COMPARISONS))
    if name == "Amount":
        amount = draw(st.decimals(0, 400, places=2))
        return Binary(op, AMOUNT, Literal(amount))
    if name == "In":
        field = draw(st.sampled_from(sorted(VALUES)))
        values = draw(st.lists(st.one_of(st.none(), VALUES[field]), min_size=1, max_size=4))
        return In(Path((field,)), tuple(Literal(v) for v in values))
    if name == "Arithmetic":
        term = Binary("mul", Path(("EmployeeCount",)), Literal(draw(st.integers(1, 4))))
        return Binary(op, term, Literal(draw(st.integers(0, 900))))
    value = draw(st.one_of(st.none(), VALUES[name])) if op in ("eq", "ne") else draw(VALUES[name])
    return Binary(op, Path((name,)), Literal(value))


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(Binary, st.sampled_from(["and", "or"]), inner, inner),
        st.builds(Unary, st.just("not"), inner),
    ),
    max_leaves=4,
)


@settings(max_examples=150, deadline=None)
@given(
    where=conditions,
    top=st.one_of(st.none(), st.integers(0, 12)),
    skip=st.one_of(st.none(), st.integers(0, 12)),
)
def test_template_reads_what_a_direct_compile_reads(data, where, top, skip):
    query = Query("Account", select=("FullName", "EmployeeCount"), where=where, top=top, skip=skip)
    assert data.query(query) == direct(data, query)
