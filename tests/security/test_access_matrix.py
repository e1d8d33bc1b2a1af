"""Who may do what, over every path, against a real `commonground serve`: a matrix of roles x
entities x operations x paths (collection, key, expand, apply, count, batch, delta, bulk,
export), then record policies with several users, and the bad-input answers (401, 403).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from commonground.apps.serving import serving
from commonground.errors import ForbiddenError
from commonground.integration.connectors.oauth import PasswordAuth
from commonground.integration.contracts import ConnectorError, ReadRequest
from commonground.integration.registry import open_connector
from commonground.security.caller import SYSTEM
from commonground.security.defaults import ENVIRONMENT_MAKER
from commonground.security.directory import Directory
from commonground.security.permissions import (
    EntityPermission,
    Member,
    MemberKind,
    Operation,
    PermissionSet,
    Policy,
    Role,
)
from commonground.service.environments import Environments
from commonground.service.transfer import ExportFormat, export_entity
from commonground.service.writes import WriteMode
from tests.fixtures.records import account, contact

ENV = "Matrix"
PASSWORD = "matrix password"
ENTITIES = {"Account": "Accounts", "Contact": "Contacts"}
RIGHTS: dict[str, dict[str, set[str]]] = {
    "admin": {"Account": {"C", "R", "U", "D"}, "Contact": {"C", "R", "U", "D"}},
    "viewer": {"Account": {"R"}, "Contact": {"R"}},
    "keeper": {"Account": {"C", "R", "U", "D"}},
    "nobody": {},
}
ROLES = {
    "viewer": ("Viewers", ("Account View", "Contact View")),
    "keeper": ("Keepers", ("Account Maintain",)),
}
OWN = PermissionSet(
    name="Own records",
    entities={
        "Account": EntityPermission(
            operations=frozenset(Operation),
            policies={
                op: Policy(field="CreatedByUser", current_user=True)
                for op in (Operation.READ, Operation.UPDATE, Operation.DELETE)
            },
        )
    },
)
EDIT_OWN = PermissionSet(
    name="Read all and edit own",
    entities={
        "Account": EntityPermission(
            operations=frozenset(Operation),
            policies={Operation.UPDATE: Policy(field="CreatedByUser", current_user=True)},
        )
    },
)
POLICY_USERS = ("ann", "ben", "cat", "maker", "grouped")


@dataclass
class Installation:
    """The served installation: its base URL and home folder."""

    url: str
    home: Path

    def root(self) -> str:
        return f"{self.url}/environments/{ENV}/api/data/v1/"

    def client(self, user: str) -> httpx.Client:
        auth = PasswordAuth(f"{self.url}/oauth2/token", user, SecretStr(PASSWORD))
        return httpx.Client(base_url=self.root(), auth=auth, timeout=30)


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    home = tmp_path_factory.mktemp("matrix")
    environments = Environments(home)
    env = environments.create(ENV)
    directory = Directory(home)
    try:
        for name in [*RIGHTS, *POLICY_USERS]:
            directory.create_user(name, f"{name}@example.com", PASSWORD, admin=name == "admin")
        directory.create_group("Keeping")
        directory.add_member("Keeping", "grouped")
    finally:
        directory.close()
    for user, (role, sets) in ROLES.items():
        env.security.save_role(SYSTEM, Role(name=role, permission_sets=sets))
        env.security.add_member(SYSTEM, role, Member(kind=MemberKind.USER, name=user))
    env.security.save_permission_set(SYSTEM, OWN)
    env.security.save_role(SYSTEM, Role(name="Owners", permission_sets=(OWN.name,)))
    for name in ("ann", "ben"):
        env.security.add_member(SYSTEM, "Owners", Member(kind=MemberKind.USER, name=name))
    env.security.save_permission_set(SYSTEM, EDIT_OWN)
    env.security.save_role(SYSTEM, Role(name="Editors", permission_sets=(EDIT_OWN.name,)))
    env.security.add_member(SYSTEM, "Editors", Member(kind=MemberKind.USER, name="cat"))
    maker = Member(kind=MemberKind.USER, name="maker")
    env.security.add_member(SYSTEM, ENVIRONMENT_MAKER, maker)
    env.security.add_member(SYSTEM, "Viewers", maker)
    env.security.add_member(SYSTEM, "Keepers", Member(kind=MemberKind.GROUP, name="Keeping"))
    environments.close()
    with serving(home) as url:
        yield Installation(url, home)


@pytest.fixture(scope="module")
def clients(installation: Installation) -> Iterator[dict[str, httpx.Client]]:
    made = {name: installation.client(name) for name in [*RIGHTS, *POLICY_USERS]}
    yield made
    for client in made.values():
        client.close()


def body_of(entity: str, name: str, **fields: Any) -> dict[str, Any]:
    return account(name, **fields) if entity == "Account" else contact(name, **fields)


def new_record(admin: httpx.Client, entity: str, name: str) -> int:
    response = admin.post(ENTITIES[entity], json=body_of(entity, name))
    assert response.status_code == 201, response.text
    return int(response.json()["RecordId"])


def expect(response: httpx.Response, allowed: bool, ok: int, what: str) -> None:
    """`ok` when allowed; otherwise 403 naming the missing privilege, with no record data."""
    if allowed:
        assert response.status_code == ok, f"{what}: {response.status_code} {response.text}"
        return
    assert response.status_code == 403, f"{what}: {response.status_code} {response.text}"
    error = response.json()["error"]
    assert error["code"] == "Forbidden", what
    assert error["message"].startswith("missing privilege: "), what
    assert "value" not in response.json(), what


def patched_together(client: httpx.Client, urls: list[str], description: str) -> list[int]:
    """PATCH each record's Description in one change set; the statuses answered."""
    requests = [
        {
            "id": str(n),
            "atomicityGroup": "g",
            "method": "PATCH",
            "url": url,
            "headers": {"Content-Type": "application/json"},
            "body": {"Description": description},
        }
        for n, url in enumerate(urls)
    ]
    answer = client.post("$batch", json={"requests": requests})
    return [r["status"] for r in answer.json()["responses"]]


CASES = [(user, entity) for user in RIGHTS for entity in ENTITIES]


@pytest.mark.parametrize(("user", "entity"), CASES)
def test_reads_on_every_path(
    clients: dict[str, httpx.Client], installation: Installation, user: str, entity: str
) -> None:
    admin, client = clients["admin"], clients[user]
    set_name = ENTITIES[entity]
    record = new_record(admin, entity, f"read {user} {entity}")
    may = "R" in RIGHTS[user].get(entity, set())
    paths = {
        "collection": set_name,
        "key": f"{set_name}({record})",
        "property": f"{set_name}({record})/FullName",
        "count": f"{set_name}/$count",
        "inline count": f"{set_name}?$count=true&$top=1",
        "apply": f"{set_name}?$apply=aggregate($count as n)",
        "filter": f"{set_name}?$filter=FullName eq 'x'",
    }
    for what, path in paths.items():
        expect(client.get(path), may, 200, f"{user} {what} {entity}")
    tracked = client.get(set_name, headers={"Prefer": "odata.track-changes"})
    expect(tracked, may, 200, f"{user} delta {entity}")
    if may:
        delta = client.get(tracked.json()["@odata.deltaLink"])
        assert delta.status_code == 200
    batch = client.post(
        "$batch", json={"requests": [{"id": "1", "method": "GET", "url": set_name}]}
    )
    assert batch.status_code == 200
    answer = batch.json()["responses"][0]
    assert answer["status"] == (200 if may else 403), f"{user} batch read {entity}"
    export = installation.home / f"{user}-{entity}.csv"
    environments = Environments(installation.home)
    directory = Directory(installation.home)
    try:
        caller = directory.caller_for(user)
        env = environments.open(ENV)
        if may:
            assert export_entity(env, entity, export, ExportFormat.CSV, caller=caller) >= 1
        else:
            with pytest.raises(ForbiddenError, match=f"Read on {entity}"):
                export_entity(env, entity, export, ExportFormat.CSV, caller=caller)
            assert not export.exists()
    finally:
        directory.close()
        environments.close()


@pytest.mark.parametrize(("user", "entity"), CASES)
def test_writes_on_every_path(clients: dict[str, httpx.Client], user: str, entity: str) -> None:
    admin, client = clients["admin"], clients[user]
    set_name = ENTITIES[entity]
    rights = RIGHTS[user].get(entity, set())
    created = client.post(set_name, json=body_of(entity, f"made by {user}"))
    expect(created, "C" in rights, 201, f"{user} create {entity}")
    bulk = client.post(
        f"{set_name}/CommonGround.CreateMultiple",
        json={"Targets": [body_of(entity, f"bulk {user} {n}") for n in range(2)]},
    )
    expect(bulk, "C" in rights, 200, f"{user} bulk create {entity}")
    record = new_record(admin, entity, f"write {user} {entity}")
    patched = client.patch(f"{set_name}({record})", json={"Description": f"by {user}"})
    expect(patched, "U" in rights, 204, f"{user} update {entity}")
    put = client.put(f"{set_name}({record})/Description", json={"value": "put"})
    expect(put, "U" in rights, 204, f"{user} property {entity}")
    statuses = patched_together(client, [f"{set_name}({record})"], "in a change set")
    assert statuses == [204 if "U" in rights else 403], f"{user} batch update {entity}"
    deleted = client.delete(f"{set_name}({record})")
    expect(deleted, "D" in rights, 204, f"{user} delete {entity}")
    still_there = admin.get(f"{set_name}({record})").status_code
    assert still_there == (404 if "D" in rights else 200)


def test_an_expanded_entity_the_caller_may_not_read_is_not_returned(
    clients: dict[str, httpx.Client],
) -> None:
    admin = clients["admin"]
    parent = new_record(admin, "Account", "expanded parent")
    person = admin.post("Contacts", json=contact("expanded child", PrimaryAccount=parent))
    assert person.status_code == 201
    query = f"Contacts({person.json()['RecordId']})?$expand=PrimaryAccount"
    assert clients["viewer"].get(query).json()["PrimaryAccount"]["FullName"] == "expanded parent"
    env_admin_view = clients["admin"].get(query).json()
    assert "PrimaryAccount" in env_admin_view
    keeper = clients["keeper"].get(f"Accounts({parent})?$expand=Contacts")
    assert keeper.status_code == 200
    assert "Contacts" not in keeper.json()
    filtered = clients["keeper"].get("Accounts?$filter=Contacts/any(c: c/FullName eq 'x')")
    expect(filtered, False, 200, "keeper filter through Contact")


def test_record_policies_hold_for_each_user_on_every_path(
    clients: dict[str, httpx.Client],
) -> None:
    ann, ben = clients["ann"], clients["ben"]
    anns = [ann.post("Accounts", json=account(f"Ann's {n}")).json()["RecordId"] for n in range(3)]
    bens = ben.post("Accounts", json=account("Ben's")).json()["RecordId"]
    names = {r["FullName"] for r in ann.get("Accounts").json()["value"]}
    assert names == {"Ann's 0", "Ann's 1", "Ann's 2"}
    assert ann.get("Accounts/$count").text == "3"
    assert ann.get("Accounts?$apply=aggregate($count as n)").json()["value"][0]["n"] == 3
    assert ann.get(f"Accounts({bens})").status_code == 404
    tracked = ann.get("Accounts", headers={"Prefer": "odata.track-changes"}).json()
    assert len(tracked["value"]) == 3
    assert ben.patch(f"Accounts({anns[0]})", json={"Description": "x"}).status_code == 404
    assert ben.delete(f"Accounts({anns[0]})").status_code == 404  # hidden: as if absent
    assert ann.patch(f"Accounts({anns[0]})", json={"Description": "mine"}).status_code == 204

    cat = clients["cat"]
    assert {anns[0], bens} <= {r["RecordId"] for r in cat.get("Accounts").json()["value"]}
    refused = cat.patch(f"Accounts({anns[0]})", json={"Description": "cat"})
    expect(refused, False, 204, "cat updates Ann's")
    assert "update policy" in refused.json()["error"]["message"]
    cats = cat.post("Accounts", json=account("Cat's")).json()["RecordId"]
    assert cat.patch(f"Accounts({cats})", json={"Description": "cat"}).status_code == 204

    urls = [f"Accounts({rid})" for rid in (bens, anns[1])]
    assert patched_together(ben, urls, "ben was here") == [404]
    assert ben.get(f"Accounts({bens})").json()["Description"] is None  # rolled back whole
    urls = [f"Accounts({rid})" for rid in (cats, anns[1])]
    assert patched_together(cat, urls, "cat was here") == [403]
    assert cat.get(f"Accounts({cats})").json()["Description"] == "cat"  # rolled back whole
    bulk = ben.post(
        "Accounts/CommonGround.UpsertMultiple",
        json={"Targets": [{"RecordId": anns[2], "Description": "ben"}]},
    )
    assert bulk.status_code == 403
    assert ann.get(f"Accounts({anns[2]})").json()["Description"] is None


def test_no_token_or_a_bad_one_is_401_with_a_challenge(installation: Installation) -> None:
    with httpx.Client(base_url=installation.root(), timeout=30) as anonymous:
        for path in ("Accounts", "Accounts(1)", "$metadata", "Accounts/$count"):
            refused = anonymous.get(path)
            assert refused.status_code == 401
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        refused = anonymous.post("$batch", json={"requests": []})
        assert refused.status_code == 401
        forged = anonymous.get("Accounts", headers={"Authorization": "Bearer not.a.token"})
        assert forged.status_code == 401
        assert 'error="invalid_token"' in forged.headers["WWW-Authenticate"]
    assert httpx.get(f"{installation.url}/health").status_code == 200


def test_security_administration_needs_the_security_capability(
    clients: dict[str, httpx.Client], installation: Installation
) -> None:
    base = f"{installation.url}/environments/{ENV}/security"
    refused = clients["keeper"].get(base)
    assert refused.status_code == 403
    assert clients["keeper"].get(f"{base}/me").json()["entities"]["Account"] == {
        "Create": "all",
        "Read": "all",
        "Update": "all",
        "Delete": "all",
    }
    overview = clients["admin"].get(base).json()
    assert overview["access_mode"] == "restricted"
    keepers = next(r for r in overview["roles"] if r["name"] == "Keepers")
    assert {"kind": "user", "name": "keeper"} in keepers["members"]
    granted = clients["admin"].post(
        f"{base}/roles/Viewers/members", json={"kind": "user", "name": "nobody"}
    )
    assert granted.status_code == 201
    assert clients["nobody"].get("Accounts?$top=1").status_code == 200
    revoked = clients["admin"].delete(f"{base}/roles/Viewers/members/user/nobody")
    assert revoked.status_code == 204
    directory = Directory(installation.home)
    try:
        trail = directory.audit_log(actor="admin", environment=ENV)
    finally:
        directory.close()
    assert [(e.action, e.target) for e in trail][-2:] in (
        [("role granted", "user nobody"), ("role revoked", "user nobody")],
        [("role revoked", "user nobody"), ("role granted", "user nobody")],
    )
    schema = clients["viewer"].post(
        f"{installation.url}/environments/{ENV}/metadata/picklists",
        json={"name": "Shade", "items": ["Light", "Dark"]},
    )
    assert schema.status_code == 403
    integration = clients["viewer"].get(f"{installation.url}/integration/connections")
    assert integration.status_code == 403


def embedded(name: str, installation: Installation, **extra: Any) -> dict[str, Any]:
    settings = {"environment": ENV, "home": str(installation.home), **extra}
    return {"name": name, "kind": "commonground", "settings": settings}


def test_a_maker_builds_integrations_only_on_connections_acting_as_the_maker(
    clients: dict[str, httpx.Client], installation: Installation
) -> None:
    base = f"{installation.url}/integration"
    maker, admin = clients["maker"], clients["admin"]
    sql = {"name": "Raw", "kind": "sql", "settings": {"url": "sqlite:///x.db"}}
    refused = maker.post(f"{base}/connections", json=sql)
    expect(refused, False, 201, "maker defines a sql connection")
    mine = maker.post(f"{base}/connections", json=embedded("Mine", installation))
    assert mine.status_code == 201, mine.text
    assert mine.json()["settings"]["run_as"] == "user:maker"
    posing = embedded("Posing", installation, run_as="user:admin")
    assert maker.post(f"{base}/connections", json=posing).json()["settings"]["run_as"] == (
        "user:maker"
    )
    assert (
        admin.post(f"{base}/connections", json=embedded("Operator", installation)).status_code
        == 201
    )

    def connection_set(name: str, other: str) -> dict[str, Any]:
        return {
            "name": name,
            "connections": {"source": "Mine", "destination": other},
            "organizations": [{"source": "S1", "destination": "D1"}],
        }

    borrowed = maker.post(f"{base}/connection-sets", json=connection_set("Borrowed", "Operator"))
    expect(borrowed, False, 201, "maker borrows the operator's connection")
    own = maker.post(f"{base}/connection-sets", json=connection_set("Own", "Posing"))
    assert own.status_code == 201, own.text


def test_an_embedded_connection_acts_with_the_rights_of_its_identity(
    clients: dict[str, httpx.Client], installation: Installation
) -> None:
    new_record(clients["admin"], "Account", "seen by the viewer's connection")
    settings = {"environment": ENV, "home": str(installation.home), "run_as": "user:viewer"}
    connector = open_connector("commonground", settings)
    try:
        batches = list(connector.read(ReadRequest("Account", fields=["FullName"])))
        assert sum(len(b.records) for b in batches) >= 1
        with pytest.raises(ConnectorError, match="missing privilege: Read on Lead"):
            list(connector.read(ReadRequest("Lead")))
        new = account("by the viewer", AccountId="VIEWER-1")
        with pytest.raises(ConnectorError, match="missing privilege: Create on Account"):
            connector.write("Account", [new], ["AccountId"], WriteMode.UPSERT)
    finally:
        connector.close()
    with pytest.raises(ConnectorError, match="User 'ghost' does not exist"):
        open_connector("commonground", {**settings, "run_as": "user:ghost"})


def test_a_role_given_to_a_group_reaches_its_members(clients: dict[str, httpx.Client]) -> None:
    grouped = clients["grouped"]
    made = grouped.post("Accounts", json=account("made through a group"))
    expect(made, True, 201, "a group member creates through the group's role")
    expect(grouped.get("Contacts"), False, 200, "the group's role grants no Contact")
