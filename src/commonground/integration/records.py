"""Records (dicts) made from columns or rows by a function built from the field names.

A bulk load makes one dict per record on each side of a leg (the source's records, the
mapped ones), and `dict(zip(names, row))` per row was a large part of reading and mapping a
batch. A function whose body is the dict display `{'Code': v0, ...}`, mapped over the
columns, makes the same records about three times as fast. It is built once per shape with
`eval`, as `dataclasses` and `namedtuple` build their methods: the names enter the source
only as `repr` literals, so no name can be read as code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import starmap
from typing import Any


class RecordMaker:
    """Makes records with the given field names, in that order."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        parameters = "".join(f"v{i}, " for i in range(len(names)))
        items = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
        # `*_`: a row may hold further values after the named ones; they are left out
        self._one: Callable[..., dict[str, Any]] = eval(f"lambda {parameters}*_: {{{items}}}")

    def from_columns(self, columns: Sequence[Iterable[Any]], count: int) -> list[dict[str, Any]]:
        """`count` records from one column of values per name."""
        if not self.names:
            return [{} for _ in range(count)]
        return list(map(self._one, *columns))

    def from_rows(self, rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
        """One record per row, whose leading values are the named fields' in order."""
        return list(starmap(self._one, rows))
