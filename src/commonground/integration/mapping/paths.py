"""Field references in a mapping: a plain field, `lookup.keyfield`, or a polymorphic lookup.

The notation is the original's (data-integrator.md section 13):

    accountnumber                                        a field of the entity itself
    transactioncurrencyid.isocurrencycode                a lookup and the key of its target
    customerid.Account(accountnumber).Contact(msdynce_contactnumber)
                                                         a lookup and, per possible target
                                                         entity in order, its key field(s)

A target may list several key fields (`Entity(k1,k2)`) for a composite key. On the source side
a path names the related record's key value to read; on the destination side it names the key
by which the related record is found. Parsing is pure: names are checked against entities by
the plan and the validator, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commonground.errors import DefinitionError

_DELIMITERS = frozenset(".(),")


class PathError(DefinitionError):
    """A field reference does not parse; names the text and the position (0-based)."""

    code = "InvalidFieldPath"

    def __init__(self, text: str, position: int, expected: str) -> None:
        self.text = text
        self.position = position
        super().__init__(f"field reference '{text}': expected {expected} at position {position}")


@dataclass(frozen=True)
class Target:
    """One entity a lookup may reference and the key field(s) that find a record in it."""

    entity: str
    key: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.entity}({','.join(self.key)})"


@dataclass(frozen=True)
class FieldPath:
    """A parsed field reference.

    `key` is set for `lookup.keyfield`; `targets` for the polymorphic form; both are empty for a
    plain field. `str()` gives the canonical text, which parses back to an equal path.
    """

    field: str
    key: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()

    @property
    def is_lookup(self) -> bool:
        """True when the path follows a lookup to a related record's key."""
        return bool(self.key or self.targets)

    def __str__(self) -> str:
        if self.targets:
            return ".".join([self.field, *(str(t) for t in self.targets)])
        if self.key:
            return f"{self.field}.{self.key[0]}"
        return self.field


def declared_target(written: str, declared: Sequence[str]) -> str | None:
    """The declared lookup target a path's target entity names, or None.

    A target matches ignoring case, or as the singular of a plural entity name: the original
    writes polymorphic targets with Dataverse logical names (`Account(accountnumber)`) where
    the entities themselves carry the entity set names (`accounts`).
    """
    wanted = written.casefold()
    forms = {wanted, wanted + "s", wanted + "es"}
    if wanted.endswith("y"):
        forms.add(wanted[:-1] + "ies")
    return next((d for d in declared if d.casefold() == wanted), None) or next(
        (d for d in declared if d.casefold() in forms), None
    )


class _Reader:
    """A cursor over the text that reads names and punctuation, skipping spaces around them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_spaces()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self, what: str) -> str:
        self.skip_spaces()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _DELIMITERS:
            self.pos += 1
        name = self.text[start : self.pos].rstrip()
        if not name:
            raise PathError(self.text, start, what)
        return name

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise PathError(self.text, self.pos, what)
        self.pos += 1


def parse_path(text: str) -> FieldPath:
    """Parse a field reference (PathError naming the position when it is malformed)."""
    reader = _Reader(text)
    field = reader.name("a field name")
    if reader.peek() == "":
        return FieldPath(field)
    reader.expect(".", "'.' or the end")
    name = reader.name("a key field or a target entity after '.'")
    if reader.peek() == "":
        return FieldPath(field, key=(name,))
    targets = [_target(reader, name)]
    while reader.peek() != "":
        reader.expect(".", "'.' before the next target entity or the end")
        targets.append(_target(reader, reader.name("a target entity after '.'")))
    return FieldPath(field, targets=tuple(targets))


def _target(reader: _Reader, entity: str) -> Target:
    reader.expect("(", f"'(' and the key field(s) of {entity}")
    key = [reader.name(f"a key field of {entity}")]
    while reader.peek() == ",":
        reader.pos += 1
        key.append(reader.name(f"a key field of {entity} after ','"))
    reader.expect(")", f"')' closing the key of {entity}")
    return Target(entity, tuple(key))
