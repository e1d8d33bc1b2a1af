"""The Common Ground connector against real environments: embedded (SQLite and PostgreSQL)
and remote (a real `commonground serve` process over a SQLite home).

Each test arranges data through an `Environment` in this process and checks what the
connector reads and writes; in remote mode the server opens the same environment files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from commonground.apps import serving as served_by
from commonground.integration.connectors.commonground import (
    CommonGroundConnector,
    CommonGroundSettings,
)
from commonground.integration.contracts import (
    Batch,
    FilterError,
    ReadRequest,
    RecordStatus,
    SchemaError,
    ValueKind,
    WriteMode,
)
from commonground.model.datamodel import DataModel
from commonground.security.identities import Credentials
from commonground.service.environment import Environment
from tests.fixtures.clones import new_environment_name
from tests.fixtures.fix_environments import Backend, TrackingEnvironments
from tests.fixtures.records import account, contact
from tests.fixtures.serving import add_application, add_tester, make_owner, token_url

NAMES = ["FullName", "AccountId"]


@dataclass
class Hub:
    """A connector on an environment, and the same environment in this process."""

    env: Environment
    connector: CommonGroundConnector
    settings: dict[str, Any]

    def read(self, entity: str = "Account", **options: Any) -> list[Batch]:
        options.setdefault("fields", NAMES)
        return list(self.connector.read(ReadRequest(entity, **options)))

    def accounts(self, *names: str) -> list[int]:
        records = [account(name, AccountId=name.upper()) for name in names]
        return [i for i in self.env.create("Account", records).record_ids if i is not None]


APPLICATION = "integrator"


@dataclass(frozen=True)
class Served:
    """A running server, the home folder it serves, and the client credentials of its
    application user APPLICATION (Database Owner in each `new_environment(served)`)."""

    home: Path
    url: str
    credentials: Credentials

    def client_settings(self) -> dict[str, Any]:
        """The connector settings that sign in as APPLICATION."""
        return {
            "token_url": token_url(self.url),
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }


@contextmanager
def serving(home: Path) -> Iterator[Served]:
    """`commonground serve` on a free port over `home` (with the admin TESTER and the
    application user APPLICATION), for as long as the block runs."""
    add_tester(home)
    credentials = add_application(home, APPLICATION)
    with served_by.serving(home) as url:
        yield Served(home, url, credentials)


@contextmanager
def new_environment(served: Served, standard: DataModel) -> Iterator[Environment]:
    """A new environment in the served home, where APPLICATION is Database Owner; deleted
    when the block ends."""
    environments = TrackingEnvironments(standard, home=served.home)
    try:
        env = environments.create(new_environment_name())
        make_owner(env, APPLICATION)
        yield env
    finally:
        environments.drop_created()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server over an empty home, shared by the module's remote tests."""
    with serving(tmp_path_factory.mktemp("served")) as server:
        yield server


@pytest.fixture
def served_env(served: Served, standard: DataModel) -> Iterator[Environment]:
    """A new environment in the served home."""
    with new_environment(served, standard) as env:
        yield env


@pytest.fixture(params=["embedded", "remote"])
def hub(request: pytest.FixtureRequest, backend: Backend) -> Iterator[Hub]:
    """The connector on a fresh environment, embedded on each backend, and remote once."""
    settings: dict[str, Any]
    if request.param == "embedded":
        env: Environment = request.getfixturevalue("env")
        envs: TrackingEnvironments = request.getfixturevalue("envs")
        where = {"home": str(envs.home)} if backend.url is None else {"database_url": backend.url}
        settings = {"environment": env.name, **where}
    else:
        if backend.url is not None:
            pytest.skip("remote mode runs once, over the server's SQLite home")
        env = request.getfixturevalue("served_env")
        served: Served = request.getfixturevalue("served")
        settings = {"environment": env.name, "url": served.url, **served.client_settings()}
    connector = CommonGroundConnector(CommonGroundSettings.model_validate(settings))
    yield Hub(env, connector, settings)
    connector.close()


def records_of(batches: list[Batch]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b.records]


# -- discovery ---------------------------------------------------------------------------


def test_discovery_reports_kinds_keys_and_what_may_be_written(hub: Hub) -> None:
    info = hub.connector.describe("account")
    assert info.name == "Account"
    assert info.keys == (("AccountId",), ("RecordId",))
    assert info.change_tracking
    by_name = {f.name: f for f in info.fields}
    assert by_name["AccountId"].kind is ValueKind.TEXT
    assert not by_name["AccountId"].required  # an AutoNumber is generated when left out
    assert by_name["FullName"].max_length is not None
    assert by_name["Status"].kind is ValueKind.TEXT
    assert by_name["Status"].required
    assert by_name["MailingPostalAddress"].kind is ValueKind.STRUCTURED
    assert by_name["PrimaryContact"].kind is ValueKind.LOOKUP
    assert by_name["PrimaryContact"].targets == ("Contact",)
    assert by_name["IsEmailContactAllowed"].kind is ValueKind.BOOLEAN
    for system in ("RecordId", "VersionNumber", "CreatedOnDateTime"):
        assert by_name[system].read_only
        assert not by_name[system].required
    assert "Contact" in {e.name for e in hub.connector.entities()}
    with pytest.raises(SchemaError, match="Nothing"):
        hub.connector.describe("Nothing")


def test_an_unknown_environment_is_a_schema_error(hub: Hub) -> None:
    settings = {**hub.settings, "environment": "Missing"}
    with pytest.raises(SchemaError, match="Missing"):
        CommonGroundConnector(CommonGroundSettings.model_validate(settings))


# -- reads -------------------------------------------------------------------------------


def test_a_full_read_comes_in_batches_that_resume(hub: Hub) -> None:
    hub.accounts(*(f"a{i}" for i in range(7)))
    batches = hub.read(batch_size=3)
    assert [len(b.records) for b in batches] == [3, 3, 1]
    assert records_of(batches)[0] == {"FullName": "a0", "AccountId": "A0"}
    token = batches[-1].watermark["token"]
    assert [b.watermark for b in batches] == [
        {"token": token, "after": batches[0].watermark["after"]},
        {"token": token, "after": batches[1].watermark["after"]},
        {"token": token},
    ]
    stored = {r["AccountId"]: str(r["VersionNumber"]) for b in hub.env.scan("Account") for r in b}
    assert [s for b in batches for s in b.stamps or []] == [
        stored[r["AccountId"]] for r in records_of(batches)
    ]
    rest = hub.read(batch_size=3, since=batches[0].watermark)
    assert [r["FullName"] for r in records_of(rest)] == [f"a{i}" for i in range(3, 7)]


def test_incremental_reads_send_each_change_and_delete_once(hub: Hub) -> None:
    ids = hub.accounts("one", "two", "three")
    mark = hub.read()[-1].watermark
    hub.env.update("Account", [{"RecordId": ids[0], "FullName": "one, renamed"}])
    hub.accounts("four")
    hub.env.delete("Account", [ids[1]])
    batches = hub.read(since=mark)
    assert records_of(batches) == [
        {"FullName": "one, renamed", "AccountId": "ONE"},
        {"FullName": "four", "AccountId": "FOUR"},
    ]
    assert [d for b in batches for d in b.deleted] == [{"AccountId": "TWO", "RecordId": ids[1]}]
    mark = batches[-1].watermark
    assert records_of(hub.read(since=mark)) == []
    hub.env.update("Account", [{"RecordId": ids[2], "FullName": "three, renamed"}])
    again = hub.read(since=mark)
    assert records_of(again) == [{"FullName": "three, renamed", "AccountId": "THREE"}]
    assert not any(b.deleted for b in again)


def test_changes_made_during_a_full_read_come_at_its_end(hub: Hub) -> None:
    ids = hub.accounts("a", "b", "c", "d")
    reading = hub.connector.read(ReadRequest("Account", fields=NAMES, batch_size=2))
    first = next(reading)
    hub.env.update("Account", [{"RecordId": ids[0], "FullName": "a, changed during"}])
    hub.accounts("e")
    rest = list(reading)
    assert {"a, changed during", "e"} <= {r["FullName"] for r in records_of(rest)}
    assert "after" not in rest[-1].watermark  # the walk is over
    assert records_of(hub.read(since=rest[-1].watermark)) == []  # nothing left for later
    assert len(first.records) == 2


def test_a_walk_resumed_after_a_crash_sends_what_changed_behind_it(hub: Hub) -> None:
    """A run killed after its first batch stored a mid-walk watermark; records the walk had
    passed then change; the run that resumes the walk sends them before it completes."""
    ids = hub.accounts("a", "b", "c", "d", "e")
    stored = hub.read(batch_size=2)[0].watermark
    hub.env.update("Account", [{"RecordId": ids[1], "FullName": "b, changed after the crash"}])
    resumed = hub.read(batch_size=2, since=stored)
    names = [r["FullName"] for r in records_of(resumed)]
    assert names[:3] == ["c", "d", "e"]
    assert "b, changed after the crash" in names[3:]
    assert records_of(hub.read(since=resumed[-1].watermark)) == []


def test_incremental_reads_come_in_pages_with_rising_tokens(hub: Hub) -> None:
    mark = hub.read()[-1].watermark
    hub.accounts("p1", "p2", "p3", "p4", "p5")
    batches = hub.read(since=mark, batch_size=2)
    assert [len(b.records) for b in batches] == [2, 2, 1]
    tokens = [b.watermark["token"] for b in batches]
    assert tokens == sorted(set(tokens))
    assert tokens[0] > mark["token"]


def test_a_source_filter_applies_to_full_and_incremental_reads(hub: Hub) -> None:
    ids = hub.accounts("keep 1", "drop 1", "keep 2")
    where = "startswith(FullName, 'keep')"
    batches = hub.read(filter=where)
    assert [r["FullName"] for r in records_of(batches)] == ["keep 1", "keep 2"]
    hub.env.update(
        "Account",
        [
            {"RecordId": ids[0], "FullName": "dropped now"},
            {"RecordId": ids[1], "FullName": "keep now"},
        ],
    )
    later = hub.read(filter=where, since=batches[-1].watermark)
    assert [r["FullName"] for r in records_of(later)] == ["keep now"]


def test_a_bad_filter_is_a_filter_error(hub: Hub) -> None:
    with pytest.raises(FilterError, match="Account"):
        hub.read(filter="NoSuchField eq 1")
    with pytest.raises(FilterError):
        hub.read(filter="FullName eq")


def test_lookup_paths_read_the_related_key(hub: Hub) -> None:
    ids = hub.accounts("parent")
    made = hub.env.create(
        "Contact", [contact("kid", PrimaryAccount=ids[0]), contact("orphan")]
    ).record_ids
    fields = ["FullName", "PrimaryAccount.AccountId"]
    batches = hub.read("Contact", fields=fields)
    assert records_of(batches) == [
        {"FullName": "kid", "PrimaryAccount.AccountId": "PARENT"},
        {"FullName": "orphan", "PrimaryAccount.AccountId": None},
    ]
    hub.env.update("Contact", [{"RecordId": made[1], "PrimaryAccount": ids[0]}])
    later = hub.read("Contact", fields=fields, since=batches[-1].watermark)
    assert records_of(later) == [{"FullName": "orphan", "PrimaryAccount.AccountId": "PARENT"}]
    fetched = hub.connector.fetch("Contact", made, fields)
    assert fetched[made[0]] == {"FullName": "kid", "PrimaryAccount.AccountId": "PARENT"}
    with pytest.raises(SchemaError, match="not a lookup"):
        hub.read("Contact", fields=["FullName.Name"])


# -- writes ------------------------------------------------------------------------------


def test_upserts_insert_update_and_leave_unchanged_records_alone(hub: Hub) -> None:
    write = hub.connector.write
    first = write("Account", [account("new", AccountId="N-1")], ["AccountId"], WriteMode.UPSERT)
    assert first.statuses == [RecordStatus.INSERTED]
    mark = hub.read()[-1].watermark
    same = {"AccountId": "N-1", "FullName": "new"}
    again = write("Account", [same], ["AccountId"], WriteMode.UPSERT)
    assert again.statuses == [RecordStatus.UNCHANGED]
    assert again.stamps == first.stamps
    assert records_of(hub.read(since=mark)) == []  # no change entry for an unchanged record
    changed = write("Account", [{**same, "FullName": "newer"}], ["accountid"], WriteMode.UPSERT)
    assert changed.statuses == [RecordStatus.UPDATED]
    batches = hub.read(since=mark)
    assert records_of(batches) == [{"FullName": "newer", "AccountId": "N-1"}]
    assert batches[-1].stamps == changed.stamps  # an echo compares equal


def test_failing_records_are_reported_and_the_rest_commit(hub: Hub) -> None:
    records = [
        account("good 1", AccountId="G-1"),
        account("x" * 5000, AccountId="BAD"),
        {"AccountId": "G-2", "FullName": "missing required fields"},
        account("good 2", AccountId="G-3"),
    ]
    outcome = hub.connector.write("Account", records, ["AccountId"], WriteMode.UPSERT)
    assert outcome.statuses == [
        RecordStatus.INSERTED,
        RecordStatus.FAILED,
        RecordStatus.FAILED,
        RecordStatus.INSERTED,
    ]
    assert {f.position for f in outcome.failures} == {1, 2}
    too_long = next(f for f in outcome.failures if f.position == 1)
    assert too_long.field == "FullName"
    assert too_long.message
    assert outcome.stamps is not None
    assert outcome.stamps[1] is None
    stored = {r["AccountId"] for r in records_of(hub.read())}
    assert stored == {"G-1", "G-3"}


def test_insert_and_update_modes_refuse_what_they_cannot_do(hub: Hub) -> None:
    hub.accounts("there")
    inserted = hub.connector.write(
        "Account",
        [account("there again", AccountId="THERE"), account("fresh", AccountId="FRESH")],
        ["AccountId"],
        WriteMode.INSERT,
    )
    assert inserted.statuses == [RecordStatus.FAILED, RecordStatus.INSERTED]
    updated = hub.connector.write(
        "Account",
        [{"AccountId": "THERE", "FullName": "there, updated"}, {"AccountId": "NONE"}],
        ["AccountId"],
        WriteMode.UPDATE,
    )
    assert updated.statuses == [RecordStatus.UPDATED, RecordStatus.FAILED]
    assert [f.position for f in updated.failures] == [1]
    assert {r["FullName"] for r in records_of(hub.read())} == {"there, updated", "fresh"}


def test_a_lookup_is_written_with_the_reference_resolve_returns(hub: Hub) -> None:
    hub.accounts("Parent Co")
    refs = hub.connector.resolve("Account", ["AccountId"], [("PARENT CO",)])
    outcome = hub.connector.write(
        "Contact",
        [contact("kid", ContactId="K-1", PrimaryAccount=refs[("PARENT CO",)])],
        ["ContactId"],
        WriteMode.UPSERT,
    )
    assert outcome.statuses == [RecordStatus.INSERTED]
    read = records_of(hub.read("Contact", fields=["ContactId", "PrimaryAccount.AccountId"]))
    assert read == [{"ContactId": "K-1", "PrimaryAccount.AccountId": "PARENT CO"}]


# -- delete, resolve, fetch --------------------------------------------------------------


def test_delete_by_key_reports_missing_records_as_unchanged(hub: Hub) -> None:
    hub.accounts("gone", "stays")
    mark = hub.read()[-1].watermark
    outcome = hub.connector.delete("Account", [{"AccountId": "GONE"}, {"AccountId": "NEVER"}])
    assert outcome.statuses == [RecordStatus.DELETED, RecordStatus.UNCHANGED]
    assert [r["AccountId"] for r in records_of(hub.read())] == ["STAYS"]
    assert [d["AccountId"] for b in hub.read(since=mark) for d in b.deleted] == ["GONE"]


def test_a_referenced_record_fails_its_delete_alone(hub: Hub) -> None:
    ids = hub.accounts("referenced", "free")
    hub.env.create("Contact", [contact("kid", PrimaryAccount=ids[0])])
    outcome = hub.connector.delete("Account", [{"AccountId": "REFERENCED"}, {"AccountId": "FREE"}])
    assert outcome.statuses == [RecordStatus.FAILED, RecordStatus.DELETED]
    assert [f.position for f in outcome.failures] == [0]
    assert [r["AccountId"] for r in records_of(hub.read())] == ["REFERENCED"]


def test_resolve_matches_exactly_then_ignoring_case(hub: Hub) -> None:
    ids = hub.accounts("alpha", "beta")
    found = hub.connector.resolve(
        "Account", ["accountid"], [("ALPHA",), ("beta",), ("gamma",), ("ALPHA",)]
    )
    assert found == {("ALPHA",): ids[0], ("beta",): ids[1]}
    pair = hub.connector.resolve("Account", ["FullName", "AccountId"], [("ALPHA", "alpha")])
    assert pair == {("ALPHA", "alpha"): ids[0]}


def test_fetch_reads_fields_by_reference(hub: Hub) -> None:
    ids = hub.accounts("first", "second")
    fetched = hub.connector.fetch("Account", [ids[1], ids[0], 999_999], ["AccountId"])
    assert fetched == {ids[0]: {"AccountId": "FIRST"}, ids[1]: {"AccountId": "SECOND"}}


def test_a_large_batch_is_one_write_with_its_failures_left_out(hub: Hub) -> None:
    records = [account(f"bulk {i}", AccountId=f"B-{i:05}") for i in range(2300)]
    for bad in (5, 1500, 2299):
        records[bad] = {**records[bad], "Status": "NoSuchStatus"}
    outcome = hub.connector.write("Account", records, ["AccountId"], WriteMode.UPSERT)
    assert [f.position for f in outcome.failures] == [5, 1500, 2299]
    assert outcome.count(RecordStatus.INSERTED) == 2297
    batches = hub.read(fields=["AccountId"], batch_size=1000)
    assert [len(b.records) for b in batches] == [1000, 1000, 297]
    written = {r["AccountId"]: s for r, s in zip(records, outcome.stamps or [], strict=True)}
    read = {
        r["AccountId"]: s for b in batches for r, s in zip(b.records, b.stamps or [], strict=True)
    }
    assert read == {k: v for k, v in written.items() if v is not None}


def test_a_record_deleted_and_created_again_is_not_sent_as_deleted(hub: Hub) -> None:
    ids = hub.accounts("phoenix", "gone")
    mark = hub.read()[-1].watermark
    hub.env.delete("Account", ids)
    hub.accounts("phoenix")
    batches = hub.read(since=mark)
    assert records_of(batches) == [{"FullName": "phoenix", "AccountId": "PHOENIX"}]
    assert [d["AccountId"] for b in batches for d in b.deleted] == ["GONE"]


def test_structured_and_picklist_values_round_trip(hub: Hub) -> None:
    address = {"Line1": "1 Main St", "City": "Springfield", "PostalCode": "12345"}
    record = account("Addressed", AccountId="ADDR", MailingPostalAddress=address)
    hub.connector.write("Account", [record], ["AccountId"], WriteMode.UPSERT)
    (read,) = records_of(hub.read(fields=["MailingPostalAddress", "Status"]))
    assert read["Status"] == "Active"
    assert {k: v for k, v in read["MailingPostalAddress"].items() if v is not None} == address
    again = hub.connector.write("Account", [record], ["AccountId"], WriteMode.UPSERT)
    assert again.statuses == [RecordStatus.UNCHANGED]


def test_records_may_be_matched_by_record_id(hub: Hub) -> None:
    ids = hub.accounts("by id")
    records = [{"RecordId": ids[0], "FullName": "by id, renamed"}, {"RecordId": 999_999}]
    outcome = hub.connector.write("Account", records, ["RecordId"], WriteMode.UPDATE)
    assert outcome.statuses == [RecordStatus.UPDATED, RecordStatus.FAILED]
    assert [r["FullName"] for r in records_of(hub.read())] == ["by id, renamed"]
