"""A leg run's lookup memory: found answers are not asked again, misses are."""

from __future__ import annotations

from typing import Any

from commonground.integration.engine.memo import LookupMemo


class Recorder:
    """A lookup over a fixed table that records what it was asked."""

    def __init__(self, table: dict[Any, Any]) -> None:
        self.table = table
        self.asked: list[tuple[str, list[str], list[Any]]] = []

    def __call__(self, entity: str, names: list[str], wanted: list[Any]) -> dict[Any, Any]:
        self.asked.append((entity, names, wanted))
        return {w: self.table[w] for w in wanted if w in self.table}


def test_found_answers_are_remembered_and_misses_asked_again() -> None:
    lookup = Recorder({("A",): 1, ("B",): 2})
    memo = LookupMemo(lookup)
    assert memo("Account", ["number"], [("A",), ("C",)]) == {("A",): 1}
    lookup.table[("C",)] = 3  # created since: a later batch finds it
    assert memo("Account", ["number"], [("A",), ("B",), ("C",)]) == {
        ("A",): 1,
        ("B",): 2,
        ("C",): 3,
    }
    assert lookup.asked[1] == ("Account", ["number"], [("B",), ("C",)])
    assert memo("Account", ["number"], [("B",), ("C",)]) == {("B",): 2, ("C",): 3}
    assert len(lookup.asked) == 2


def test_entities_and_field_lists_are_remembered_apart() -> None:
    lookup = Recorder({1: {"number": "A"}})
    memo = LookupMemo(lookup)
    memo("Account", ["number"], [1])
    memo("Account", ["name"], [1])
    memo("Contact", ["number"], [1])
    assert len(lookup.asked) == 3


def test_memory_starts_over_past_its_limit() -> None:
    lookup = Recorder({n: n * 10 for n in range(10)})
    memo = LookupMemo(lookup, limit=4)
    memo("Item", [], [0, 1, 2])
    memo("Item", [], [3, 4])  # 5 > 4: forgets 0-2, keeps 3-4
    assert memo("Item", [], [0, 3]) == {0: 0, 3: 30}
    assert lookup.asked[-1] == ("Item", [], [0])
