"""Records as OData JSON objects: related records under their navigation names, values as
JSON values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from commonground.model.yaml_loader import standard_model
from commonground.odata.json_format import RecordEncoder
from commonground.service.codec import Record

MODEL = standard_model()
ACCOUNT = MODEL.entity("Account")


def test_a_record_with_related_records_is_encoded_with_them() -> None:
    contact = Record({"RecordId": 7, "VersionNumber": 2, "FullName": "Ann"})
    first = Record({"RecordId": 1, "VersionNumber": 1, "PrimaryContact": 7})
    assert not first.has_related()
    first.related["PrimaryContact"] = contact
    assert first.has_related()
    encoded = RecordEncoder(MODEL, ACCOUNT).encode(first)
    assert encoded["PrimaryContact"]["FullName"] == "Ann"
    assert encoded["_PrimaryContact_value"] == 7


def test_a_record_without_related_records_has_only_its_fields() -> None:
    record = Record({"RecordId": 2, "VersionNumber": 1, "PrimaryContact": None})
    assert RecordEncoder(MODEL, ACCOUNT).encode(record) == {
        "@odata.etag": 'W/"1"',
        "RecordId": 2,
        "VersionNumber": 1,
        "_PrimaryContact_value": None,
    }
    assert not record.has_related()


def test_values_are_json_values() -> None:
    record = Record(
        {
            "RecordId": 1,
            "VersionNumber": 3,
            "CreditLimitAmount": {"Amount": Decimal("12.50"), "CurrencyCode": "USD"},
            "Birthdate": date(2001, 2, 3),
            "OfficeGraphIdentifier": UUID(int=1),
        }
    )
    encoded = RecordEncoder(MODEL, ACCOUNT).encode(record)
    assert encoded["CreditLimitAmount"] == {"Amount": 12.5, "CurrencyCode": "USD"}
    assert encoded["Birthdate"] == "2001-02-03"
    assert encoded["OfficeGraphIdentifier"] == "00000000-0000-0000-0000-000000000001"
