"""The short way for GET of one record (api/point_reads.py) answers exactly as the normal path:
the same status, headers and body for the requests it answers and for those it passes on (on
PostgreSQL, when COMMONGROUND_TEST_POSTGRES_URL is set, it passes every request on)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from commonground.api.app import ApiSettings, create_app
from commonground.api.point_reads import PointReads
from commonground.model.datamodel import DataModel
from commonground.security.authentication import Authenticator
from commonground.security.caller import Caller
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
from commonground.service.environment import Environment
from commonground.service.environments import Environments
from tests.fixtures.clones import new_environment_name
from tests.fixtures.fix_environments import Backend
from tests.fixtures.records import account, add_gadget, contact

ADMIN = Caller("root", admin=True)
PASSWORD = "a-password-of-some-length"
USERS = ("reader", "active_only", "nobody")


@dataclass
class Setup:
    """The app with the short way and without it, over one installation."""

    portal: BlockingPortal
    fast: httpx.AsyncClient
    normal: httpx.AsyncClient
    passed_on: list[str]  # paths the short way gave to the normal app
    tokens: dict[str, str]
    ids: dict[str, int]
    env: Environment
    short_way: bool  # whether the short way answers on this backend (SQLite only)

    def both(self, path: str, token: str | None, **headers: str) -> tuple[Any, Any]:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        fast = self.portal.call(lambda: self.fast.get(path, headers=headers))
        normal = self.portal.call(lambda: self.normal.get(path, headers=headers))
        return fast, normal


def _grant(env: Environment, role: str, user: str, permission: EntityPermission) -> None:
    gadgets = EntityPermission(operations=frozenset({Operation.READ}))
    permission_set = PermissionSet(
        name=f"{role} set", entities={"Account": permission, "Gadget": gadgets}
    )
    env.security.save_permission_set(ADMIN, permission_set)
    env.security.save_role(ADMIN, Role(name=role, permission_sets=(permission_set.name,)))
    env.security.add_member(ADMIN, role, Member(kind=MemberKind.USER, name=user))


def _seed(env: Environment) -> dict[str, int]:
    add_gadget(env)
    active = env.create("Account", [account("Contoso", EmployeeCount=12)]).record_ids[0]
    inactive = env.create("Account", [account("Fabrikam", Status="Inactive")]).record_ids[0]
    env.create("Contact", [contact("Ann")])
    gadget = {
        "Code": "G1",
        "Notes": "line one\nline two",
        "Weight": Decimal("1.250"),
        "Count": 7,
        "Active": True,
        "Price": {"Amount": Decimal("12.50"), "CurrencyCode": "EUR"},
        "Made": date(2024, 2, 29),
        "Seen": datetime(2024, 3, 1, 12, 30, 15, tzinfo=UTC),
        "Email": "g@example.com",
        "Serial": "8c7d2f0e-7f7b-4f57-9d7e-1c4c3a0c9d11",
        "Owner": active,
        "Colour": "Green",
        "Stock": Decimal("3.5"),
        "Address": {"City": "Oslo", "PostalCode": "0150"},
        "Inventor": {"GivenName": "Ada", "FamilyName": "Lovelace"},
    }
    made = env.create("Gadget", [gadget]).record_ids[0]
    return {"active": active, "inactive": inactive, "gadget": made}


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, backend: Backend, standard: DataModel
) -> Iterator[Setup]:
    home: Path = tmp_path_factory.mktemp("home")
    directory = Directory(home, hasher=cheap_hasher())
    authenticator = Authenticator(directory, secrets.token_bytes(32))
    for name in USERS:
        directory.create_user(name, f"{name}@example.com", PASSWORD)
    environments = backend.connect(home, standard)
    env = environments.create(new_environment_name())
    root = f"http://points.test/environments/{env.name}/api/data/v1/"
    ids = _seed(env)
    read = frozenset({Operation.READ})
    _grant(env, "Readers", "reader", EntityPermission(operations=read))
    only_active = {Operation.READ: Policy(field="Status", values=("Active",))}
    _grant(env, "Active", "active_only", EntityPermission(operations=read, policies=only_active))
    tokens = {name: authenticator.sign_in_user(name, PASSWORD, None).access_token for name in USERS}
    settings = ApiSettings(requests_per_window=0, point_reads=False)
    normal_app = create_app(environments, authenticator, settings)
    passed_on: list[str] = []

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        passed_on.append(scope["path"])
        await normal_app(scope, receive, send)

    fast_app = PointReads(counted, environments, authenticator)
    try:
        with start_blocking_portal() as portal:
            fast = httpx.AsyncClient(transport=httpx.ASGITransport(app=fast_app), base_url=root)
            normal = httpx.AsyncClient(transport=httpx.ASGITransport(app=normal_app), base_url=root)
            try:
                short_way = backend.name == "sqlite"
                yield Setup(portal, fast, normal, passed_on, tokens, ids, env, short_way)
            finally:
                portal.call(fast.aclose)
                portal.call(normal.aclose)
    finally:
        environments.drop_created()
        directory.close()


def _same(fast: httpx.Response, normal: httpx.Response) -> None:
    assert fast.status_code == normal.status_code
    assert fast.headers.raw == normal.headers.raw
    assert fast.content == normal.content


def _answered_by_short_way(setup: Setup, path: str, token: str, **headers: str) -> None:
    setup.both(path, token, **headers)  # the first request looks the caller up
    before = len(setup.passed_on)
    fast, normal = setup.both(path, token, **headers)
    assert (len(setup.passed_on) == before) == setup.short_way
    assert fast.status_code == 200
    _same(fast, normal)


def test_a_readable_record_is_answered_by_the_short_way_as_by_the_normal_path(
    setup: Setup,
) -> None:
    _answered_by_short_way(setup, f"Accounts({setup.ids['active']})", setup.tokens["reader"])


def test_a_record_with_a_field_of_every_type_reads_the_same(setup: Setup) -> None:
    path = f"Gadgets({setup.ids['gadget']})"
    _answered_by_short_way(setup, path, setup.tokens["reader"])
    body = setup.both(path, setup.tokens["reader"])[0].json()
    assert body["Made"] == "2024-02-29"
    assert body["Colour"] == "Green"
    assert body["_Owner_value"] == setup.ids["active"]


def test_ieee754_compatible_json_reads_the_same(setup: Setup) -> None:
    accept = "application/json;IEEE754Compatible=true"
    path = f"Gadgets({setup.ids['gadget']})"
    _answered_by_short_way(setup, path, setup.tokens["reader"], Accept=accept)


@pytest.mark.parametrize(
    ("path", "user", "status"),
    [
        ("Accounts(999999)", "reader", 404),  # no such record
        ("Accounts({inactive})", "active_only", 404),  # outside the read policy
        ("Accounts({active})", "active_only", 200),  # inside it
        ("Accounts({active})", "nobody", 403),  # no Read on Account
        ("Contacts(1)", "reader", 403),
        ("Accounts({active})", None, 401),  # no token
        ("Accounts({active})", "bad", 401),
        ("Accounts({active})?$select=FullName", "reader", 200),
        ("accounts({active})", "reader", 200),  # set names are matched in any case
        ("Accounts(0{active})", "reader", 200),  # leading zero: the lexer's key
        ("Accounts(0)", "reader", 400),
        ("Accounts(99999999999999999999)", "reader", 400),  # beyond a 64-bit RecordId
        ("Accounts({active})/FullName", "reader", 200),
        ("Accounts(AccountId='x')", "reader", 404),
        ("Nothings(1)", "reader", 404),
        ("Accounts", "reader", 200),
    ],
)
def test_other_requests_answer_the_same(
    setup: Setup, path: str, user: str | None, status: int
) -> None:
    path = path.format(**setup.ids)
    token = {None: None, "bad": "not-a-token"}.get(user, setup.tokens.get(user or ""))
    setup.both(path, token)  # the first request looks the caller up
    fast, normal = setup.both(path, token)
    assert fast.status_code == status
    _same(fast, normal)


def test_if_none_match_is_left_to_the_normal_path(setup: Setup) -> None:
    path = f"Accounts({setup.ids['active']})"
    _, answer = setup.both(path, setup.tokens["reader"])
    fast, normal = setup.both(
        path, setup.tokens["reader"], **{"If-None-Match": answer.headers["etag"]}
    )
    assert fast.status_code == 304
    _same(fast, normal)


def test_a_changed_record_is_read_fresh(setup: Setup) -> None:
    path = f"Accounts({setup.ids['active']})"
    token = setup.tokens["reader"]
    _answered_by_short_way(setup, path, token)
    setup.env.update("Account", [{"RecordId": setup.ids["active"], "FullName": "Renamed"}])
    fast, normal = setup.both(path, token)
    assert fast.json()["FullName"] == "Renamed"
    _same(fast, normal)


def test_create_app_puts_the_short_way_first_unless_told_not_to(tmp_path: Path) -> None:
    directory = Directory(tmp_path, hasher=cheap_hasher())
    environments = Environments(home=tmp_path, audit_trail=directory)
    authenticator = Authenticator(directory, secrets.token_bytes(32))
    try:
        assert isinstance(create_app(environments, authenticator).app, PointReads)
        off = create_app(environments, authenticator, ApiSettings(point_reads=False))
        assert not isinstance(off.app, PointReads)
    finally:
        environments.close()
        directory.close()
