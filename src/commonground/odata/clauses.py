"""`$select`, `$orderby`, `$top`, `$skip` and `$count`: the simple query options.

Each has a `read_*` function that works on a token stream (so `$expand` can use it for its
nested options, between `;` and `)`) and a `parse_*` function for a whole option's text.
"""

from __future__ import annotations

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata.errors import ODataQueryError
from commonground.odata.lexer import Kind, TokenStream
from commonground.odata.properties import MemberKind, PathBuilder, Schema, read_path
from commonground.query.plan import Order


def read_select(schema: Schema, entity: Entity, stream: TokenStream) -> tuple[str, ...] | None:
    """Field names to return, or None for all (`*`).

    `_X_value` and the navigation property `X` both select the lookup field `X`; a complex
    property, or one of its parts, selects the whole compound field (records carry compound
    values whole). Related records are `$expand`'s business, so paths through lookups and
    collections are refused with a pointer to it.
    """
    names: list[str] = []
    everything = False
    while True:
        if stream.accept(Kind.STAR) is not None:
            everything = True
        else:
            name = _select_item(schema, entity, stream)
            if name not in names:
                names.append(name)
        if stream.accept(Kind.COMMA) is None:
            break
    return None if everything else tuple(names)


def _select_item(schema: Schema, entity: Entity, stream: TokenStream) -> str:
    token = stream.expect(Kind.NAME, "a property name or '*'")
    builder = PathBuilder(schema, entity, stream.option)
    member = builder.step(token.text, token.pos)
    if member.kind is MemberKind.COLLECTION:
        raise stream.fail(f"'{token.text}' is a collection; use $expand to include it", token.pos)
    if stream.peek().kind is Kind.SLASH:
        slash = stream.advance()
        if member.kind is not MemberKind.COMPOUND:
            raise stream.fail(
                f"only complex properties have parts in $select; use $expand for '{token.text}'",
                slash.pos,
            )
        part = stream.expect(Kind.NAME, "a part name")
        builder.step(part.text, part.pos)
    return member.name


def read_orderby(schema: Schema, entity: Entity, stream: TokenStream) -> tuple[Order, ...]:
    """Sort keys: property paths (through lookups, into parts), each `asc` or `desc`."""
    orders: list[Order] = []
    while True:
        orders.append(Order(read_order_path(schema, entity, stream), read_descending(stream)))
        if stream.accept(Kind.COMMA) is None:
            return tuple(orders)


def read_order_path(schema: Schema, entity: Entity, stream: TokenStream) -> str:
    """One sort key's path, as `Order.path` spells it (`PrimaryContact/FullName`)."""
    first = stream.peek()
    if first.kind is Kind.NAME and stream.peek(1).kind is Kind.OPEN:
        raise stream.fail("sorting by an expression is not supported; name a property", first.pos)
    builder = PathBuilder(schema, entity, stream.option)
    last = read_path(stream, builder)
    return "/".join(builder.value_path(last.pos)[0])


def read_descending(stream: TokenStream) -> bool:
    """An optional `asc` or `desc` after a sort key: True for `desc`."""
    direction = stream.accept_word("asc", "desc")
    return direction is not None and direction.text.lower() == "desc"


def read_count_number(stream: TokenStream) -> int:
    """A non-negative whole number (`$top`, `$skip`); the lexer keeps ints within Int64."""
    token = stream.peek()
    if token.kind is not Kind.NUMBER or not isinstance(token.value, int) or token.value < 0:
        raise stream.error("expected a non-negative integer")
    stream.advance()
    return token.value


def read_boolean(stream: TokenStream) -> bool:
    """`true` or `false` (`$count`)."""
    token = stream.accept_word("true", "false")
    if token is None:
        raise stream.error("expected true or false")
    return token.text.lower() == "true"


def parse_select(
    entity: Entity, model: DataModel, text: str, schema: Schema | None = None
) -> tuple[str, ...] | None:
    """The fields a `$select` option names (None for `*`)."""
    stream = TokenStream.of(text, "$select")
    names = read_select(schema or Schema(model), entity, stream)
    stream.expect_end("',' or the end of $select")
    return names


def parse_orderby(
    entity: Entity, model: DataModel, text: str, schema: Schema | None = None
) -> tuple[Order, ...]:
    """The sort keys of an `$orderby` option."""
    stream = TokenStream.of(text, "$orderby")
    orders = read_orderby(schema or Schema(model), entity, stream)
    stream.expect_end("asc, desc, ',' or the end of $orderby")
    return orders


def parse_count_number(option: str, text: str) -> int:
    """The value of `$top` or `$skip`."""
    stream = TokenStream.of(text, option)
    value = read_count_number(stream)
    stream.expect_end()
    return value


def parse_boolean(option: str, text: str) -> bool:
    """The value of `$count`."""
    stream = TokenStream.of(text, option)
    value = read_boolean(stream)
    stream.expect_end()
    return value


def check_unique(option: str, names: list[str], position: int, name: str) -> None:
    """Fail when `name` was given before (an option in `$expand`, a key field, an alias)."""
    if name in names:
        raise ODataQueryError(f"'{name}' is given twice", position, option=option)
    names.append(name)
