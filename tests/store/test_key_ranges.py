"""Matching a large batch by one index range scan gives the same answer as a seek per key."""

from __future__ import annotations

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
