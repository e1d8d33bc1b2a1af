"""Query plans printed back to `$filter` text: lambdas keep their collection's prefix."""

from __future__ import annotations

import pytest

from commonground.model.datamodel import DataModel
from commonground.odata.filter_parser import parse_filter
from commonground.sdk.odata_text import Printer
from tests.odata.metadata_models import standard


@pytest.fixture(scope="module")
def model() -> DataModel:
    return standard()


@pytest.mark.parametrize(
    ("entity", "text"),
    [
        ("Account", "Contacts/any(c:(c/FullName eq 'x'))"),
        ("Account", "SalesOrders_Account/any(o:o/SalesOrderLines/any(l:(l/Quantity gt 1)))"),
        (
            "SalesOrder",
            "SalesOrderLines/any(l:(l/SalesOrderLineShipments/all(s:(s/Quantity lt l/Quantity))"
            " and (l/Product/Name eq 'Widget')))",
        ),
        ("SalesOrderLine", "SalesOrder/SalesOrderLines/any(o:(o/Product/Name eq 'W'))"),
        ("Contact", "PrimaryAccount/Contacts/any()"),
    ],
)
def test_lambdas_print_as_they_parse(model: DataModel, entity: str, text: str) -> None:
    parsed = parse_filter(model.entity(entity), model, text)
    assert Printer(model, model.entity(entity)).expr(parsed) == text
