"""A batch write's plan: its records grouped by the fields they give, encoded column by
column, and what the writer will do with each (insert, update, leave unchanged).

The helpers work on whole groups with C-level passes: a bulk batch is usually one group of
records in batch order, and a per-record Python loop there cost a tenth of a bulk insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any


@dataclass(eq=False)  # identity: telling a batch's groups apart must not compare their data
class Group:
    """Records of a batch that provide the same fields, encoded column by column."""

    positions: list[int]
    columns: list[str]
    values: list[list[Any]]  # one list per column, in `columns` order
    expected: list[int | None]
    given_ids: list[int | None]
    # Each record's match value: the key column's value when matching on one column (no
    # 1-tuples to build and hash), else the tuple of them; None when it has none.
    keys: list[Any] = field(default_factory=list)
    # Columns every record of the group leaves empty: inserts need not bind them at all.
    empty: frozenset[str] = frozenset()

    @cached_property
    def rows(self) -> list[tuple[Any, ...]]:
        """The records as driver rows, for comparing with stored rows and for updates;
        built only when needed (a batch of new records is inserted from its columns)."""
        if not self.columns:
            return [()] * len(self.positions)
        return list(zip(*self.values, strict=True))


@dataclass
class Plan:
    """What the batch will do: rows to insert and update, records left unchanged."""

    inserts: list[tuple[Group, int]] = field(default_factory=list)
    updates: list[tuple[Group, int, int]] = field(default_factory=list)
    unchanged: dict[int, tuple[int, int]] = field(default_factory=dict)


def gathered(entries: Sequence[tuple[Any, ...]]) -> list[tuple[Group, list[int], list[int]]]:
    """Plan entries `(group, index, ...)` gathered per group, in order of first appearance:
    each group with the entries' numbers in `entries` and the indexes of its members.

    A bulk batch is one group: that case is found with C-level passes, without a dict
    operation per record (which cost about a tenth of a bulk insert).
    """
    if not entries:
        return []
    groups = list(map(itemgetter(0), entries))
    if groups.count(groups[0]) == len(groups):
        return [(groups[0], list(range(len(entries))), list(map(itemgetter(1), entries)))]
    out: dict[int, tuple[Group, list[int], list[int]]] = {}
    for n, (group, i, *_) in enumerate(entries):
        _, numbers, members = out.setdefault(id(group), (group, [], []))
        numbers.append(n)
        members.append(i)
    return list(out.values())


def positions_of(entries: list[tuple[Group, int]]) -> list[int] | range:
    """The batch positions of plan entries (a range when they are the whole batch in order)."""
    groups = gathered(entries)
    if len(groups) == 1:
        group, _, members = groups[0]
        if group.positions == list(range(len(group.positions))) and members == group.positions:
            return range(len(members))
        return list(map(group.positions.__getitem__, members))
    return [g.positions[i] for g, i in entries]


def shifted(numbers: list[int], start: int) -> list[int]:
    """`start + n` for each number; built from a range when the numbers are 0, 1, 2, ..."""
    if numbers and numbers[-1] == len(numbers) - 1:  # gathered numbers only ever increase
        return list(range(start, start + len(numbers)))
    return [start + n for n in numbers]
