"""OData property names resolved against the data model, segment by segment.

An OData client sees each entity through the names of `naming`: fields, `_X_value` for a
lookup's RecordId, the lookup itself as a navigation property, complex properties with parts,
and child collections named by the child's entity set. Plans use the model's own names
(`Path(("PrimaryContact",))`, `Include("SalesOrderLine")`). Everything that translates one
into the other lives here, so `$filter`, `$orderby`, `$select`, `$expand` and `$apply` agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commonground.model.datamodel import DataModel, Relationship
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.types import FieldType
from commonground.odata.errors import ODataQueryError
from commonground.odata.lexer import Kind, Token, TokenStream
from commonground.odata.naming import Collection, child_collections


class MemberKind(StrEnum):
    """What an OData property of an entity is."""

    SCALAR = "property"
    VALUE = "lookup value property"
    LOOKUP = "navigation property"
    COMPOUND = "complex property"
    PART = "part of a complex property"
    COLLECTION = "collection navigation property"


@dataclass(frozen=True)
class Member:
    """One resolved property: its kind, the model name it stands for and what it describes.

    `name` is the field name, the part name, or for a collection the include name
    (`Child` or `Child.Lookup`) that `store.query.child_relationship` understands.
    """

    kind: MemberKind
    name: str
    field: Field | None = None
    relationship: Relationship | None = None


class Schema:
    """The data model seen through OData names, with the collection names computed once."""

    def __init__(self, model: DataModel) -> None:
        self.model = model
        self._collections: dict[str, list[Collection]] = {}

    def collections(self, entity: Entity) -> list[Collection]:
        """The child collections of an entity (cached: computing them walks the model)."""
        found = self._collections.get(entity.name)
        if found is None:
            found = self._collections[entity.name] = child_collections(self.model, entity)
        return found

    def member(self, entity: Entity, name: str) -> Member | None:
        """What `name` (case-insensitive) means on `entity`, or None if nothing."""
        field = entity.field_or_none(name)
        if field is not None:
            if field.type is FieldType.LOOKUP:
                return Member(MemberKind.LOOKUP, field.name, field)
            if field.is_compound:
                return Member(MemberKind.COMPOUND, field.name, field)
            return Member(MemberKind.SCALAR, field.name, field)
        lowered = name.lower()
        if lowered.startswith("_") and lowered.endswith("_value"):
            lookup = entity.field_or_none(name[1:-6])
            if lookup is not None and lookup.type is FieldType.LOOKUP:
                return Member(MemberKind.VALUE, lookup.name, lookup)
        for collection in self.collections(entity):
            if collection.name.lower() == lowered:
                relationship = collection.relationship
                include = include_name(self.model, entity, relationship)
                return Member(MemberKind.COLLECTION, include, relationship=relationship)
        return None

    def target(self, member: Member) -> Entity:
        """The entity a lookup or collection member leads to."""
        if member.relationship is not None:
            return self.model.entity(member.relationship.child)
        assert member.field is not None
        assert member.field.target is not None
        return self.model.entity(member.field.target)


def include_name(model: DataModel, entity: Entity, relationship: Relationship) -> str:
    """The plan name of a child collection: `Child`, or `Child.Lookup` when `Child` is unclear.

    `Child` alone is ambiguous when the child has several lookups to this entity, and it
    would be read as a lookup by the service when this entity has a field of that name.
    """
    siblings = [r for r in model.children_of(entity.name) if r.child == relationship.child]
    if len(siblings) > 1 or entity.field_or_none(relationship.child) is not None:
        return f"{relationship.child}.{relationship.field}"
    return relationship.child


def collection_name(model: DataModel, entity: Entity, include: str) -> str | None:
    """The OData name of the child collection behind a plan include name, or None."""
    for collection in child_collections(model, entity):
        if include_name(model, entity, collection.relationship).lower() == include.lower():
            return collection.name
    return None


class PathBuilder:
    """Walks an OData member path one segment at a time, producing a plan path.

    Lookups lead on to their target entity, a compound field to exactly one part; scalar
    and value properties end the path. Collections end it too: only the caller knows whether
    an `any`/`all` may follow.
    """

    def __init__(
        self, schema: Schema, entity: Entity, option: str, prefix: tuple[str, ...] = ()
    ) -> None:
        self.schema = schema
        self.entity = entity
        self.option = option
        self.segments: list[str] = list(prefix)
        self.last: Member | None = None
        self.last_text = ""

    def step(self, name: str, position: int) -> Member:
        """Add one OData segment; ODataQueryError if it cannot follow the path so far."""
        last = self.last
        if last is not None and last.kind is MemberKind.COMPOUND:
            member = self._part(last, name, position)
        elif last is not None and last.kind is not MemberKind.LOOKUP:
            raise ODataQueryError(
                f"'{self.last_text}' is a {last.kind.value}; it has no property '{name}'",
                position,
                option=self.option,
            )
        else:
            if last is not None:
                self.entity = self.schema.target(last)
            found = self.schema.member(self.entity, name)
            if found is None:
                raise ODataQueryError(
                    f"unknown property '{name}' of {self.entity.name}", position, option=self.option
                )
            member = found
        self.segments.append(member.name)
        self.last = member
        self.last_text = name
        return member

    def _part(self, compound: Member, name: str, position: int) -> Member:
        assert compound.field is not None
        for part in compound.field.parts:
            if part.name.lower() == name.lower():
                return Member(MemberKind.PART, part.name, compound.field.part_field(part))
        parts = ", ".join(p.name for p in compound.field.parts)
        raise ODataQueryError(
            f"'{compound.name}' has no part '{name}' (parts: {parts})", position, option=self.option
        )

    def value_path(self, position: int) -> tuple[tuple[str, ...], Field]:
        """The finished path, which must end at a single value; and that value's field.

        A lookup navigation property at the end stands for the RecordId it holds.
        """
        last = self.last
        assert last is not None
        if last.kind is MemberKind.COMPOUND:
            assert last.field is not None
            parts = ", ".join(p.name for p in last.field.parts)
            raise ODataQueryError(
                f"complex property '{last.name}' needs a part: {last.name}/<part> ({parts})",
                position,
                option=self.option,
            )
        if last.kind is MemberKind.COLLECTION:
            raise ODataQueryError(
                f"collection '{self.last_text}' can only be used with any() or all()",
                position,
                option=self.option,
            )
        assert last.field is not None
        return tuple(self.segments), last.field


def read_path(stream: TokenStream, builder: PathBuilder) -> Token:
    """Read `Name/Name/...` from the stream into `builder`; the last name token read."""
    token = stream.expect(Kind.NAME, "a property name")
    builder.step(token.text, token.pos)
    while stream.peek().kind is Kind.SLASH:
        stream.advance()
        token = stream.expect(Kind.NAME, "a property name")
        builder.step(token.text, token.pos)
    return token
