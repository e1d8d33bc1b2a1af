"""`$apply`: the Dataverse subset of OData data aggregation, as an `Apply` plan.

Supported: `filter(expr)`, `groupby((A,B))`, `groupby((A,B),aggregate(...))` and
`aggregate(...)`, chained with `/`. Aggregates are `Path with sum|average|min|max|countdistinct
as Alias` and `$count as Alias`. Filters must come before the grouping (one `Apply` has no
place for a filter on groups), and nothing may follow a `groupby` or `aggregate`.
"""

from __future__ import annotations

from collections.abc import Mapping

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata import kinds
from commonground.odata.clauses import check_unique
from commonground.odata.filter_parser import KEYWORDS, FilterParser
from commonground.odata.lexer import Kind, Token, TokenStream
from commonground.odata.properties import PathBuilder, Schema, read_path
from commonground.query.aggregate import Aggregate, Apply
from commonground.query.expressions import Binary, Expr

OPTION = "$apply"
METHODS = ("sum", "average", "min", "max", "countdistinct")
NUMERIC_METHODS = ("sum", "average")
MAX_TRANSFORMATIONS = 10  # each filter() nests the combined condition one level deeper


class ApplyParser:
    """Reads a chain of transformations from a stream into one Apply."""

    def __init__(
        self, schema: Schema, entity: Entity, stream: TokenStream, aliases: Mapping[str, str]
    ) -> None:
        self.schema = schema
        self.entity = entity
        self.stream = stream
        self.aliases = aliases
        self.where: Expr | None = None
        self.group_by: tuple[str, ...] = ()
        self.aggregates: tuple[Aggregate, ...] = ()
        self.grouped: Token | None = None
        self.alias_names: list[str] = []

    def read(self) -> Apply:
        """Every transformation, up to the end of the stream."""
        count = 0
        while True:
            token = self.stream.expect(Kind.NAME, "filter(, groupby( or aggregate(")
            count += 1
            if count > MAX_TRANSFORMATIONS:
                raise self.stream.fail(
                    f"at most {MAX_TRANSFORMATIONS} transformations can be chained", token.pos
                )
            if self.grouped is not None:
                raise self.stream.fail(
                    f"nothing can follow {self.grouped.text}() in $apply", token.pos
                )
            self.stream.expect(Kind.OPEN, f"'(' after {token.text}")
            self._transformation(token)
            self.stream.expect(Kind.CLOSE, "')'")
            if self.stream.accept(Kind.SLASH) is None:
                self.stream.expect_end("'/' or the end of $apply")
                return Apply(self.where, self.group_by, self.aggregates)

    def _transformation(self, token: Token) -> None:
        name = token.text.lower()
        if name == "filter":
            condition = FilterParser(self.schema, self.entity, self.stream, self.aliases).parse()
            self.where = condition if self.where is None else Binary("and", self.where, condition)
        elif name == "groupby":
            self.grouped = token
            self.group_by = self._group_paths()
            if self.stream.accept(Kind.COMMA) is not None:
                word = self.stream.accept_word("aggregate")
                if word is None:
                    raise self.stream.error("expected aggregate(")
                self.stream.expect(Kind.OPEN, "'(' after aggregate")
                self.aggregates = self._aggregates()
                self.stream.expect(Kind.CLOSE, "')'")
        elif name == "aggregate":
            self.grouped = token
            self.aggregates = self._aggregates()
        else:
            raise self.stream.fail(
                f"unknown transformation '{token.text}' (use filter, groupby or aggregate)",
                token.pos,
            )

    def _group_paths(self) -> tuple[str, ...]:
        """`(A,B/C)`: the grouping properties, each a path to a single value."""
        self.stream.expect(Kind.OPEN, "'(' and the grouping properties")
        paths: list[str] = []
        while True:
            segments, _, last = self._value_path()
            check_unique(OPTION, paths, last.pos, "/".join(segments))
            if self.stream.accept(Kind.COMMA) is None:
                self.stream.expect(Kind.CLOSE, "',' or ')'")
                return tuple(paths)

    def _value_path(self) -> tuple[tuple[str, ...], str, Token]:
        builder = PathBuilder(self.schema, self.entity, OPTION)
        last = read_path(self.stream, builder)
        segments, field = builder.value_path(last.pos)
        return segments, kinds.kind_of_field(field), last

    def _aggregates(self) -> tuple[Aggregate, ...]:
        aggregates: list[Aggregate] = []
        while True:
            aggregates.append(self._aggregate())
            if self.stream.accept(Kind.COMMA) is None:
                return tuple(aggregates)

    def _aggregate(self) -> Aggregate:
        """`Path with method as Alias`, or `$count as Alias`."""
        token = self.stream.peek()
        if token.kind is Kind.NAME and token.text == "$count":
            self.stream.advance()
            return Aggregate(None, "count", self._alias())
        segments, kind, _ = self._value_path()
        if self.stream.accept_word("with") is None:
            raise self.stream.error("expected 'with' and an aggregation method")
        method = self.stream.accept_word(*METHODS)
        if method is None:
            raise self.stream.error(f"expected an aggregation method ({', '.join(METHODS)})")
        name = method.text.lower()
        if name in NUMERIC_METHODS and kind != kinds.NUMBER:
            raise self.stream.fail(f"{name} needs a number, not {kinds.describe(kind)}", token.pos)
        return Aggregate("/".join(segments), name, self._alias())

    def _alias(self) -> str:
        if self.stream.accept_word("as") is None:
            raise self.stream.error("expected 'as' and a name for the result")
        token = self.stream.expect(Kind.NAME, "a name for the result")
        name = token.text
        if "." in name or name.startswith("$") or name.lower() in KEYWORDS:
            raise self.stream.fail(f"'{name}' cannot name an aggregate", token.pos)
        if self.schema.member(self.entity, name) is not None:
            raise self.stream.fail(
                f"'{name}' is a property of {self.entity.name}; choose another name", token.pos
            )
        check_unique(OPTION, self.alias_names, token.pos, name)
        return name


def parse_apply(
    entity: Entity,
    model: DataModel,
    text: str,
    aliases: Mapping[str, str] | None = None,
    schema: Schema | None = None,
) -> Apply:
    """The aggregation an `$apply` option asks for."""
    stream = TokenStream.of(text, OPTION)
    return ApplyParser(schema or Schema(model), entity, stream, aliases or {}).read()
