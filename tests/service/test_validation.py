"""Validation of every field type and rule, with errors naming the record and the field.

Every write in this module fails, so the tests share one environment per backend and each
checks that its failed batch left no trace (same record count, same change token).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from commonground.errors import NotFoundError, RecordValidationError
from commonground.query import Query
from commonground.service.environment import Environment
from tests.fixtures.fix_environments import TrackingEnvironments, new_environment_name
from tests.fixtures.records import account, add_gadget

SERIAL = uuid.UUID("0f0f0f0f-0000-4000-8000-000000000001")


@pytest.fixture(scope="module")
def gadget_env(module_envs: TrackingEnvironments) -> Environment:
    env = module_envs.create(new_environment_name())
    add_gadget(env)
    owner = env.create("Account", [account("Owner", AccountId="OWNER")]).record_ids[0]
    env.create("Gadget", [{"Code": "EXISTING", "Serial": SERIAL, "Owner": owner}])
    env.create("Gadget", [{"Code": "OTHER"}])
    return env


@contextmanager
def refused(env: Environment, entity: str = "Gadget") -> Iterator[list[RecordValidationError]]:
    """Expect a RecordValidationError and check that the batch wrote nothing."""
    records, token = env.count(Query(entity)), env.current_token()
    caught: list[RecordValidationError] = []
    with pytest.raises(RecordValidationError) as info:
        yield caught
    caught.append(info.value)
    assert env.count(Query(entity)) == records
    assert env.current_token() == token


@contextmanager
def refused_nothing(env: Environment, entity: str = "Gadget") -> Iterator[None]:
    """Check that the block leaves no trace (used around transactions rolled back on purpose)."""
    records, token = env.count(Query(entity)), env.current_token()
    yield
    assert env.count(Query(entity)) == records
    assert env.current_token() == token


class RollbackError(Exception):
    """Raised to roll a transaction back on purpose."""


def problems(error: RecordValidationError) -> list[tuple[int, str | None, str]]:
    return [(e.index, e.field, e.code) for e in error.errors]


BAD_VALUES: list[tuple[str, Any, str, str]] = [
    ("Code", 123, "Code", "expected text"),
    ("Code", "x" * 11, "Code", "exceeds the maximum length of 10"),
    ("Notes", "y" * 51, "Notes", "maximum length of 50"),
    ("Weight", "heavy", "Weight", "expected a number"),
    ("Weight", Decimal("1.2345"), "Weight", "more than 3 decimal places"),
    ("Weight", "0.0001", "Weight", "more than 3 decimal places"),
    ("Weight", float("nan"), "Weight", "finite"),
    ("Weight", True, "Weight", "expected a number"),
    ("Weight", Decimal("1e30"), "Weight", "digits"),
    ("Count", 1.5, "Count", "whole number"),
    ("Count", 2**31, "Count", "outside the range"),
    ("Count", -(2**31) - 1, "Count", "outside the range"),
    ("Count", "12a", "Count", "whole number"),
    ("Count", True, "Count", "whole number"),
    ("Count", float("inf"), "Count", "whole number"),
    ("Count", Decimal("-Infinity"), "Count", "whole number"),
    ("Owner", Decimal("Infinity"), "Owner", "whole number"),
    ("Weight", 1e30, "Weight", "32 digits"),
    ("Price", Decimal("1e40"), "Price/Amount", "32 digits"),
    ("Active", "maybe", "Active", "true or false"),
    ("Active", 2, "Active", "true or false"),
    ("Price", {"Amount": "lots"}, "Price/Amount", "expected a number"),
    ("Price", {"Amount": "1.001"}, "Price/Amount", "more than 2 decimal places"),
    ("Price", {"Amount": 1, "CurrencyCode": "ZZZ"}, "Price/CurrencyCode", "CurrencyCode"),
    ("Price", {"Bogus": 1}, "Price/Bogus", "unknown part"),
    ("Price", "ten", "Price/Amount", "expected a number"),
    ("Made", "31/01/2020", "Made", "expected a date"),
    ("Made", 20200131, "Made", "expected a date"),
    ("Seen", "yesterday", "Seen", "ISO 8601"),
    ("Seen", 1700000000, "Seen", "expected a date and time"),
    ("Email", "not-an-email", "Email", "not an email address"),
    ("Email", "a@" + "b" * 260, "Email", "maximum length"),
    ("Phone", "call me", "Phone", "not a phone number"),
    ("Site", "example.com", "Site", "not a URL"),
    ("Picture", "picture.png", "Picture", "not a URL"),
    ("Serial", "not-a-guid", "Serial", "expected a GUID"),
    ("Serial", 12, "Serial", "expected a GUID"),
    ("Owner", "one", "Owner", "whole number"),
    ("Owner", 0, "Owner", "positive"),
    ("Owner", 1.5, "Owner", "whole number"),
    ("Colour", "Purple", "Colour", "GadgetColour"),
    ("Colour", 9, "Colour", "GadgetColour"),
    ("Colour", 1.0, "Colour", "GadgetColour"),
    ("Stock", [1], "Stock", "expected a number"),
    ("Address", "1 Main St", "Address", "mapping of parts"),
    ("Address", {"PostalCode": "9" * 33}, "Address/PostalCode", "maximum length of 32"),
    ("Address", {"Planet": "Mars"}, "Address/Planet", "unknown part"),
    ("Inventor", {"GivenName": 5}, "Inventor/GivenName", "expected text"),
    ("Inventor", ["Ada"], "Inventor", "mapping of parts"),
    ("Number", 17, "Number", "expected text"),
]


@pytest.mark.parametrize(
    ("field", "value", "label", "fragment"),
    BAD_VALUES,
    ids=[f"{f}-{i}" for i, (f, *_) in enumerate(BAD_VALUES)],
)
def test_bad_value_is_refused_naming_record_and_field(gadget_env, field, value, label, fragment):
    good = {"Code": "NEW1", field: None} if field != "Code" else {"Code": "NEW1"}
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [good, {"Code": "NEW2", field: value}])
    [error] = caught[0].errors
    assert (error.index, error.field, error.code) == (1, label, "InvalidValue")
    assert fragment in error.message
    assert "record 1 (Code=" in str(caught[0])
    assert f"field '{label}': {error.message}" in str(caught[0])
    assert str(caught[0]).startswith("Gadget: ")


def test_the_same_bad_value_is_refused_alone_and_among_good_ones(gadget_env):
    alone = [{"Code": "A", "Colour": 1.0}]
    among_good = [{"Code": "A", "Colour": "Red"}, {"Code": "B", "Colour": 1.0}]
    for batch in (alone, among_good):
        with refused(gadget_env) as caught:
            gadget_env.create("Gadget", batch)
        assert [(e.index, e.field) for e in caught[0].errors] == [(len(batch) - 1, "Colour")]


def test_every_bad_record_of_a_batch_is_reported_in_order(gadget_env):
    batch = [
        {"Code": "OK1"},
        {"Code": "B1", "Count": "many", "Colour": "Purple"},
        {"Code": "OK2"},
        {"Code": "B2", "Made": "never"},
    ]
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", batch)
    error = caught[0]
    assert [(e.index, e.field) for e in error.errors] == [(1, "Count"), (1, "Colour"), (3, "Made")]
    assert [e.record_key for e in error.errors] == ["Code='B1'", "Code='B1'", "Code='B2'"]


def test_many_errors_are_summarised(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": f"C{i}", "Count": "x"} for i in range(8)])
    assert len(caught[0].errors) == 8
    assert "(and 3 more)" in str(caught[0])


def test_sqlite_refuses_decimals_it_cannot_keep_exactly(gadget_env, backend):
    value = Decimal("12345678901234567890123456789.123")  # 32 digits: what a Number keeps
    if backend.name == "sqlite":
        with refused(gadget_env) as caught:
            gadget_env.create("Gadget", [{"Code": "BIG", "Weight": value}])
        [error] = caught[0].errors
        assert (error.field, error.code) == ("Weight", "InvalidValue")
        assert "15 significant digits" in error.message
    else:

        def write_and_roll_back() -> None:
            with gadget_env.transaction() as tx:
                rid = tx.create("Gadget", [{"Code": "BIG", "Weight": value}]).record_ids[0]
                assert tx.get("Gadget", rid)["Weight"] == value
                raise RollbackError  # leave the shared environment as it was

        with refused_nothing(gadget_env), pytest.raises(RollbackError):
            write_and_roll_back()


def test_missing_required_field(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create(
            "Gadget", [{"Code": "A"}, {"Notes": "no code"}, {"Code": None}, {"Code": ""}]
        )
    assert problems(caught[0]) == [
        (1, "Code", "Required"),
        (2, "Code", "Required"),
        (3, "Code", "Required"),
    ]


def test_missing_required_fields_of_a_standard_entity(gadget_env):
    record = account("No status")
    del record["Status"], record["PartyType"]
    with refused(gadget_env, "Account") as caught:
        gadget_env.create("Account", [record])
    assert sorted(problems(caught[0])) == [(0, "PartyType", "Required"), (0, "Status", "Required")]


def test_unknown_field(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "A", "Flavour": "lime"}])
    [error] = caught[0].errors
    assert (error.index, error.field, error.code) == (0, "Flavour", "UnknownField")
    assert "no field 'Flavour'" in error.message


@pytest.mark.parametrize(
    "field", ["CreatedByUser", "CreatedOnDateTime", "LastModifiedByUser", "LastModifiedDateTime"]
)
def test_read_only_system_field(gadget_env, field):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "A", field: "2020-01-01"}])
    [error] = caught[0].errors
    assert (error.index, error.field, error.code) == (0, field, "ReadOnlyField")


def test_read_only_system_field_on_update(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.update("Gadget", [{"RecordId": 1, "CreatedByUser": "mallory"}])
    assert problems(caught[0]) == [(0, "CreatedByUser", "ReadOnlyField")]


def test_record_that_is_not_a_mapping(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "A"}, ["Code", "B"]])  # type: ignore[list-item]
    assert problems(caught[0]) == [(1, None, "InvalidRecord")]


def test_dangling_lookup(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "A", "Owner": 1}, {"Code": "B", "Owner": 424242}])
    [error] = caught[0].errors
    assert (error.index, error.field, error.code) == (1, "Owner", "DanglingLookup")
    assert "Account record 424242 does not exist" in error.message


def test_duplicate_key_within_a_batch(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.upsert("Gadget", [{"Code": "D"}, {"Code": "E"}, {"Code": "D"}], key="Code")
    assert problems(caught[0]) == [(2, "Code", "DuplicateInBatch")]


def test_duplicate_key_within_a_create_batch(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "D"}, {"Code": "D"}])
    assert problems(caught[0]) == [(1, "Code", "DuplicateValue")]


def test_duplicate_key_against_stored_rows(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "NEW"}, {"Code": "EXISTING"}])
    [error] = caught[0].errors
    assert (error.index, error.field, error.code) == (1, "Code", "DuplicateValue")
    assert "already used by record" in error.message


def test_duplicate_alternate_key_on_create_of_standard_entity(gadget_env):
    with refused(gadget_env, "Account") as caught:
        gadget_env.create("Account", [account("Again", AccountId="OWNER")])
    assert problems(caught[0]) == [(0, "AccountId", "DuplicateValue")]


def test_unique_field_within_a_batch(gadget_env):
    serial = uuid.uuid4()
    with refused(gadget_env) as caught:
        gadget_env.create(
            "Gadget", [{"Code": "U1", "Serial": serial}, {"Code": "U2", "Serial": str(serial)}]
        )
    assert problems(caught[0]) == [(1, "Serial", "DuplicateValue")]


def test_unique_field_against_stored_rows(gadget_env):
    with refused(gadget_env) as caught:
        gadget_env.create("Gadget", [{"Code": "U3", "Serial": SERIAL}])
    [error] = caught[0].errors
    assert (error.index, error.field, error.code) == (0, "Serial", "DuplicateValue")
    assert "already used by record" in error.message


def test_unique_field_taken_by_another_record_on_update(gadget_env):
    other = gadget_env.get_by_key("Gadget", {"Code": "OTHER"})
    with refused(gadget_env) as caught:
        gadget_env.upsert("Gadget", [{"Code": "OTHER", "Serial": SERIAL}], key="Code")
    assert problems(caught[0]) == [(0, "Serial", "DuplicateValue")]
    assert gadget_env.get("Gadget", other["RecordId"])["Serial"] is None


def test_unique_value_kept_by_its_own_record_is_no_violation(gadget_env):
    token = gadget_env.current_token()
    result = gadget_env.upsert("Gadget", [{"Code": "EXISTING", "Serial": SERIAL}], key="Code")
    assert result.unchanged == 1
    assert gadget_env.current_token() == token


def test_unknown_entity(gadget_env):
    with pytest.raises(NotFoundError, match="Entity 'Widget'"):
        gadget_env.create("Widget", [{"Code": "A"}])


def test_environment_is_still_as_the_module_set_it_up(gadget_env):
    assert gadget_env.count(Query("Gadget")) == 2
    assert gadget_env.count(Query("Account")) == 1
