"""Matching a large batch by one index range scan gives the same answer as a seek per key."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.service.environment import Environment
from commonground.service.writes import Outcome
from commonground.store import records as rows_store
from tests.fixtures.records import account


def accounts(keys: list[str], revision: int = 0) -> list[dict[str, object]]:
    return [account(f"Firm {k} r{revision}", AccountId=k) for k in keys]


def test_dense_sparse_and_first_batches_match_like_seeks(env: Environment) -> None:
    dense = [f"K{n:05d}" for n in range(400)]
    first = env.upsert("Account", accounts(dense))
    assert first.inserted == 400
    # Interleaved keys: the next batch's range holds many rows it did not ask for.
    spread = [f"K{n:05d}x" for n in range(0, 400, 1)]
    assert env.upsert("Account", accounts(spread)).inserted == 400
    mixed = dense[::2] + [f"N{n:05d}" for n in range(300)]
    changed = accounts(dense[::4], 1) + accounts(dense[2::4]) + accounts(mixed[200:])
    result = env.upsert("Account", changed)
    assert result.updated == 100
    assert result.unchanged == 100
    assert result.inserted == 300
    assert result.outcomes[:100] == [Outcome.UPDATED] * 100


def test_range_and_seek_paths_return_the_same_rows(env: Environment) -> None:
    keys = [f"R{n:05d}" for n in range(0, 1000, 3)]
    env.upsert("Account", accounts(keys))
    table = env.db.table("Account")
    asked = [(f"R{n:05d}",) for n in range(0, 1000, 2)]
    with env.db.read() as conn:
        ranged = rows_store._fetch_by_range(
            conn, table, "AccountId", asked, ["RecordId", "FullName"]
        )
        seeks = rows_store.fetch_by_values(
            conn, table, ["AccountId"], asked[:200], ["RecordId", "FullName"]
        )
    expected = {(f"R{n:05d}",) for n in range(0, 1000, 6)}
    if ranged is not None:
        assert {row[:1] for row in ranged} == expected
    assert {row[:1] for row in seeks} == {k for k in expected if k in set(asked[:200])}


numbers = itertools.count()
FETCHED = ["RecordId", "FullName"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    stored=st.sets(st.integers(0, 999), max_size=300),
    asked=st.sets(st.integers(0, 999), min_size=1, max_size=400),
)
def test_range_probe_in_list_and_pairs_find_the_same_rows(
    env: Environment, stored: set[int], asked: set[int]
) -> None:
    prefix = f"H{next(numbers)}-"
    names = {n: f"{prefix}{n:04d}" for n in stored | asked}
    if stored:
        env.upsert("Account", accounts([names[n] for n in sorted(stored)]))
    table = env.db.table("Account")
    keys = {names[n] for n in asked}
    pairs = [(names[n], f"Firm {names[n]} r0") for n in asked]
    with env.db.read() as conn:
        ranged = rows_store._fetch_by_range(conn, table, "AccountId", keys, FETCHED)
        listed = rows_store._fetch_by_in(conn, table, ["AccountId"], [(k,) for k in keys], FETCHED)
        chosen = rows_store.fetch_by_keys(conn, table, "AccountId", keys, FETCHED)
        by_pairs = rows_store.fetch_by_values(conn, table, ["AccountId", "FullName"], pairs, [])
    expected = sorted(names[n] for n in stored & asked)
    assert sorted(row[0] for row in listed) == expected
    assert all(type(row) is tuple for row in listed)
    assert sorted(chosen) == sorted(listed)
    if ranged is not None:
        assert sorted(ranged) == sorted(listed)
    assert sorted(row[0] for row in by_pairs) == expected


def test_the_range_probe_declines_keys_spread_over_many_rows(env: Environment) -> None:
    env.upsert("Account", accounts([f"S{n:05d}" for n in range(1000)]))
    table = env.db.table("Account")
    spread = {f"S{n:05d}" for n in range(0, 1000, 10)}
    dense = {f"S{n:05d}" for n in range(100, 200)}
    with env.db.read() as conn:
        assert rows_store._fetch_by_range(conn, table, "AccountId", spread, FETCHED) is None
        found = rows_store._fetch_by_range(conn, table, "AccountId", dense, FETCHED)
        text_ranges = rows_store._orders_like_database(conn, dense)  # not on PostgreSQL
    if text_ranges:
        assert found is not None
        assert sorted(row[0] for row in found) == sorted(dense)
    else:
        assert found is None
