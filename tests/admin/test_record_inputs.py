"""Record forms without a browser: layout by field group, inputs per type, form <-> record,
and errors placed under the input they name."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from commonground.admin.record_inputs import (
    Compound,
    Input,
    errors_by_input,
    form_values,
    layout,
    record_from,
)
from commonground.admin.record_list import list_columns, shown
from commonground.errors import RecordError
from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.picklist import Picklist

SIZES = Picklist(name="Size", items=("Small", "Large"))
CURRENCIES = Picklist(name="CurrencyCode", items=("EUR", "USD"))
PART = Entity(
    name="Part",
    primary_name="Name",
    fields=(
        {"name": "Name", "type": "Text", "required": True, "max_length": 40},
        {"name": "Size", "type": "Picklist", "picklist": "Size"},
        {"name": "Fragile", "type": "Boolean"},
        {"name": "Weight", "type": "Number"},
        {"name": "Made", "type": "DateTime"},
        {"name": "Price", "type": "Currency"},
        {"name": "Notes", "type": "Multiline"},
    ),
    field_groups={"DefaultDetails": ("Name", "Size"), "DefaultList": ("Name", "Weight")},
)
MODEL = DataModel([PART], [SIZES, CURRENCIES])


def test_the_form_follows_the_field_groups_then_shows_the_rest() -> None:
    sections = layout(MODEL, PART)
    assert [s.legend for s in sections] == ["Details", "List", "Other fields"]
    assert [w.name for w in sections[1].widgets] == ["Weight"]  # Name is shown once
    rest = {w.name: w for w in sections[2].widgets}
    assert isinstance(rest["Fragile"], Input)
    assert rest["Fragile"].control == "checkbox"
    assert isinstance(rest["Made"], Input)
    assert rest["Made"].input_type == "datetime-local"
    assert isinstance(rest["Notes"], Input)
    assert rest["Notes"].control == "textarea"
    price = rest["Price"]
    assert isinstance(price, Compound)
    assert [p.name for p in price.parts] == ["Price/Amount", "Price/CurrencyCode"]
    assert price.parts[1].options == (("EUR", "EUR"), ("USD", "USD"))
    size = sections[0].widgets[1]
    assert isinstance(size, Input)
    assert size.control == "select"


def test_a_form_becomes_a_record_and_a_record_becomes_a_form() -> None:
    form = {"Name": " Bolt ", "Size": "Large", "Fragile": "true", "Price/Amount": "2.5"}
    created = record_from(PART, form, creating=True)
    assert created == {
        "Name": "Bolt",
        "Size": "Large",
        "Fragile": True,
        "Price": {"Amount": "2.5", "CurrencyCode": None},
    }
    cleared = record_from(PART, {"Name": "Bolt"}, creating=False)
    assert cleared["Weight"] is None
    assert cleared["Fragile"] is False
    values = form_values(
        PART,
        {
            "Name": "Bolt",
            "Fragile": True,
            "Weight": Decimal("1.500000"),
            "Made": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "Price": {"Amount": Decimal("2.5"), "CurrencyCode": "EUR"},
        },
    )
    assert values["Fragile"] == "true"
    assert values["Weight"] == "1.5"
    assert values["Made"] == "2026-01-02T03:04:05"
    assert values["Price/CurrencyCode"] == "EUR"
    assert values["Notes"] == ""


def test_errors_land_under_their_input_and_the_rest_at_the_top() -> None:
    errors = [
        RecordError(0, "Weight", "expected a number"),
        RecordError(0, "Price/Amount", "too many digits"),
        RecordError(0, "VersionNumber", "changed by someone else"),
        RecordError(0, None, "a record with this key exists"),
    ]
    at_field, general = errors_by_input(layout(MODEL, PART), errors)
    assert at_field == {"Weight": ["expected a number"], "Price/Amount": ["too many digits"]}
    assert general == ["VersionNumber: changed by someone else", "a record with this key exists"]


def test_the_list_shows_the_default_list_group_or_the_first_fields() -> None:
    assert [f.name for f in list_columns(PART)] == ["Name", "Weight"]
    plain = PART.model_copy(update={"field_groups": {}})
    assert [f.name for f in list_columns(plain)] == ["Name", "Size", "Fragile", "Weight", "Made"]
    assert shown({"Line1": "Main St 1", "City": None, "PostalCode": "0150"}) == "Main St 1 0150"
    assert shown(date(2026, 1, 2)) == "2026-01-02"
