"""Key predicates: RecordId, alternate keys, multi-field keys, lookups in keys, errors."""

from __future__ import annotations

import uuid

import pytest

from commonground.model.datamodel import DataModel
from commonground.odata.errors import ODataQueryError
from commonground.odata.keys import parse_key
from commonground.service.reads import resolve_key
from tests.fixtures.records import GADGET_COLOURS, gadget_entity


def key(model: DataModel, entity: str, text: str) -> dict[str, object]:
    return parse_key(model.entity(entity), model, text)


@pytest.mark.parametrize(
    ("entity", "text", "expected"),
    [
        ("Account", "(5)", {"RecordId": 5}),
        ("Account", "( 5 )", {"RecordId": 5}),
        ("Account", "(RecordId=5)", {"RecordId": 5}),
        ("Account", "(AccountId='A-1')", {"AccountId": "A-1"}),
        ("Account", "(accountid='it''s')", {"AccountId": "it's"}),
        ("QuotationLine", "(Quotation=5,Sequence=1)", {"Quotation": 5, "Sequence": 1}),
        ("QuotationLine", "(Sequence=1, _Quotation_value=5)", {"Sequence": 1, "Quotation": 5}),
        (
            "UnitOfMeasureConversion",
            "(FromUnitOfMeasure=UnitOfMeasure'Each',ToUnitOfMeasure='Box')",
            {"FromUnitOfMeasure": "Each", "ToUnitOfMeasure": "Box"},
        ),
    ],
)
def test_keys(standard, entity, text, expected):
    got = key(standard, entity, text)
    assert got == expected
    assert list(got) == list(expected)  # in the order given
    # The service accepts every key this parser lets through.
    assert resolve_key(standard.entity(entity), list(got)) == list(got)


def test_unique_fields_and_typed_values():
    model = DataModel([gadget_entity()], [GADGET_COLOURS], check=False)
    serial = "01234567-89ab-cdef-0123-456789abcdef"
    assert key(model, "Gadget", f"(Serial={serial})") == {"Serial": uuid.UUID(serial)}
    assert key(model, "Gadget", "(Code='G1')") == {"Code": "G1"}
    with pytest.raises(ODataQueryError, match="Made is not a key of Gadget"):
        key(model, "Gadget", "(Made=2024-01-31)")


@pytest.mark.parametrize(
    ("entity", "text", "message", "position"),
    [
        ("Account", "", "expected '(' but found end of text", 0),
        ("Account", "5", "expected '(' but found '5'", 0),
        ("Account", "()", "expected a key value (a literal) but found ')'", 1),
        ("Account", "(5", "expected ',' or ')' but found end of text", 2),
        ("Account", "(5))", "expected end of text but found ')'", 3),
        ("Account", "('A-1')", "a key without a name is a RecordId", 1),
        ("Account", "(0)", "a key without a name is a RecordId (a positive integer)", 1),
        ("Account", "(-3)", "a key without a name is a RecordId", 1),
        ("Account", "(1.5)", "a key without a name is a RecordId", 1),
        ("Account", "(true)", "a key without a name is a RecordId", 1),
        ("Account", "(null)", "a key value cannot be null", 1),
        ("Account", "(AccountId=null)", "a key value cannot be null", 11),
        (
            "Account",
            "(AccountId=FullName)",
            "expected a key value (a literal) but found 'FullName'",
            11,
        ),
        ("Account", "(AccountId)", "expected a key value (a literal) but found 'AccountId'", 1),
        ("Account", "(AccountId='a'", "expected ',' or ')' but found end of text", 14),
        ("Account", "(Nope='a')", "unknown property 'Nope' of Account", 1),
        ("Account", "(Contacts='a')", "'Contacts' cannot be part of a key", 1),
        ("Account", "(MailingPostalAddress='a')", "cannot be part of a key", 1),
        ("Account", "(AccountId='a',accountid='b')", "'AccountId' is given twice", 15),
        (
            "Account",
            "(FullName='x')",
            "FullName is not a key of Account (keys: AccountId (AccountId))",
            0,
        ),
        ("QuotationLine", "(Quotation=5)", "Quotation is not a key of QuotationLine", 0),
        ("QuotationLine", "(Quotation=5,Sequence=1,Product=2)", "is not a key", 0),
        ("Account", "(AccountId='a' 'b')", "expected ',' or ')' but found 'b'", 15),
    ],
)
def test_errors(standard, entity, text, message, position):
    with pytest.raises(ODataQueryError) as caught:
        key(standard, entity, text)
    assert message in caught.value.detail, str(caught.value)
    assert caught.value.position == position, str(caught.value)
    assert str(caught.value).startswith("key predicate: ")


@pytest.mark.parametrize(
    "digits", ["1", "5", "42", "007", "0", "123456789012345678", "9223372036854775807", "1" * 25]
)
def test_a_bare_record_id_reads_as_the_lexer_reads_it(standard, digits):
    """`(123)` skips the lexer; spaces make the same key go through it, with the same result
    or the same refusal."""
    quick, lexed = f"({digits})", f"( {digits} )"
    outcomes = []
    for text in (quick, lexed):
        try:
            outcomes.append(key(standard, "Account", text))
        except ODataQueryError as refused:
            outcomes.append(refused.detail)
    assert outcomes[0] == outcomes[1]
