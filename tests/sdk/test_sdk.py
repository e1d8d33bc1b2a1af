"""The embedded SDK: entity sets, the query builder, transactional batches, conflicts."""

from __future__ import annotations

import pytest

from commonground.errors import ConflictError, NotFoundError, RecordValidationError
from commonground.query import F
from commonground.sdk import Client, connect
from commonground.sdk.backend import EmbeddedBackend
from commonground.security.caller import Caller
from commonground.service.environment import Environment
from tests.fixtures.records import account, contact


@pytest.fixture
def client(env: Environment) -> Client:
    return Client(EmbeddedBackend(env, Caller("alice", admin=True)))


def test_entity_set_names_are_case_insensitive_and_checked(client: Client) -> None:
    assert client.entity_set("account").name == "Account"
    assert client["Contact"].name == "Contact"
    with pytest.raises(NotFoundError, match="Entity 'Nope'"):
        client.entity_set("Nope")


def test_insert_and_retrieve_stamps_system_fields(client: Client) -> None:
    created = client["Account"].insert_and_retrieve(account("Contoso"))
    assert created["FullName"] == "Contoso"
    assert created["CreatedByUser"] == "alice"
    assert created["AccountId"].startswith("ACC")
    assert (
        client["Account"].get_by_key(AccountId=created["AccountId"])["RecordId"]
        == created["RecordId"]
    )


def test_query_builder_where_select_order_take_skip(client: Client) -> None:
    accounts = client["Account"]
    accounts.insert([account(f"Firm {n:02d}", EmployeeCount=n) for n in range(10)])
    query = accounts.query().where(F.EmployeeCount >= 3).order_by_descending("EmployeeCount")
    assert [r["EmployeeCount"] for r in query.take(3)] == [9, 8, 7]
    assert [r["EmployeeCount"] for r in query.skip(5).take(10)] == [4, 3]
    assert query.count() == 7
    narrowed = query.where(F.FullName.endswith("05")).select("FullName").first()
    assert narrowed is not None
    assert set(narrowed) == {"RecordId", "VersionNumber", "FullName"}
    assert accounts.query().where(F.EmployeeCount > 100).first() is None


def test_query_builders_are_immutable(client: Client) -> None:
    base = client["Account"].query()
    refined = base.where(F.Status == "Active").take(1)
    assert base.plan.where is None
    assert base.plan.top is None
    assert refined.plan.top == 1


def test_include_lookup_and_child_collection(client: Client) -> None:
    ids = client["Account"].insert([account("Parent")]).record_ids
    client["Contact"].insert(
        [contact("Ann", PrimaryAccount=ids[0]), contact("Bo", PrimaryAccount=ids[0])]
    )
    contacts = client["Contact"].query().include("PrimaryAccount").order_by("FullName").to_list()
    assert [c.related["PrimaryAccount"]["FullName"] for c in contacts] == ["Parent", "Parent"]
    names_first = client["Contact"].query().select("FullName").order_by("FullName")
    parent = client["Account"].query().include("Contact", names_first.take(1)).first()
    assert parent is not None
    assert [c["FullName"] for c in parent.related["Contact"]] == ["Ann"]


def test_batch_commits_everything_together(client: Client) -> None:
    with client.batch() as batch:
        batch.insert("Account", [account("One"), account("Two")])
        batch.upsert("Account", [account("Three", AccountId="X-3")])
    assert client["Account"].query().count() == 3
    assert [type(r).__name__ for r in batch.results] == ["WriteResult", "WriteResult"]


def test_batch_is_all_or_nothing(client: Client) -> None:
    batch = (
        client.batch()
        .insert("Account", [account("Fine")])
        .insert("Account", [{"FullName": "No flags"}])
    )
    with pytest.raises(RecordValidationError):
        batch.execute()
    assert client["Account"].query().count() == 0


def test_stale_update_in_a_batch_raises_conflict_and_applies_nothing(client: Client) -> None:
    accounts = client["Account"]
    record = accounts.insert_and_retrieve(account("Before"))
    accounts.update([{"RecordId": record["RecordId"], "FullName": "Someone else"}])
    batch = client.batch().insert("Account", [account("Side effect")])
    batch.update(
        "Account",
        [
            {
                "RecordId": record["RecordId"],
                "VersionNumber": record["VersionNumber"],
                "FullName": "Mine",
            }
        ],
    )
    with pytest.raises(ConflictError):
        batch.execute()
    assert accounts.get(record["RecordId"])["FullName"] == "Someone else"
    assert accounts.query().count() == 1


def test_delete_checks_version(client: Client) -> None:
    accounts = client["Account"]
    record = accounts.insert_and_retrieve(account("Doomed"))
    with pytest.raises(ConflictError):
        accounts.delete(record["RecordId"], version=record["VersionNumber"] + 1)
    assert accounts.delete(record["RecordId"], version=record["VersionNumber"]) == 1
    with pytest.raises(NotFoundError):
        accounts.get(record["RecordId"])


def test_changes_since_pages_until_caught_up(client: Client) -> None:
    accounts = client["Account"]
    accounts.insert([account(f"A{n}") for n in range(7)])
    pages = list(accounts.all_changes_since(0, page=3))
    assert [len(p.changed) for p in pages] == [3, 3, 1]
    assert not pages[-1].more
    assert accounts.changes_since(pages[-1].token).changed == []


def test_changes_since_reads_only_the_selected_fields(client: Client) -> None:
    accounts = client["Account"]
    accounts.insert([account("Selected", EmployeeCount=5)])
    (changed,) = accounts.changes_since(0, select=["FullName"]).changed
    assert set(changed) == {"RecordId", "VersionNumber", "FullName"}
    (full,) = accounts.changes_since(0).changed
    assert full["EmployeeCount"] == 5


def test_connect_opens_an_environment_by_name(tmp_path: pytest.TempPathFactory) -> None:
    from commonground.service.environments import Environments

    home = tmp_path / "home"  # type: ignore[operator]
    environments = Environments(home=home)
    environments.create("Sales")
    environments.close()
    client = connect("Sales", home=home)
    client["Account"].insert([account("Via connect")])
    assert client["Account"].query().count() == 1
    client.backend.env.db.engine.dispose()  # type: ignore[attr-defined]
