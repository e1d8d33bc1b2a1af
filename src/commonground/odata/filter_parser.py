"""`$filter` text to a `commonground.query` expression tree.

A recursive-descent parser over the OData 4.0 precedence table, lowest first: `or`, `and`,
`eq ne`, `gt ge lt le`, `add sub`, `mul div divby mod`, unary `-` and `not`, then primaries
(literals, member paths, function calls, lambdas, parentheses) with `in` binding tightest,
as in OData 4.01. Names are resolved while parsing so that an unknown property is reported
where it stands, and the tree holds the model's names, ready for the store.

`and`/`or` chains become balanced trees: the store compiles recursively, and a 500-term
`or` from a generated URL must not become a 500-deep tree. Nesting, depth and the number
of `and`/`or` are capped, so that neither Python's recursion nor the database's expression
depth limit is ever reached: any input yields a plan or an ODataQueryError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.odata import kinds
from commonground.odata.errors import ODataQueryError
from commonground.odata.kinds import Node
from commonground.odata.lexer import LITERAL_KINDS, Kind, Token, TokenStream
from commonground.odata.literals import INT64_MAX
from commonground.odata.properties import MemberKind, PathBuilder, Schema
from commonground.query.expressions import Binary, Call, Expr, In, Lambda, Literal, Path, Unary

MAX_NESTING = 32  # parentheses, calls, lambdas and prefix operators inside each other
MAX_DEPTH = 64  # of the finished tree, which the store compiles recursively
# SQL flattens a chain of `or` (or `and`) into one list, which SQLite parses into a tree as
# deep as the list is long, and it refuses trees deeper than 1000.
MAX_CONNECTIVES = 500
EQUALITY = ("eq", "ne")
RELATIONAL = ("gt", "ge", "lt", "le")
ADDITIVE = ("add", "sub")
MULTIPLICATIVE = ("mul", "div", "divby", "mod")
KEYWORDS = frozenset({"and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "add", "sub"})
KEYWORDS |= {"mul", "div", "divby", "mod", "in", "has", "true", "false", "null", "any", "all"}
ARGUMENT_ENDS = frozenset({Kind.COMMA, Kind.CLOSE})
OPERATORS = frozenset((*EQUALITY, *RELATIONAL, *ADDITIVE, *MULTIPLICATIVE, "and", "or", "in"))
OPERAND_STARTS = LITERAL_KINDS | {Kind.NAME, Kind.ALIAS, Kind.OPEN, Kind.MINUS}
UNSUPPORTED_NAMES = ("$root", "$this", "$count", "$filter")


class FilterParser:
    """Parses one boolean expression from a token stream and leaves the stream after it.

    The stream may go on (`;` or `)` of an `$expand` item); the caller checks what follows.
    """

    def __init__(
        self,
        schema: Schema,
        entity: Entity,
        stream: TokenStream,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema
        self.root = entity
        self.stream = stream
        self.aliases = aliases or {}
        self.variables: dict[str, Entity] = {}
        self.nesting = 0
        self.connectives = 0

    def parse(self) -> Expr:
        """The boolean expression at the stream's position."""
        if self.stream.peek().kind is Kind.END:
            raise self.stream.error("expected an expression")
        node = self._or()
        following = self.stream.peek()
        if following.kind in OPERAND_STARTS:
            raise self.stream.error("expected an operator")
        return self._boolean(node).expr

    # -- errors and bookkeeping -------------------------------------------------------

    def _fail(self, message: str, position: int) -> ODataQueryError:
        return self.stream.fail(message, position)

    def _enter(self, position: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self._fail(f"expression nested more than {MAX_NESTING} levels deep", position)

    def _node(self, expr: Expr, kind: str, pos: int, *children: Node) -> Node:
        depth = 1 + max((c.depth for c in children), default=0)
        if depth > MAX_DEPTH:
            raise self._fail(f"expression more than {MAX_DEPTH} levels deep", pos)
        return Node(expr, kind, pos, depth)

    def _boolean(self, node: Node) -> Node:
        if node.kind != kinds.BOOLEAN:
            raise self._fail(
                f"expected a boolean expression, not {kinds.describe(node.kind)}", node.pos
            )
        return node

    def _kind(self, node: Node, allowed: frozenset[str], what: str) -> Node:
        """Check an operand's kind; `null` fits nowhere but `eq`, `ne` and `in`, since an
        untyped NULL elsewhere is an error on PostgreSQL (and means nothing anyway)."""
        if node.kind not in allowed:
            raise self._fail(f"{what}, not {kinds.describe(node.kind)}", node.pos)
        return node

    # -- binary levels ----------------------------------------------------------------

    def _or(self) -> Node:
        return self._chain("or", self._and)

    def _and(self) -> Node:
        return self._chain("and", self._equality)

    def _chain(self, op: str, operand: Callable[[], Node]) -> Node:
        items: list[Node] = [operand()]
        while (token := self.stream.accept_word(op)) is not None:
            self.connectives += 1
            if self.connectives > MAX_CONNECTIVES:
                raise self._fail(
                    f"more than {MAX_CONNECTIVES} 'and'/'or' in one filter; "
                    "use 'in' for lists of values",
                    token.pos,
                )
            items.append(operand())
        if len(items) == 1:
            return items[0]
        return self._balanced(op, [self._boolean(item) for item in items])

    def _balanced(self, op: str, items: list[Node]) -> Node:
        if len(items) == 1:
            return items[0]
        middle = len(items) // 2
        left, right = self._balanced(op, items[:middle]), self._balanced(op, items[middle:])
        return self._node(Binary(op, left.expr, right.expr), kinds.BOOLEAN, left.pos, left, right)

    def _equality(self) -> Node:
        left = self._relational()
        while (token := self.stream.accept_word(*EQUALITY)) is not None:
            left = self._compare(token, left, self._relational())
        return left

    def _relational(self) -> Node:
        left = self._additive()
        while (token := self.stream.accept_word(*RELATIONAL)) is not None:
            left = self._compare(token, left, self._additive())
        return left

    def _additive(self) -> Node:
        left = self._multiplicative()
        while (token := self.stream.accept_word(*ADDITIVE)) is not None:
            left = self._arithmetic(token, left, self._multiplicative())
        return left

    def _multiplicative(self) -> Node:
        left = self._unary()
        while (token := self.stream.accept_word(*MULTIPLICATIVE)) is not None:
            left = self._arithmetic(token, left, self._unary())
        return left

    def _compare(self, token: Token, left: Node, right: Node) -> Node:
        op = token.text.lower()
        if op in RELATIONAL and kinds.NULL in (left.kind, right.kind):
            raise self._fail(f"null can only be compared with eq or ne, not {op}", token.pos)
        self._check_comparable(left, right, token.pos)
        return self._node(Binary(op, left.expr, right.expr), kinds.BOOLEAN, left.pos, left, right)

    def _check_comparable(
        self, left: Node, right: Node, position: int, either_way: bool = True
    ) -> None:
        problem = kinds.comparison_problem(left, right, either_way)
        if problem is not None:
            raise self._fail(problem, position)

    def _arithmetic(self, token: Token, left: Node, right: Node) -> Node:
        op = token.text.lower()
        numbers = frozenset({kinds.NUMBER})
        self._kind(left, numbers, f"'{op}' needs numbers")
        self._kind(right, numbers, f"'{op}' needs numbers")
        if op in ("div", "divby", "mod") and kinds.is_zero(right.expr):
            raise self._fail("division by zero", right.pos)
        expr = Binary("div" if op == "divby" else op, left.expr, right.expr)
        return self._node(expr, kinds.NUMBER, left.pos, left, right)

    # -- prefix and postfix -----------------------------------------------------------

    def _unary(self) -> Node:
        token = self.stream.peek()
        if token.is_word("not"):
            self.stream.advance()
            self._enter(token.pos)
            operand = self._unary()
            self.nesting -= 1
            self._kind(operand, frozenset({kinds.BOOLEAN}), "'not' needs a boolean operand")
            return self._node(Unary("not", operand.expr), kinds.BOOLEAN, token.pos, operand)
        if token.kind is Kind.MINUS:
            self.stream.advance()
            self._enter(token.pos)
            operand = self._unary()
            self.nesting -= 1
            self._kind(operand, frozenset({kinds.NUMBER}), "'-' needs a number")
            if isinstance(operand.expr, Literal) and isinstance(operand.expr.value, int | Decimal):
                negated = -operand.expr.value
                if isinstance(negated, int) and negated > INT64_MAX:
                    negated = Decimal(negated)  # -(-2^63): beyond Int64, as its literal would be
                return Node(Literal(negated), kinds.NUMBER, token.pos)
            return self._node(Unary("neg", operand.expr), kinds.NUMBER, token.pos, operand)
        return self._postfix()

    def _postfix(self) -> Node:
        node = self._primary()
        token = self.stream.peek()
        if token.is_word("has"):
            raise self._fail("the 'has' operator is not supported", token.pos)
        if not token.is_word("in"):
            return node
        self.stream.advance()
        if self.stream.peek().kind is not Kind.OPEN:
            raise self.stream.error("expected '(' and a list of values after 'in'")
        values = self._arguments(self.stream.advance())
        if not values:
            raise self._fail("'in' needs at least one value", token.pos)
        for value in values:
            self._check_comparable(node, value, value.pos, either_way=False)
        expr = In(node.expr, tuple(v.expr for v in values))
        return self._node(expr, kinds.BOOLEAN, node.pos, node, *values)

    def _arguments(self, opening: Token) -> list[Node]:
        """Comma-separated expressions up to ')' (the '(' has been read)."""
        self._enter(opening.pos)
        values: list[Node] = []
        if self.stream.accept(Kind.CLOSE) is None:
            values.append(self._argument())
            while self.stream.accept(Kind.COMMA):
                values.append(self._argument())
            self.stream.expect(Kind.CLOSE, "',' or ')'")
        self.nesting -= 1
        return values

    def _argument(self) -> Node:
        """One argument. A lone literal (the whole of a long `in` list of keys, as the
        integrator sends to look records up) is taken at once: going down every precedence
        level to find no operator cost it about 9 µs a value."""
        token = self.stream.peek()
        if token.kind in LITERAL_KINDS and self.stream.peek(1).kind in ARGUMENT_ENDS:
            return self._literal(self.stream.advance())
        return self._or()

    # -- primaries --------------------------------------------------------------------

    def _primary(self) -> Node:
        token = self.stream.advance()
        if token.kind is Kind.OPEN:
            self._enter(token.pos)
            inner = self._or()
            self.stream.expect(Kind.CLOSE, "')'")
            self.nesting -= 1
            return Node(inner.expr, inner.kind, token.pos, inner.depth)
        if token.kind in LITERAL_KINDS or token.kind is Kind.ALIAS:
            return self._literal(token)
        if token.kind is Kind.NAME:
            return self._name(token)
        raise self.stream.error("expected an expression", token)

    def _literal(self, token: Token) -> Node:
        if token.kind is Kind.ALIAS:
            return self._alias(token)
        return kinds.literal_node(self.schema.model, token, self.stream.option)

    def _alias(self, token: Token) -> Node:
        """A parameter alias (`@p1`) stands for the literal given as its own query parameter."""
        text = self.aliases.get(token.text)
        if text is None:
            raise self._fail(f"parameter alias {token.text} has no value", token.pos)
        node = kinds.alias_node(self.schema.model, token.text, text)
        return Node(node.expr, node.kind, token.pos)

    def _name(self, token: Token) -> Node:
        if token.is_word("true", "false", "null"):
            return kinds.literal_node(self.schema.model, token, self.stream.option)
        if self.stream.peek().kind is Kind.OPEN and token.text not in self.variables:
            return self._call(token)
        if token.text.lower() in OPERATORS and self.schema.member(self.root, token.text) is None:
            raise self.stream.error("expected an expression", token)
        if token.text.lower() in UNSUPPORTED_NAMES:
            raise self._fail(f"'{token.text}' is not supported in $filter", token.pos)
        return self._member(token)

    def _call(self, token: Token) -> Node:
        name = token.text.lower()
        signature = kinds.FUNCTIONS.get(name)
        if signature is None:
            known = ", ".join(sorted(kinds.FUNCTIONS))
            raise self._fail(f"unknown function '{token.text}' (known: {known})", token.pos)
        args = self._arguments(self.stream.advance())
        most = len(signature.params)
        if not most - signature.optional <= len(args) <= most:
            count = str(most) if not signature.optional else f"{most - signature.optional}-{most}"
            raise self._fail(
                f"{name}() takes {count} argument{'s' if most != 1 else ''}, not {len(args)}",
                token.pos,
            )
        for arg, allowed in zip(args, signature.params, strict=False):
            wanted = " or ".join(kinds.describe(k) for k in sorted(allowed))
            self._kind(arg, allowed, f"{name}() needs {wanted} here")
            if allowed == {kinds.NUMBER} and not kinds.fits_int32(arg.expr):
                raise self._fail(f"{name}() needs a whole number of at most 32 bits here", arg.pos)
        expr = Call(name, tuple(a.expr for a in args))
        return self._node(expr, signature.result, token.pos, *args)

    # -- member paths and lambdas -----------------------------------------------------

    def _member(self, first: Token) -> Node:
        entity, token = self.root, first
        prefix: tuple[str, ...] = ()
        if first.text in self.variables or first.text.lower() == "$it":
            if first.text in self.variables:
                entity, prefix = self.variables[first.text], (first.text,)
            if self.stream.peek().kind is not Kind.SLASH:
                raise self._fail(
                    f"'{first.text}' needs a property: {first.text}/<property>", first.pos
                )
            self.stream.advance()
            token = self.stream.expect(Kind.NAME, "a property name")
        builder = PathBuilder(self.schema, entity, self.stream.option, prefix)
        while True:
            member = builder.step(token.text, token.pos)
            if member.kind is MemberKind.COLLECTION:
                return self._lambda(builder, token)
            slash = self.stream.accept(Kind.SLASH)
            if slash is None:
                break
            token = self.stream.expect(Kind.NAME, "a property name")
        path, field = builder.value_path(token.pos)
        return Node(Path(path), kinds.kind_of_field(field), first.pos)

    def _lambda(self, builder: PathBuilder, collection: Token) -> Node:
        """`Collection/any(v: predicate)`, `all(...)` or `any()`: on a collection of the root
        entity, of a lambda variable (`l/Shipments/any(...)`, nested) or of a record reached
        through lookups (`Account/Contacts/any(...)`); the lambda's path keeps that prefix.
        """
        if self.stream.accept(Kind.SLASH) is None or not self.stream.peek().is_word("any", "all"):
            raise self.stream.error(f"expected any(...) or all(...) after '{collection.text}'")
        kind_token = self.stream.advance()
        kind = kind_token.text.lower()
        opening = self.stream.expect(Kind.OPEN, "'('")
        self._enter(opening.pos)
        member = builder.last
        assert member is not None
        path = Path(tuple(builder.segments))
        variable, predicate = self._lambda_body(kind, kind_token, self.schema.target(member))
        self.nesting -= 1
        if predicate is None:
            return self._node(Lambda(kind, path, "", None), kinds.BOOLEAN, collection.pos)
        expr = Lambda(kind, path, variable, predicate.expr)
        return self._node(expr, kinds.BOOLEAN, collection.pos, predicate)

    def _lambda_body(self, kind: str, kind_token: Token, child: Entity) -> tuple[str, Node | None]:
        """The variable and predicate of a lambda, up to and including its ')'."""
        if self.stream.accept(Kind.CLOSE) is not None:
            if kind == "all":
                raise self._fail("all() needs a condition: all(x: ...)", kind_token.pos)
            return "", None
        variable = self.stream.expect(Kind.NAME, "a lambda variable name")
        self._check_variable(variable)
        self.stream.expect(Kind.COLON, "':' after the lambda variable")
        self.variables[variable.text] = child
        predicate = self._boolean(self._or())
        del self.variables[variable.text]
        self.stream.expect(Kind.CLOSE, "')'")
        return variable.text, predicate

    def _check_variable(self, token: Token) -> None:
        name = token.text
        if "." in name or name.startswith("$") or name.lower() in KEYWORDS:
            raise self._fail(f"'{name}' cannot be a lambda variable name", token.pos)
        if name in self.variables:
            raise self._fail(f"lambda variable '{name}' is already in use", token.pos)
        if self.root.field_or_none(name) is not None:
            raise self._fail(
                f"lambda variable '{name}' has the name of a property of {self.root.name}",
                token.pos,
            )


def parse_filter(
    entity: Entity,
    model: DataModel,
    text: str,
    aliases: Mapping[str, str] | None = None,
    schema: Schema | None = None,
) -> Expr:
    """The expression of a `$filter` option on `entity`; ODataQueryError if it is invalid.

    `aliases` are the request's `@name` parameters, which a filter may use as literals.
    """
    stream = TokenStream.of(text, "$filter")
    expr = FilterParser(schema or Schema(model), entity, stream, aliases).parse()
    stream.expect_end("an operator or the end of the expression")
    return expr
