"""Batch writes: create, update, upsert by key, compound fields, picklists, transactions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commonground.errors import ConflictError, RecordValidationError
from commonground.query import Query
from commonground.security.caller import Caller
from commonground.service.writes import Outcome
from tests.fixtures.records import (
    account,
    add_gadget,
    contact,
    product,
    quotation,
    quotation_line,
)


def count(env, entity: str) -> int:
    return env.count(Query(entity))


def gadget_record(owner: int) -> dict:
    """A Gadget with a value in every field."""
    return {
        "Code": "G1",
        "Notes": "line one\nline two",
        "Weight": Decimal("1.250"),
        "Count": 3,
        "Active": True,
        "Price": {"Amount": 9.99, "CurrencyCode": "EUR"},
        "Made": date(2020, 2, 29),
        "Seen": datetime(2021, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        "Email": "a@example.com",
        "Phone": "+1 (555) 010-0100",
        "Site": "https://example.com/x",
        "Serial": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "Owner": owner,
        "Colour": "Blue",
        "Stock": 12,
        "Address": {"Line1": "1 Main St", "City": "Springfield", "PostalCode": "12345"},
        "Inventor": {"GivenName": "Ada", "FamilyName": "Lovelace"},
        "Picture": "https://example.com/p.png",
    }


# -- create -----------------------------------------------------------------------------


def test_create_returns_ids_versions_and_system_fields(env):
    before = env.current_token()
    result = env.create(
        "Account", [account("Contoso"), account("Fabrikam")], caller=Caller("alice", admin=True)
    )

    assert result.outcomes == [Outcome.INSERTED, Outcome.INSERTED]
    assert (result.inserted, result.updated, result.unchanged, result.failed) == (2, 0, 0, 0)
    assert result.errors == []
    first, second = result.record_ids
    assert first is not None
    assert second is not None
    assert first != second
    assert result.versions == [before + 1, before + 2]
    assert env.current_token() == before + 2

    stored = env.get("Account", first)
    assert stored["FullName"] == "Contoso"
    assert stored["VersionNumber"] == result.versions[0]
    assert stored["CreatedByUser"] == stored["LastModifiedByUser"] == "alice"
    assert isinstance(stored["CreatedOnDateTime"], datetime)
    assert stored["CreatedOnDateTime"].utcoffset().total_seconds() == 0
    assert stored["CreatedOnDateTime"] == stored["LastModifiedDateTime"]


def test_every_field_type_round_trips(env):
    add_gadget(env)
    owner = env.create("Account", [account("Owner")]).record_ids[0]
    rid = env.create("Gadget", [gadget_record(owner)]).record_ids[0]

    stored = env.get("Gadget", rid)
    assert stored["Code"] == "G1"
    assert stored["Notes"] == "line one\nline two"
    assert stored["Weight"] == Decimal("1.250")
    assert isinstance(stored["Weight"], Decimal)
    assert stored["Count"] == 3
    assert stored["Active"] is True
    assert stored["Price"] == {"Amount": Decimal("9.99"), "CurrencyCode": "EUR"}
    assert stored["Made"] == date(2020, 2, 29)
    assert stored["Seen"] == datetime(2021, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    assert stored["Email"] == "a@example.com"
    assert stored["Phone"] == "+1 (555) 010-0100"
    assert stored["Site"] == "https://example.com/x"
    assert stored["Serial"] == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert stored["Owner"] == owner
    assert stored["Colour"] == "Blue"
    assert stored["Stock"] == Decimal(12)
    assert stored["Address"] == {
        "Line1": "1 Main St",
        "Line2": None,
        "City": "Springfield",
        "StateOrProvince": None,
        "PostalCode": "12345",
        "CountryRegion": None,
    }
    assert stored["Inventor"] == {"GivenName": "Ada", "MiddleName": None, "FamilyName": "Lovelace"}
    assert stored["Picture"] == "https://example.com/p.png"
    assert stored["Number"] == "G-0001"


def test_input_forms_are_coerced_to_canonical_values(env):
    add_gadget(env)
    rid = env.create(
        "Gadget",
        [
            {
                "Code": "G2",
                "Weight": 1.5,
                "Count": "42",
                "Active": "yes",
                "Made": "2030-01-02",
                "Seen": "2030-01-02T10:00:00+02:00",
                "Serial": "12345678-1234-5678-1234-567812345678",
                "Colour": "green",
                "Stock": "7.25",
                "Notes": "",
            }
        ],
    ).record_ids[0]
    stored = env.get("Gadget", rid)
    assert stored["Weight"] == Decimal("1.5")
    assert stored["Count"] == 42
    assert stored["Active"] is True
    assert stored["Made"] == date(2030, 1, 2)
    assert stored["Seen"] == datetime(2030, 1, 2, 8, 0, tzinfo=UTC)
    assert stored["Serial"] == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert stored["Colour"] == "Green"
    assert stored["Stock"] == Decimal("7.25")
    assert stored["Notes"] is None


# -- AutoNumber -------------------------------------------------------------------------


def test_autonumber_has_prefix_and_padding_and_stays_unique_across_batches(env):
    first = env.create("Account", [account("A"), account("B")])
    second = env.create("Account", [account("C")])
    ids = [env.get("Account", rid)["AccountId"] for rid in first.record_ids + second.record_ids]
    assert ids == ["ACC000001", "ACC000002", "ACC000003"]


def test_autonumber_of_custom_entity_uses_its_prefix_and_digits(env):
    add_gadget(env)
    result = env.create("Gadget", [{"Code": f"C{i}"} for i in range(12)])
    numbers = [env.get("Gadget", rid)["Number"] for rid in result.record_ids]
    assert numbers == [f"G-{n:04d}" for n in range(1, 13)]


def test_autonumber_given_explicitly_is_kept(env):
    result = env.create("Account", [account("Imported", AccountId="LEGACY-7")])
    assert env.get("Account", result.record_ids[0])["AccountId"] == "LEGACY-7"


def test_autonumber_given_as_none_is_generated(env):
    result = env.create("Account", [account("A", AccountId=None)])
    assert env.get("Account", result.record_ids[0])["AccountId"] == "ACC000001"


def test_generated_autonumbers_skip_values_already_taken(env):
    env.create("Account", [account("Imported", AccountId="ACC000002")])
    result = env.create("Account", [account("B"), account("C")])
    ids = [env.get("Account", rid)["AccountId"] for rid in result.record_ids]
    assert ids == ["ACC000001", "ACC000003"]


def test_generated_autonumber_skips_value_given_later_in_same_batch(env):
    result = env.create("Account", [account("B"), account("Imported", AccountId="ACC000001")])
    ids = [env.get("Account", rid)["AccountId"] for rid in result.record_ids]
    assert ids == ["ACC000002", "ACC000001"]
    assert count(env, "Account") == 2


# -- upsert -----------------------------------------------------------------------------


def test_upsert_by_primary_key_inserts_updates_and_reports_unchanged(env):
    created = env.upsert("Account", [account("Contoso", AccountId="A-1")])
    assert created.outcomes == [Outcome.INSERTED]
    rid = created.record_ids[0]

    changed = env.upsert("Account", [account("Contoso Ltd", AccountId="A-1")])
    assert changed.outcomes == [Outcome.UPDATED]
    assert changed.record_ids == [rid]
    assert changed.versions[0] > created.versions[0]

    token = env.current_token()
    same = env.upsert("Account", [account("Contoso Ltd", AccountId="A-1")])
    assert same.outcomes == [Outcome.UNCHANGED]
    assert same.unchanged == 1
    assert same.record_ids == [rid]
    assert same.versions == changed.versions
    assert env.current_token() == token
    assert env.changes_since("Account", token).changed == []
    assert env.get("Account", rid)["VersionNumber"] == changed.versions[0]
    assert count(env, "Account") == 1


def test_upsert_of_unchanged_values_of_every_type_writes_no_change(env):
    add_gadget(env)
    owner = env.create("Account", [account("Owner")]).record_ids[0]
    first = env.upsert("Gadget", [gadget_record(owner)], key="Code")
    token = env.current_token()

    again = env.upsert("Gadget", [gadget_record(owner)], key="Code")
    assert again.outcomes == [Outcome.UNCHANGED]
    assert again.versions == first.versions
    assert env.current_token() == token

    # The same values in other input forms are still the same values.
    other_forms = {
        **gadget_record(owner),
        "Weight": "1.25",
        "Price": {"amount": Decimal("9.990"), "currencycode": "eur"},
        "Made": "2020-02-29",
        "Seen": "2021-03-04T06:06:07.891011+01:00",
        "Serial": "12345678-1234-5678-1234-567812345678",
        "Colour": "BLUE",
        "Active": 1,
    }
    assert env.upsert("Gadget", [other_forms], key="Code").outcomes == [Outcome.UNCHANGED]
    assert env.current_token() == token


def test_upsert_mixed_batch_reports_each_outcome_in_input_order(env):
    env.upsert("Account", [account("One", AccountId="K1"), account("Two", AccountId="K2")])
    token = env.current_token()
    result = env.upsert(
        "Account",
        [
            account("Two", AccountId="K2"),
            account("Three", AccountId="K3"),
            account("One!", AccountId="K1"),
        ],
    )
    assert result.outcomes == [Outcome.UNCHANGED, Outcome.INSERTED, Outcome.UPDATED]
    assert env.current_token() == token + 2
    changed = env.changes_since("Account", token)
    assert sorted(r["AccountId"] for r in changed.changed) == ["K1", "K3"]


def test_upsert_by_multi_field_key(env):
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    prod = env.create("Product", [product("Widget")]).record_ids[0]
    quote = env.create("Quotation", [quotation(acc)]).record_ids[0]

    first = env.upsert(
        "QuotationLine",
        [quotation_line(quote, 1, prod), quotation_line(quote, 2, prod)],
    )
    assert first.outcomes == [Outcome.INSERTED, Outcome.INSERTED]

    token = env.current_token()
    second = env.upsert(
        "QuotationLine",
        [
            quotation_line(quote, 2, prod, Quantity=5),
            quotation_line(quote, 1, prod),
            quotation_line(quote, 3, prod),
        ],
    )
    assert second.outcomes == [Outcome.UPDATED, Outcome.UNCHANGED, Outcome.INSERTED]
    assert second.record_ids[:2] == [first.record_ids[1], first.record_ids[0]]
    assert env.current_token() == token + 2
    assert env.get("QuotationLine", first.record_ids[1])["Quantity"] == Decimal(5)
    assert count(env, "QuotationLine") == 3


@pytest.mark.parametrize(
    "key", ["QuotationLine", ["Sequence", "Quotation"], ("quotation", "sequence")]
)
def test_multi_field_key_can_be_named_or_listed(env, key):
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    prod = env.create("Product", [product("Widget")]).record_ids[0]
    quote = env.create("Quotation", [quotation(acc)]).record_ids[0]
    env.create("QuotationLine", [quotation_line(quote, 1, prod)])

    result = env.upsert("QuotationLine", [quotation_line(quote, 1, prod, UnitPrice=11)], key=key)
    assert result.outcomes == [Outcome.UPDATED]
    assert count(env, "QuotationLine") == 1


def test_key_that_is_not_a_key_is_refused(env):
    env.create("Account", [account("Contoso")])
    with pytest.raises(ValueError, match="not a key of Account"):
        env.upsert("Account", [account("Contoso")], key="FullName")


def test_upsert_with_missing_key_value_fails(env):
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    prod = env.create("Product", [product("Widget")]).record_ids[0]
    quote = env.create("Quotation", [quotation(acc)]).record_ids[0]
    line = quotation_line(quote, 1, prod)
    del line["Sequence"]
    with pytest.raises(RecordValidationError) as caught:
        env.upsert("QuotationLine", [line])
    [error] = caught.value.errors
    assert (error.index, error.field, error.code) == (0, "Sequence", "MissingKey")


# -- update -----------------------------------------------------------------------------


def test_update_by_record_id_changes_only_the_given_fields(env):
    rid = env.create(
        "Account",
        [
            account(
                "Contoso",
                Description="Keep me",
                MailingPostalAddress={"City": "Seattle", "PostalCode": "98101"},
                CreditLimitAmount={"Amount": 100, "CurrencyCode": "USD"},
            )
        ],
    ).record_ids[0]
    before = env.get("Account", rid)

    result = env.update(
        "Account", [{"RecordId": rid, "FullName": "Contoso Ltd"}], caller=Caller("bob", admin=True)
    )
    assert result.outcomes == [Outcome.UPDATED]
    after = env.get("Account", rid)
    assert after["FullName"] == "Contoso Ltd"
    assert after["VersionNumber"] == result.versions[0] > before["VersionNumber"]
    assert after["LastModifiedByUser"] == "bob"
    assert after["CreatedByUser"] == "system"
    assert after["CreatedOnDateTime"] == before["CreatedOnDateTime"]
    for unchanged in ("Description", "MailingPostalAddress", "CreditLimitAmount", "AccountId"):
        assert after[unchanged] == before[unchanged]


def test_update_to_none_clears_an_optional_field(env):
    rid = env.create("Account", [account("Contoso", Description="x")]).record_ids[0]
    env.update("Account", [{"RecordId": rid, "Description": None}])
    assert env.get("Account", rid)["Description"] is None


def test_update_with_same_values_is_unchanged_and_costs_no_position(env):
    rid = env.create("Account", [account("Contoso")]).record_ids[0]
    token = env.current_token()
    result = env.update("Account", [{"RecordId": rid, "FullName": "Contoso", "Status": "active"}])
    assert result.outcomes == [Outcome.UNCHANGED]
    assert env.current_token() == token


def test_update_by_alternate_key(env):
    env.create("Account", [account("Contoso"), account("Fabrikam")])
    result = env.update(
        "Account", [{"AccountId": "ACC000002", "FullName": "Fabrikam Inc"}], key="AccountId"
    )
    assert result.outcomes == [Outcome.UPDATED]
    assert env.get_by_key("Account", {"AccountId": "ACC000002"})["FullName"] == "Fabrikam Inc"
    assert env.get_by_key("Account", {"AccountId": "ACC000001"})["FullName"] == "Contoso"


def test_update_of_missing_record_fails(env):
    with pytest.raises(RecordValidationError) as caught:
        env.update("Account", [{"RecordId": 999, "FullName": "Ghost"}])
    [error] = caught.value.errors
    assert error.code == "NotFound"
    assert "999" in error.message


def test_update_by_key_of_missing_record_fails(env):
    with pytest.raises(RecordValidationError) as caught:
        env.update("Account", [{"AccountId": "NOPE", "FullName": "Ghost"}], key="AccountId")
    assert [e.code for e in caught.value.errors] == ["NotFound"]
    assert count(env, "Account") == 0


def test_update_without_record_id_or_key_fails(env):
    env.create("Account", [account("Contoso")])
    with pytest.raises(RecordValidationError) as caught:
        env.update("Account", [{"FullName": "Who?"}])
    [error] = caught.value.errors
    assert (error.index, error.field, error.code) == (0, "RecordId", "MissingKey")


def test_update_of_required_field_to_none_fails(env):
    rid = env.create("Account", [account("Contoso")]).record_ids[0]
    with pytest.raises(RecordValidationError) as caught:
        env.update("Account", [{"RecordId": rid, "Status": None}])
    [error] = caught.value.errors
    assert (error.field, error.code) == ("Status", "Required")
    assert env.get("Account", rid)["Status"] == "Active"


# -- compound fields --------------------------------------------------------------------


def test_compound_fields_as_mappings_with_parts_in_any_case(env):
    rid = env.create(
        "Account",
        [
            account(
                "Contoso",
                MailingPostalAddress={"line1": "1 Main St", "CITY": "Seattle"},
                PersonName={"GivenName": "Ann", "MiddleName": "B", "FamilyName": "Smith"},
                CreditLimitAmount={"Amount": "1000.50", "CurrencyCode": "usd"},
            )
        ],
    ).record_ids[0]
    stored = env.get("Account", rid)
    assert stored["MailingPostalAddress"]["Line1"] == "1 Main St"
    assert stored["MailingPostalAddress"]["City"] == "Seattle"
    assert stored["MailingPostalAddress"]["PostalCode"] is None
    assert stored["PersonName"] == {"GivenName": "Ann", "MiddleName": "B", "FamilyName": "Smith"}
    assert stored["CreditLimitAmount"] == {"Amount": Decimal("1000.5"), "CurrencyCode": "USD"}


def test_currency_as_a_plain_number_sets_the_amount(env):
    amounts = [250, 250.0, Decimal("250"), "250.000000"]
    result = env.create("Account", [account("A", CreditLimitAmount=a) for a in amounts])
    for rid in result.record_ids:
        stored = env.get("Account", rid)["CreditLimitAmount"]
        assert stored == {"Amount": Decimal(250), "CurrencyCode": None}


def test_required_currency_given_as_number_satisfies_required(env):
    prod = env.create("Product", [product("Widget")]).record_ids[0]
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    quote = env.create("Quotation", [quotation(acc, TotalAmount=12.5)]).record_ids[0]
    assert env.get("Quotation", quote)["TotalAmount"]["Amount"] == Decimal("12.5")
    assert prod


def test_required_currency_missing_is_reported(env):
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    record = quotation(acc)
    del record["TotalAmount"]
    with pytest.raises(RecordValidationError) as caught:
        env.create("Quotation", [record])
    assert [(e.field, e.code) for e in caught.value.errors] == [("TotalAmount", "Required")]


# -- picklists --------------------------------------------------------------------------


def test_picklist_by_name_in_any_case_or_by_value(env):
    inputs = ["Inactive", "inactive", "INACTIVE", " Inactive ", 1, "Active", 0]
    result = env.create("Account", [account(f"A{i}", Status=s) for i, s in enumerate(inputs)])
    stored = [env.get("Account", rid)["Status"] for rid in result.record_ids]
    assert stored == ["Inactive"] * 5 + ["Active"] * 2


# -- transactions and concurrency -------------------------------------------------------


def test_stale_version_on_update_raises_conflict_and_writes_nothing(env):
    rid, version = (lambda r: (r.record_ids[0], r.versions[0]))(
        env.create("Account", [account("Contoso")])
    )
    newer = env.update("Account", [{"RecordId": rid, "FullName": "Contoso 2"}]).versions[0]
    token = env.current_token()

    with pytest.raises(ConflictError) as caught:
        env.update("Account", [{"RecordId": rid, "VersionNumber": version, "FullName": "Mine"}])
    assert (caught.value.record_id, caught.value.expected, caught.value.actual) == (
        rid,
        version,
        newer,
    )
    assert env.get("Account", rid)["FullName"] == "Contoso 2"
    assert env.current_token() == token


def test_current_version_on_update_succeeds(env):
    created = env.create("Account", [account("Contoso")])
    rid, version = created.record_ids[0], created.versions[0]
    result = env.update("Account", [{"RecordId": rid, "VersionNumber": version, "FullName": "X"}])
    assert result.outcomes == [Outcome.UPDATED]


def test_stale_version_on_upsert_by_key_raises_conflict(env):
    created = env.upsert("Account", [account("Contoso", AccountId="K")])
    env.upsert("Account", [account("Contoso 2", AccountId="K")])
    with pytest.raises(ConflictError):
        env.upsert("Account", [account("Mine", AccountId="K", VersionNumber=created.versions[0])])
    assert env.get_by_key("Account", {"AccountId": "K"})["FullName"] == "Contoso 2"


def test_transaction_commits_all_writes_together(env):
    with env.transaction(Caller("carol", admin=True)) as tx:
        acc = tx.create("Account", [account("Contoso")]).record_ids[0]
        con = tx.create("Contact", [contact("Ann", PrimaryAccount=acc)]).record_ids[0]
        tx.update("Account", [{"RecordId": acc, "PrimaryContact": con}])
        assert tx.get("Account", acc)["PrimaryContact"] == con
    stored = env.get("Account", acc)
    assert stored["PrimaryContact"] == con
    assert stored["LastModifiedByUser"] == "carol"
    assert env.get("Contact", con)["PrimaryAccount"] == acc


def test_transaction_rolls_back_every_write_when_one_fails(env):
    env.create("Account", [account("Existing")])
    token = env.current_token()

    def several_writes() -> None:
        with env.transaction() as tx:
            acc = tx.create("Account", [account("Contoso")]).record_ids[0]
            tx.create("Contact", [contact("Ann", PrimaryAccount=acc)])
            tx.update("Account", [{"RecordId": 1, "FullName": "Renamed"}])
            tx.create("Contact", [contact("Bad", PrimaryAccount=12345)])

    with pytest.raises(RecordValidationError, match="Contact: record 0"):
        several_writes()
    assert count(env, "Account") == 1
    assert count(env, "Contact") == 0
    assert env.get("Account", 1)["FullName"] == "Existing"
    assert env.current_token() == token
    # Numbers handed out inside the failed transaction are handed out again.
    rid = env.create("Account", [account("Next")]).record_ids[0]
    assert env.get("Account", rid)["AccountId"] == "ACC000002"


def test_transaction_rolls_back_on_any_exception(env):

    def write_then_fail() -> None:
        with env.transaction() as tx:
            tx.create("Account", [account("Contoso")])
            raise RuntimeError("caller changed its mind")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert count(env, "Account") == 0


# -- skipping failing records -----------------------------------------------------------


def test_skip_errors_writes_the_good_records_and_reports_the_bad(env):
    env.create("Account", [account("Existing", AccountId="TAKEN")])
    batch = [
        account("Good 1"),
        account("Bad status", Status="Bogus"),
        account("Good 2"),
        account("Duplicate", AccountId="TAKEN"),
        account("x" * 129),
    ]
    with env.transaction() as tx:
        result = tx.create("Account", batch, skip_errors=True)
    assert result.outcomes == [
        Outcome.INSERTED,
        Outcome.FAILED,
        Outcome.INSERTED,
        Outcome.FAILED,
        Outcome.FAILED,
    ]
    assert result.failed == 3
    assert result.record_ids[1] is None
    assert result.versions[3] is None
    assert [(e.index, e.field, e.code) for e in result.errors] == [
        (1, "Status", "InvalidValue"),
        (3, "AccountId", "DuplicateValue"),
        (4, "FullName", "InvalidValue"),
    ]
    assert count(env, "Account") == 3
    names = {env.get("Account", rid)["FullName"] for rid in result.record_ids if rid}
    assert names == {"Good 1", "Good 2"}


def test_skip_errors_on_upsert(env):
    env.upsert("Account", [account("One", AccountId="K1")])
    result = env.upsert(
        "Account",
        [account("One!", AccountId="K1"), account("Two", AccountId="K2", EmployeeCount="many")],
        skip_errors=True,
    )
    assert result.outcomes == [Outcome.UPDATED, Outcome.FAILED]
    assert [(e.index, e.field) for e in result.errors] == [(1, "EmployeeCount")]
    assert count(env, "Account") == 1
    assert env.get_by_key("Account", {"AccountId": "K1"})["FullName"] == "One!"


def test_skip_errors_with_every_record_bad_writes_nothing(env):
    token = env.current_token()
    result = env.upsert("Account", [account("Bad", AccountId="K", Status="Nope")], skip_errors=True)
    assert result.outcomes == [Outcome.FAILED]
    assert env.current_token() == token
    assert count(env, "Account") == 0
