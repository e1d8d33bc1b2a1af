"""Roles, permission sets and record policies, enforced by the service layer for several users
at once: what each may read, count, aggregate, track, create, change and delete."""

from __future__ import annotations

from typing import Any

import pytest

from commonground.errors import DefinitionError, ForbiddenError, NotFoundError
from commonground.model.entity import Entity
from commonground.model.picklist import Picklist
from commonground.query.aggregate import Aggregate, Apply
from commonground.query.expressions import F, Lambda
from commonground.query.plan import Include, Query
from commonground.sdk.backend import EmbeddedBackend
from commonground.sdk.client import Client
from commonground.security.caller import Caller, CallerKind
from commonground.security.defaults import (
    DATABASE_OWNER,
    ENVIRONMENT_MAKER,
    ORGANIZATION_USER,
)
from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from commonground.security.permissions import (
    EntityPermission,
    Member,
    MemberKind,
    Operation,
    PermissionSet,
    Policy,
    Role,
)
from commonground.security.removal import remove_identity
from commonground.service.environment import EnvironmentSettings
from tests.fixtures.records import account, contact

ADMIN = Caller("root", admin=True)
ALICE = Caller("alice")
BOB = Caller("bob")
CAROL = Caller("carol", groups=frozenset({"Sales"}))
COUNT = Apply(aggregates=(Aggregate(None, "count", "n"),))


class Trail:
    """An audit trail that keeps what it is told."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, str | None]] = []

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
        environment: str | None = None,
    ) -> None:
        self.entries.append((actor, action, target, environment))


def grant(env: Any, role: str, members: list[Member], **entities: Any) -> None:
    """A role made of one permission set over `entities`, given to `members`."""
    permission_set = PermissionSet(name=f"{role} set", entities=entities)
    env.security.save_permission_set(ADMIN, permission_set)
    env.security.save_role(ADMIN, Role(name=role, permission_sets=(permission_set.name,)))
    for member in members:
        env.security.add_member(ADMIN, role, member)


def user(name: str) -> Member:
    return Member(kind=MemberKind.USER, name=name)


def names(records: list[Any]) -> list[str]:
    return sorted(r["FullName"] for r in records)


def test_a_new_environment_is_restricted_and_a_user_without_roles_gets_nothing(env):
    rid = env.create("Account", [account("Contoso")]).record_ids[0]
    assert env.settings.access_mode == "restricted"
    calls = [
        lambda: env.query(Query("Account"), ALICE),
        lambda: env.get("Account", rid, ALICE),
        lambda: env.count(Query("Account"), ALICE),
        lambda: env.changes_since("Account", 0, caller=ALICE),
        lambda: list(env.scan("Account", caller=ALICE)),
        lambda: env.aggregate(
            "Account", Apply(aggregates=(Aggregate(None, "count", "n"),)), caller=ALICE
        ),
    ]
    for call in calls:
        with pytest.raises(ForbiddenError, match="missing privilege: Read on Account"):
            call()
    with pytest.raises(ForbiddenError, match="Create on Account"):
        env.create("Account", [account("Fabrikam")], caller=ALICE)
    with pytest.raises(ForbiddenError, match="Update on Account"):
        env.update("Account", [{"RecordId": rid, "FullName": "X"}], caller=ALICE)
    with pytest.raises(ForbiddenError, match="Delete on Account"):
        env.delete("Account", [rid], caller=ALICE)
    assert names(env.query(Query("Account"))) == ["Contoso"]  # nothing was written


def test_the_builtin_view_and_maintain_sets_grant_read_and_everything(env):
    env.create("Account", [account("Contoso")])
    env.security.save_role(ADMIN, Role(name="Readers", permission_sets=("Account View",)))
    env.security.add_member(ADMIN, "Readers", user("alice"))
    env.security.save_role(ADMIN, Role(name="Keepers", permission_sets=("Account Maintain",)))
    env.security.add_member(ADMIN, "Keepers", user("bob"))

    assert names(env.query(Query("Account"), ALICE)) == ["Contoso"]
    with pytest.raises(ForbiddenError, match="Create on Account"):
        env.create("Account", [account("Fabrikam")], caller=ALICE)
    created = env.create("Account", [account("Fabrikam")], caller=BOB).record_ids[0]
    assert env.get("Account", created)["CreatedByUser"] == "bob"
    assert env.delete("Account", [created], caller=BOB) == 1
    with pytest.raises(ForbiddenError, match="Read on Contact"):
        env.query(Query("Contact"), BOB)


def test_roles_reach_members_through_groups_and_the_default_role(env):
    env.create("Account", [account("Contoso")])
    env.security.save_role(ADMIN, Role(name="Sales", permission_sets=("Account View",)))
    env.security.add_member(ADMIN, "Sales", Member(kind=MemberKind.GROUP, name="sales"))
    assert names(env.query(Query("Account"), CAROL)) == ["Contoso"]
    with pytest.raises(ForbiddenError):
        env.query(Query("Account"), ALICE)

    default = env.security.role(ORGANIZATION_USER)
    env.security.save_role(ADMIN, default.model_copy(update={"permission_sets": ("Account View",)}))
    assert names(env.query(Query("Account"), ALICE)) == ["Contoso"]
    application = Caller("connector", CallerKind.APPLICATION)
    assert names(env.query(Query("Account"), application)) == ["Contoso"]


def test_a_read_policy_narrows_every_read_to_the_records_it_admits(env):
    active, inactive = env.create(
        "Account", [account("Contoso"), account("Fabrikam", Status="Inactive")]
    ).record_ids
    token = 0
    policy = Policy(field="Status", values=("Active",))
    read = EntityPermission(
        operations=frozenset({Operation.READ}), policies={Operation.READ: policy}
    )
    grant(env, "Active readers", [user("alice")], Account=read)

    assert names(env.query(Query("Account"), ALICE)) == ["Contoso"]
    assert env.count(Query("Account"), ALICE) == 1
    assert env.get("Account", active, ALICE)["FullName"] == "Contoso"
    with pytest.raises(NotFoundError):
        env.get("Account", inactive, ALICE)
    hidden_key = {"AccountId": env.get("Account", inactive)["AccountId"]}
    with pytest.raises(NotFoundError):
        env.get_by_key("Account", hidden_key, ALICE)
    assert env.aggregate("Account", COUNT, caller=ALICE) == [{"n": 1}]
    changes = env.changes_since("Account", token, caller=ALICE)
    assert names(changes.changed) == ["Contoso"]
    assert [r["FullName"] for batch in env.scan("Account", caller=ALICE) for r in batch] == [
        "Contoso"
    ]
    assert names(env.query(Query("Account", where=F.Status == "Inactive"), ALICE)) == []


def test_an_update_policy_on_the_creator_lets_each_user_change_only_their_own(env):
    own = EntityPermission(
        operations=frozenset(Operation),
        policies={
            Operation.UPDATE: Policy(field="CreatedByUser", current_user=True),
            Operation.DELETE: Policy(field="CreatedByUser", current_user=True),
        },
    )
    grant(env, "Own accounts", [user("alice"), user("bob")], Account=own)
    mine = env.create("Account", [account("Alice's")], caller=ALICE).record_ids[0]
    theirs = env.create("Account", [account("Bob's")], caller=BOB).record_ids[0]

    env.update("Account", [{"RecordId": mine, "Description": "mine"}], caller=ALICE)
    with pytest.raises(ForbiddenError, match=r"Update on Account \(record 1: .*update policy"):
        env.update(
            "Account",
            [{"RecordId": mine, "Description": "x"}, {"RecordId": theirs, "Description": "x"}],
            caller=ALICE,
        )
    assert env.get("Account", mine)["Description"] == "mine"  # the whole batch was refused
    with pytest.raises(ForbiddenError, match="Delete on Account"):
        env.delete("Account", [theirs], caller=ALICE)
    assert env.delete("Account", [mine], caller=ALICE) == 1

    skipped = env.upsert(
        "Account",
        [{"RecordId": theirs, "Description": "y"}],
        caller=ALICE,
        skip_errors=True,
    )
    assert skipped.failed == 1
    assert skipped.errors[0].code == "Forbidden"
    assert "Bob" not in skipped.errors[0].message


def test_a_policy_holds_for_the_record_as_changed_and_as_created(env):
    active_only = Policy(field="Status", values=("Active",))
    permission = EntityPermission(
        operations=frozenset(Operation),
        policies={Operation.UPDATE: active_only, Operation.CREATE: active_only},
    )
    grant(env, "Active keepers", [user("alice")], Account=permission)
    rid = env.create("Account", [account("Contoso")], caller=ALICE).record_ids[0]
    with pytest.raises(ForbiddenError, match="would be outside the caller's update policy"):
        env.update("Account", [{"RecordId": rid, "Status": "Inactive"}], caller=ALICE)
    with pytest.raises(ForbiddenError, match="would be outside the caller's create policy"):
        env.create("Account", [account("Fabrikam", Status="Inactive")], caller=ALICE)
    parked = env.create("Account", [account("Parked", Status="Inactive")]).record_ids[0]
    with pytest.raises(ForbiddenError, match="is outside the caller's update policy"):
        env.update("Account", [{"RecordId": parked, "Description": "x"}], caller=ALICE)


def test_grants_unite_across_sets_and_an_unlimited_grant_wins(env):
    env.create("Account", [account("Contoso"), account("Fabrikam", Status="Inactive")])
    limited = EntityPermission(
        operations=frozenset({Operation.READ}),
        policies={Operation.READ: Policy(field="Status", values=("Active",))},
    )
    grant(env, "Limited", [user("alice")], Account=limited)
    assert names(env.query(Query("Account"), ALICE)) == ["Contoso"]
    env.security.save_role(ADMIN, Role(name="Readers", permission_sets=("Account View",)))
    env.security.add_member(ADMIN, "Readers", user("alice"))
    assert names(env.query(Query("Account"), ALICE)) == ["Contoso", "Fabrikam"]


def test_an_expanded_entity_the_caller_may_not_read_is_left_out(env):
    parent = env.create("Account", [account("Contoso")]).record_ids[0]
    env.create("Contact", [contact("Ann", PrimaryAccount=parent)])
    grant(env, "Contacts", [user("alice")], Contact=["Read"])
    found = env.query(Query("Contact", include=(Include("PrimaryAccount"),)), ALICE)
    assert found[0]["FullName"] == "Ann"
    assert "PrimaryAccount" not in found[0].related
    with pytest.raises(ForbiddenError, match="Read on Account"):
        env.query(Query("Contact", where=F("PrimaryAccount/FullName") == "Contoso"), ALICE)

    grant(env, "Accounts", [user("alice"), user("bob")], Account=["Read"])
    found = env.query(Query("Contact", include=(Include("PrimaryAccount"),)), ALICE)
    assert found[0].related["PrimaryAccount"]["FullName"] == "Contoso"
    any_contact = Lambda("any", F("Contact"), "c", F("c/FullName") == "Ann")
    assert names(env.query(Query("Account", where=any_contact), ALICE)) == ["Contoso"]
    with pytest.raises(ForbiddenError, match="Read on Contact"):
        env.query(Query("Account", where=any_contact), BOB)


def test_an_open_environment_lets_everyone_at_the_data_but_not_at_the_schema(env):
    env.set_settings(EnvironmentSettings(access_mode="open"))
    env.create("Account", [account("Contoso")], caller=ALICE)
    assert names(env.query(Query("Account"), BOB)) == ["Contoso"]
    with pytest.raises(ForbiddenError, match="Schema"):
        env.create_picklist(_picklist(), caller=ALICE)
    with pytest.raises(ForbiddenError, match="Security"):
        env.set_settings(EnvironmentSettings(access_mode="restricted"), caller=ALICE)


def test_database_owner_reaches_entities_made_later_and_makers_change_schema(env):
    env.security.add_member(ADMIN, DATABASE_OWNER, user("alice"))
    env.security.add_member(ADMIN, ENVIRONMENT_MAKER, user("bob"))
    with pytest.raises(ForbiddenError, match="Schema"):
        env.create_picklist(_picklist(), caller=CAROL)
    made = env.create_entity(Entity.model_validate({"name": "Project", "fields": {}}), BOB)
    assert {s.name for s in env.security.permission_sets()} >= {"Project View", "Project Maintain"}
    env.create(made.name, [{"Title": "Apollo"}], caller=ALICE)
    with pytest.raises(ForbiddenError, match="Read on Project"):
        env.query(Query("Project"), BOB)  # a maker holds no data rights
    env.drop_entity("Project", BOB)
    assert not any("Project" in s.name for s in env.security.permission_sets())


def test_definitions_are_checked_and_builtins_protected(env):
    def saved(**entities: Any) -> None:
        env.security.save_permission_set(ADMIN, PermissionSet(name="Bad", entities=entities))

    def read_where(**policy: Any) -> dict[str, Any]:
        return {"operations": ["Read"], "policies": {"Read": policy}}

    with pytest.raises(DefinitionError, match="no entity 'Nope'"):
        saved(Nope=["Read"])
    with pytest.raises(DefinitionError, match="FullName is not a picklist"):
        saved(
            Account={
                "operations": ["Read"],
                "policies": {"Read": {"field": "FullName", "values": ["x"]}},
            }
        )
    with pytest.raises(DefinitionError, match="Gone not in picklist"):
        saved(
            Account={
                "operations": ["Read"],
                "policies": {"Read": {"field": "Status", "values": ["Gone"]}},
            }
        )
    with pytest.raises(DefinitionError, match="cannot hold a user name"):
        saved(
            Account={
                "operations": ["Read"],
                "policies": {"Read": {"field": "Status", "current_user": True}},
            }
        )
    with pytest.raises(ValueError, match="policies on operations not granted"):
        EntityPermission.model_validate(
            {
                "operations": ["Read"],
                "policies": {"Update": {"field": "Status", "values": ["Active"]}},
            }
        )
    with pytest.raises(DefinitionError, match="cannot be changed"):
        env.security.save_permission_set(ADMIN, PermissionSet(name="Account View"))
    with pytest.raises(DefinitionError, match="cannot be deleted"):
        env.security.delete_role(ADMIN, DATABASE_OWNER)
    with pytest.raises(DefinitionError, match="keeps its capabilities"):
        env.security.save_role(
            ADMIN, Role(name=ORGANIZATION_USER, capabilities=frozenset({"AllData"}))
        )
    grant(env, "Used", [], Account=["Read"])
    with pytest.raises(DefinitionError, match="used by role"):
        env.security.delete_permission_set(ADMIN, "Used set")


def test_every_security_change_is_audited_with_its_actor(env):
    trail = Trail()
    env.security.audit_trail = trail
    grant(env, "Auditors", [user("alice")], Account=["Read"])
    env.security.remove_member(ADMIN, "Auditors", user("ALICE"))
    env.set_settings(EnvironmentSettings(access_mode="open"), caller=ADMIN)
    actions = [(actor, action) for actor, action, _, _ in trail.entries]
    assert actions == [
        ("root", "permission set saved"),
        ("root", "role saved"),
        ("root", "role granted"),
        ("root", "role revoked"),
        ("root", "access mode changed"),
    ]
    assert {e[3] for e in trail.entries} == {env.name}


def test_a_backup_carries_the_security_definitions(envs, env, tmp_path):
    grant(env, "Carried", [user("alice")], Account=["Read"])
    path = tmp_path / "backup.zip"
    envs.backup(env.name, path)
    copy = envs.restore(path, f"{env.name}_copy"[:40])
    assert [m.name for m in copy.security.members("Carried")] == ["alice"]
    assert copy.security.permission_set("Carried set").entities["Account"].operations == {
        Operation.READ
    }


def _picklist() -> Picklist:
    return Picklist(name="Shade", items=("Light", "Dark"))


def test_the_sdk_acts_with_its_callers_rights(env):
    env.create("Account", [account("Contoso")])
    grant(env, "SDK readers", [user("alice")], Account=["Read"])
    client = Client(EmbeddedBackend(env, ALICE))
    assert [r["FullName"] for r in client["Account"].query()] == ["Contoso"]
    with pytest.raises(ForbiddenError, match="Create on Account"):
        client["Account"].insert([account("Fabrikam")])
    with pytest.raises(ForbiddenError, match="Create on Account"), client.batch() as batch:
        batch.insert("Account", [account("Northwind")])
    with pytest.raises(ForbiddenError, match="Read on Contact"):
        client["Contact"].query().to_list()
    assert names(env.query(Query("Account"))) == ["Contoso"]


def test_a_deleted_identity_leaves_no_roles_for_a_namesake(envs, env, tmp_path):
    directory = Directory(tmp_path / "home", hasher=cheap_hasher())
    try:
        directory.create_user("alice", "a@example.com", "long enough")
        env.security.save_role(ADMIN, Role(name="Readers", permission_sets=("Account View",)))
        env.security.add_member(ADMIN, "Readers", user("ALICE"))
        remove_identity(directory, envs, Member(kind=MemberKind.USER, name="alice"), "root")
        assert env.security.members("Readers") == []
        directory.create_user("alice", "other@example.com", "long enough")
    finally:
        directory.close()
    with pytest.raises(ForbiddenError):
        env.query(Query("Account"), ALICE)
