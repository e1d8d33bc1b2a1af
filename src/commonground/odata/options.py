"""All query options of one request on an entity set, parsed into one `ParsedOptions`.

Option names are case-sensitive, as in the Dataverse Web API: `$Filter` is refused with a
hint rather than ignored, because a silently ignored filter returns the wrong records.
Parameters without `$` are not options; the ones starting with `@` are parameter aliases
that `$filter`, `$apply` and nested filters may use. `$skiptoken` and `$deltatoken` belong
to the API's paging and change tracking and are left to it. Page size comes from the
`Prefer` header, so nothing here decides it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from commonground.bounded import BoundedCache
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata.apply import parse_apply
from commonground.odata.clauses import (
    parse_boolean,
    parse_count_number,
    parse_select,
    read_descending,
    read_order_path,
)
from commonground.odata.errors import ODataQueryError
from commonground.odata.expand import parse_expand
from commonground.odata.filter_parser import parse_filter
from commonground.odata.lexer import Kind, TokenStream
from commonground.odata.memo import PerDefinition
from commonground.odata.properties import Schema
from commonground.query.aggregate import Apply
from commonground.query.plan import Order, Query

OPTIONS = ("$filter", "$select", "$orderby", "$top", "$skip", "$count", "$expand", "$apply")
LEFT_TO_THE_API = frozenset({"$skiptoken", "$deltatoken"})
NOT_WITH_APPLY = ("$filter", "$select", "$expand")
PARSED_TEXTS = 1024  # option texts kept parsed, per model
T = TypeVar("T")


@dataclass(frozen=True)
class ParsedOptions:
    """What a request's query options ask for.

    `query` is the read (for `$apply`, only its order, top and skip apply: `apply` holds the
    filter and grouping); `count` is `$count=true`.
    """

    query: Query
    count: bool = False
    apply: Apply | None = None


def parse_query_options(
    entity: Entity, model: DataModel, options: Mapping[str, str]
) -> ParsedOptions:
    """Parse every `$` option of a request on `entity`; ODataQueryError for the first bad one."""
    check_option_names(options)
    schema = Schema(model)
    aliases = {name: value for name, value in options.items() if name.startswith("@")}
    parsed = _Parsed(model, entity, options, tuple(sorted(aliases.items())))
    apply = None
    if "$apply" in options:
        apply = parsed("$apply", lambda t: parse_apply(entity, model, t, aliases, schema))
        for name in NOT_WITH_APPLY:
            if name in options:
                raise ODataQueryError(
                    f"{name} cannot be combined with $apply"
                    + ("; use filter(...) inside $apply" if name == "$filter" else ""),
                    option=name,
                )
    query = Query(
        entity.name,
        select=parsed("$select", lambda t: parse_select(entity, model, t, schema)),
        where=parsed("$filter", lambda t: parse_filter(entity, model, t, aliases, schema)),
        order_by=_orderby(schema, entity, options.get("$orderby"), apply),
        top=parsed("$top", lambda t: parse_count_number("$top", t)),
        skip=parsed("$skip", lambda t: parse_count_number("$skip", t)),
        include=parsed("$expand", lambda t: parse_expand(entity, model, t, aliases, schema)) or (),
    )
    count = parsed("$count", lambda t: parse_boolean("$count", t))
    return ParsedOptions(query, bool(count), apply)


parsed_texts: PerDefinition[DataModel, BoundedCache[Hashable, Any]] = PerDefinition(
    lambda _: BoundedCache(PARSED_TEXTS)
)
NOT_KEPT = object()


@dataclass(frozen=True)
class _Parsed:
    """Parses one option of a request, or takes what the same text parsed to before.

    Clients send the same `$select`, `$expand` and often the same `$filter` request after
    request; parsing one costs more than the rest of reading a small page. What an option
    parses to depends on the model (kept per model object: a schema change makes a new one),
    the entity, the text and the parameter aliases, and is immutable, so it can be shared.
    """

    model: DataModel
    entity: Entity
    options: Mapping[str, str]
    aliases: tuple[tuple[str, str], ...]

    def __call__(self, name: str, parse: Callable[[str], T]) -> T | None:
        text = self.options.get(name)
        if text is None:
            return None
        kept = parsed_texts(self.model)
        key = (self.entity.name, name, text, self.aliases)
        found = kept.get(key, NOT_KEPT)
        if found is not NOT_KEPT:
            return cast(T, found)
        value = parse(text)
        kept.put(key, value)
        return value


def check_option_names(options: Mapping[str, str]) -> None:
    """Fail on a `$` option this service does not know (non-`$` parameters are not options)."""
    for name in options:
        if not name.startswith("$") or name in OPTIONS or name in LEFT_TO_THE_API:
            continue
        for known in (*OPTIONS, *LEFT_TO_THE_API):
            if known.lower() == name.lower():
                raise ODataQueryError(
                    f"unknown query option; option names are case-sensitive: use {known}",
                    option=name,
                )
        raise ODataQueryError(
            f"unsupported query option (supported: {', '.join(OPTIONS)})", option=name
        )


def _orderby(
    schema: Schema, entity: Entity, text: str | None, apply: Apply | None
) -> tuple[Order, ...]:
    """Sort keys; with `$apply` they name grouping properties or aggregate aliases."""
    if text is None:
        return ()
    stream = TokenStream.of(text, "$orderby")
    orders: list[Order] = []
    while True:
        orders.append(_order_item(schema, entity, stream, apply))
        if stream.accept(Kind.COMMA) is None:
            stream.expect_end("asc, desc, ',' or the end of $orderby")
            return tuple(orders)


def _order_item(schema: Schema, entity: Entity, stream: TokenStream, apply: Apply | None) -> Order:
    first = stream.peek()
    aliases = {a.alias for a in apply.aggregates} if apply is not None else set()
    if first.kind is Kind.NAME and first.text in aliases and stream.peek(1).kind is not Kind.SLASH:
        stream.advance()
        return Order(first.text, read_descending(stream))
    path = read_order_path(schema, entity, stream)
    if apply is not None and path not in apply.group_by:
        raise stream.fail(
            "with $apply, $orderby can name only grouping properties and aggregates", first.pos
        )
    return Order(path, read_descending(stream))
