"""Key predicates of resource paths: `(5)`, `(AccountId='A-1')`, `(Quotation=5,Sequence=1)`.

The result maps canonical field names to literal values, the shape `get_by_key` takes; a bare
value is the RecordId. Named keys must be exactly the fields of an alternate key, a single
unique field or RecordId: addressing one record by something that is not unique would make
an update or delete hit an arbitrary record. A lookup in a key may be named by its field
(`Quotation=5`) or by its value property (`_Quotation_value=5`), as in the Dataverse Web API.
"""

from __future__ import annotations

from typing import Any

from commonground.model.datamodel import DataModel
from commonground.model.entity import RECORD_ID, Entity
from commonground.odata.clauses import check_unique
from commonground.odata.errors import ODataQueryError
from commonground.odata.kinds import literal_node
from commonground.odata.lexer import LITERAL_KINDS, Kind, Token, TokenStream
from commonground.odata.properties import MemberKind, Schema
from commonground.query.expressions import Literal

OPTION = "key predicate"
MAX_PLAIN_DIGITS = 18  # always within Int64, like every RecordId the lexer accepts
KEY_MEMBERS = (MemberKind.SCALAR, MemberKind.VALUE, MemberKind.LOOKUP)


def parse_key(entity: Entity, model: DataModel, text: str) -> dict[str, Any]:
    """Field name -> value for the key predicate `text`, parentheses included."""
    record_id = _plain_record_id(text)
    if record_id is not None:
        return {RECORD_ID: record_id}
    stream = TokenStream.of(text, OPTION)
    opening = stream.expect(Kind.OPEN, "'('")
    if stream.peek().kind is not Kind.NAME or stream.peek(1).kind is not Kind.EQUALS:
        key = {RECORD_ID: _record_id(model, stream)}
    else:
        key = _named_values(Schema(model), entity, stream)
    stream.expect(Kind.CLOSE, "',' or ')'")
    stream.expect_end()
    _check_is_key(entity, key, opening.pos)
    return key


def _plain_record_id(text: str) -> int | None:
    """The RecordId of `(123)`, the most common key, read without the lexer; None for any
    other text (leading zeros, signs, spaces, too many digits), which the lexer reads."""
    digits = text[1:-1]
    plain = text.startswith("(") and text.endswith(")") and digits.isascii()
    if plain and digits.isdigit() and len(digits) <= MAX_PLAIN_DIGITS and digits[0] != "0":
        return int(digits)
    return None


def _record_id(model: DataModel, stream: TokenStream) -> int:
    token = stream.advance()
    value = _value(model, stream, token)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise stream.fail(
            "a key without a name is a RecordId (a positive integer); "
            "name the fields of an alternate key: (Field='value')",
            token.pos,
        )
    return value


def _named_values(schema: Schema, entity: Entity, stream: TokenStream) -> dict[str, Any]:
    key: dict[str, Any] = {}
    names: list[str] = []
    while True:
        token = stream.expect(Kind.NAME, "a key property name")
        member = schema.member(entity, token.text)
        if member is None:
            raise stream.fail(f"unknown property '{token.text}' of {entity.name}", token.pos)
        if member.kind not in KEY_MEMBERS:
            raise stream.fail(f"'{token.text}' cannot be part of a key", token.pos)
        check_unique(OPTION, names, token.pos, member.name)
        stream.expect(Kind.EQUALS, f"'=' after {token.text}")
        key[member.name] = _value(schema.model, stream, stream.advance())
        if stream.accept(Kind.COMMA) is None:
            return key


def _value(model: DataModel, stream: TokenStream, token: Token) -> Any:
    if token.is_word("null"):
        raise stream.fail("a key value cannot be null", token.pos)
    if token.kind not in LITERAL_KINDS and not token.is_word("true", "false"):
        raise stream.error("expected a key value (a literal)", token)
    expr = literal_node(model, token, OPTION).expr
    assert isinstance(expr, Literal)
    return expr.value


def _check_is_key(entity: Entity, key: dict[str, Any], position: int) -> None:
    wanted = {name.lower() for name in key}
    if wanted == {RECORD_ID.lower()}:
        return
    if any({f.lower() for f in fields} == wanted for fields in entity.keys.values()):
        return
    if len(key) == 1:
        field = entity.field_or_none(next(iter(key)))
        if field is not None and field.unique:
            return
    keys = "; ".join(f"{name} ({', '.join(fields)})" for name, fields in entity.keys.items())
    raise ODataQueryError(
        f"{', '.join(key)} is not a key of {entity.name} (keys: {keys or 'none'})",
        position,
        option=OPTION,
    )
