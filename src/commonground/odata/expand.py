"""`$expand`: related records as `Include`s, with nested `$select;$filter;$orderby;$top;$expand`.

A lookup expands by its field name (`PrimaryContact`); a child collection by the include
name the service understands (`Contact`, or `Quotation.InvoiceAccount` when the child has
several lookups to the parent). Nested options are read from the same token stream as the
`$expand` itself, so an error inside a nested `$filter` points into the `$expand` text.

The Dataverse limits apply: at most 15 expanded properties per request, and `$skip`,
`$count`, `$search` and `$levels` are not allowed inside an expansion. Nesting is capped
at three levels, since every level is a further query per page of results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata.clauses import check_unique, read_count_number, read_orderby, read_select
from commonground.odata.filter_parser import FilterParser
from commonground.odata.lexer import Kind, Token, TokenStream
from commonground.odata.properties import Member, MemberKind, Schema
from commonground.query.expressions import Expr
from commonground.query.plan import Include, Order, Query

MAX_EXPANDS = 15
MAX_EXPAND_DEPTH = 3
NOT_IN_EXPAND = frozenset({"$skip", "$count", "$search", "$levels", "$apply", "$compute"})


@dataclass
class _Nested:
    """The options given in one expansion's parentheses."""

    select: tuple[str, ...] | None = None
    where: Expr | None = None
    order_by: tuple[Order, ...] = ()
    top: int | None = None
    include: tuple[Include, ...] = field(default_factory=tuple)


class ExpandParser:
    """Reads expand items from a stream, counting them across all levels."""

    def __init__(
        self, schema: Schema, stream: TokenStream, aliases: Mapping[str, str] | None = None
    ) -> None:
        self.schema = schema
        self.stream = stream
        self.aliases = aliases
        self.count = 0

    def read(self, entity: Entity, depth: int = 1) -> tuple[Include, ...]:
        """Comma-separated expand items of `entity`."""
        includes: list[Include] = []
        names: list[str] = []
        while True:
            token = self.stream.peek()
            if token.kind is Kind.STAR:
                raise self.stream.fail("$expand=* is not supported; name each property", token.pos)
            token = self.stream.expect(Kind.NAME, "a navigation property")
            member = self._navigation(entity, token)
            check_unique(self.stream.option, names, token.pos, member.name)
            self.count += 1
            if self.count > MAX_EXPANDS:
                raise self.stream.fail(
                    f"at most {MAX_EXPANDS} properties can be expanded", token.pos
                )
            query = None
            if self.stream.accept(Kind.OPEN) is not None:
                query = self._options(self.schema.target(member), depth)
                self.stream.expect(Kind.CLOSE, "';' or ')'")
            includes.append(Include(member.name, query))
            if self.stream.accept(Kind.COMMA) is None:
                return tuple(includes)

    def _navigation(self, entity: Entity, token: Token) -> Member:
        member = self.schema.member(entity, token.text)
        if member is None:
            raise self.stream.fail(f"unknown property '{token.text}' of {entity.name}", token.pos)
        if member.kind is MemberKind.VALUE:
            raise self.stream.fail(
                f"'{token.text}' is a value; expand the navigation property '{member.name}'",
                token.pos,
            )
        if member.kind not in (MemberKind.LOOKUP, MemberKind.COLLECTION):
            raise self.stream.fail(f"'{token.text}' is not a navigation property", token.pos)
        after = self.stream.peek()
        if after.kind is Kind.SLASH:
            raise self.stream.fail(
                "paths in $expand are not supported; nest them: A($expand=B)", after.pos
            )
        return member

    def _options(self, entity: Entity, depth: int) -> Query:
        """`$select=...;$filter=...;...` up to (not including) the closing ')'."""
        nested = _Nested()
        seen: list[str] = []
        while True:
            token = self.stream.expect(Kind.NAME, "a query option such as $select")
            name = token.text
            check_unique(self.stream.option, seen, token.pos, name)
            self.stream.expect(Kind.EQUALS, f"'=' after {name}")
            self._option(entity, depth, token, nested)
            if self.stream.accept(Kind.SEMI) is None:
                return Query(
                    entity.name,
                    select=nested.select,
                    where=nested.where,
                    order_by=nested.order_by,
                    top=nested.top,
                    include=nested.include,
                )

    def _option(self, entity: Entity, depth: int, token: Token, nested: _Nested) -> None:
        name = token.text
        if name == "$select":
            nested.select = read_select(self.schema, entity, self.stream)
        elif name == "$filter":
            parser = FilterParser(self.schema, entity, self.stream, self.aliases)
            nested.where = parser.parse()
        elif name == "$orderby":
            nested.order_by = read_orderby(self.schema, entity, self.stream)
        elif name == "$top":
            nested.top = read_count_number(self.stream)
        elif name == "$expand":
            if depth >= MAX_EXPAND_DEPTH:
                raise self.stream.fail(
                    f"$expand can be nested at most {MAX_EXPAND_DEPTH} levels deep", token.pos
                )
            nested.include = self.read(entity, depth + 1)
        elif name in NOT_IN_EXPAND:
            raise self.stream.fail(f"{name} is not allowed inside $expand", token.pos)
        else:
            raise self.stream.fail(
                f"unknown option '{name}' (use $select, $filter, $orderby, $top or $expand)",
                token.pos,
            )


def parse_expand(
    entity: Entity,
    model: DataModel,
    text: str,
    aliases: Mapping[str, str] | None = None,
    schema: Schema | None = None,
) -> tuple[Include, ...]:
    """The includes an `$expand` option asks for."""
    stream = TokenStream.of(text, "$expand")
    includes = ExpandParser(schema or Schema(model), stream, aliases).read(entity)
    stream.expect_end("',' or the end of $expand")
    return includes
