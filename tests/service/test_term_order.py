"""Filter terms are tested cheapest first: the entity's own columns by their place in the
row, then functions, lookups and any/all in the order given; the records read are the same."""

from __future__ import annotations

import pytest

from commonground.query import F, Query
from commonground.query.expressions import Binary, Expr
from commonground.service.environment import Environment
from commonground.store.query import cheap_terms_first
from tests.fixtures.fix_environments import TrackingEnvironments, new_environment_name
from tests.odata.printer import to_odata


@pytest.fixture(scope="module")
def env(module_envs: TrackingEnvironments) -> Environment:
    return module_envs.create(new_environment_name())


def ordered(env: Environment, where: Expr) -> str:
    """The reordered filter's top chain, its terms joined by the chain's operator."""
    query = cheap_terms_first(env.db, env.model, Query("Account", where=where))
    assert query.where is not None
    op = query.where.op if isinstance(query.where, Binary) else "and"
    return f" {op} ".join(to_odata(term) for term in chain(query.where, op))


def chain(expr: Expr, op: str) -> list[Expr]:
    if isinstance(expr, Binary) and expr.op == op:
        return [*chain(expr.left, op), *chain(expr.right, op)]
    return [expr]


def test_an_early_column_is_tested_before_a_late_one(env):
    # Status is stored after EmployeeCount in an Account row.
    where = (F.Status == "Active") & (F.EmployeeCount >= 10)
    assert ordered(env, where) == "EmployeeCount ge 10 and Status eq 'Active'"


def test_or_chains_are_ordered_too_and_nested_chains_on_their_own(env):
    assert ordered(env, (F.Status == "Active") | (F.EmployeeCount < 5)) == (
        "EmployeeCount lt 5 or Status eq 'Active'"
    )
    # A nested chain costs as much as its latest column: a tie keeps the order given.
    where = (F.Status == "Inactive") | ((F.Status == "Active") & (F.EmployeeCount < 5))
    assert ordered(env, where) == (
        "Status eq 'Inactive' or EmployeeCount lt 5 and Status eq 'Active'"
    )


def test_functions_and_lookup_paths_come_last_in_the_order_given(env):
    guard = F.FullName.startswith("C")
    through = F("PrimaryContact/FullName") == "Ann"
    where = guard & through & (F.Status == "Active")
    assert ordered(env, where) == (
        "Status eq 'Active' and startswith(FullName, 'C') and PrimaryContact/FullName eq 'Ann'"
    )


def test_compound_parts_take_their_column_place(env):
    where = (F("MailingPostalAddress/City") == "Oslo") & (F.EmployeeCount > 1)
    first = ordered(env, where).split(" and ")[0]
    places = [c.name for c in env.db.table("Account").columns]
    earlier = min(places.index("MailingPostalAddress_City"), places.index("EmployeeCount"))
    assert first.startswith(places[earlier].replace("_", "/"))


def test_a_filter_without_chains_is_left_as_it_is(env):
    assert ordered(env, F.Status == "Active") == "Status eq 'Active'"
    assert cheap_terms_first(env.db, env.model, Query("Account")).where is None
