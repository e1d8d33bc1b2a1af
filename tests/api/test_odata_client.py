"""A real OData v4 client library, python-odata (module `odata`), against `commonground serve`.

The library reflects `$metadata` into entity classes, enum types and bound actions, then
queries, reads, creates, updates and deletes through them, following `@odata.nextLink`.
Three faults of the library (0.8.1) are worked around here, each where it bites; none is a
fault of the service:

1. It cannot insert into an entity set whose key is annotated `Core.Computed` (a key the
   service assigns, as RecordId is): `EntityState._clean_new_entity` drops computed
   properties, then reads `insert_data[<key>]` and raises KeyError. The reflected key
   property is un-marked as computed; being None, it is then left out of the body as it
   should be.
2. An enum literal in a filter is always written `Microsoft.Dynamics.DataEntities.<Enum>'x'`
   (`EnumTypeProperty.escape_value` hard-codes the namespace of Dynamics 365 F&O), whatever
   the schema's namespace; the service rightly refuses it with 400.
3. A bound action's result is read from `value`, where OData puts only primitive and
   collection results; a complex result such as CreateMultipleResponse is the body itself,
   so the call returns None. The action is still declared, found and invoked correctly.

Also, `ODataConnection` adds a context's extra headers to its class-wide default headers,
which would leak into every other connection; the paging test sets its `Prefer` header on a
requests session instead.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from odata import ODataService
from odata.exceptions import NoResultsFound, ODataError
from odata.flags import ODataServerFlags

from tests.fixtures.serving import headers_as_tester

PREFIX = "Pyodata"


@pytest.fixture(scope="module")
def signed_in(server: str) -> requests.Session:
    """A requests session that sends the installation admin's bearer token."""
    session = requests.Session()
    session.headers.update(headers_as_tester(server))
    return session


@pytest.fixture(scope="module")
def service(server: str, signed_in: requests.Session) -> ODataService:
    """The service, reflected from its `$metadata`; nulls are left out of written bodies."""
    flags = ODataServerFlags(skip_null_properties=True)
    reflected = ODataService(
        server, reflect_entities=True, quiet_progress=True, session=signed_in, server_flags=flags
    )
    reflected.entities["Accounts"].RecordId.is_computed_value = False  # fault 1 above
    return reflected


@pytest.fixture(scope="module")
def accounts(service: ODataService) -> Any:
    return service.entities["Accounts"]


def new_account(service: ODataService, name: str, **values: Any) -> Any:
    """An unsaved Account with the required fields set, enums as the library's enum members."""
    enums = service.types
    record = service.entities["Accounts"]()
    record.FullName = name
    record.PartyType = enums["CommonGround.PartyType"].Organization
    record.Source = enums["CommonGround.Source"].Default
    record.Status = enums["CommonGround.AccountStatus"].Active
    record.IsEmailContactAllowed = True
    record.IsPhoneContactAllowed = False
    for field, value in values.items():
        setattr(record, field, value)
    return record


def test_metadata_reflects_entity_sets_enums_and_bound_actions(
    service: ODataService, accounts: Any
) -> None:
    assert {"Accounts", "Contacts", "SalesOrders", "SalesOrderLines"} <= set(service.entities)
    status = service.types["CommonGround.AccountStatus"]
    assert {member.name for member in status} >= {"Active", "Inactive"}
    assert accounts.RecordId.primary_key
    assert accounts.VersionNumber.is_computed_value
    for name in ("CreateMultiple", "UpsertMultiple"):
        callable_ = getattr(accounts, name)  # bound to the collection: POST Accounts/<name>
        assert callable_.url.endswith("/Accounts")
        action = callable_.actionbase_instance
        assert action.name == f"CommonGround.{name}"
        assert action.bound_to_collection
        assert set(action.parameters) == {"Targets"}


def test_create_read_by_key_update_and_delete(service: ODataService, accounts: Any) -> None:
    record = new_account(service, f"{PREFIX} Crud", AccountId="PYO-CRUD")
    service.save(record)  # POST: 201 with the record, so the client learns its RecordId
    assert record.RecordId is not None
    assert record.VersionNumber is not None
    assert record.Status.name == "Active"

    found = service.query(accounts).get(record.RecordId)
    assert found.FullName == f"{PREFIX} Crud"
    assert found.AccountId == "PYO-CRUD"

    found.FullName = f"{PREFIX} Crud renamed"
    found.EmployeeCount = 12
    service.save(found)  # PATCH of the changed properties, then GET Accounts(<id>)
    assert found.FullName == f"{PREFIX} Crud renamed"
    assert found.VersionNumber > record.VersionNumber
    again = service.query(accounts).filter(accounts.AccountId == "PYO-CRUD").one()
    assert (again.FullName, again.EmployeeCount) == (f"{PREFIX} Crud renamed", 12)

    service.delete(found)
    with pytest.raises(NoResultsFound):
        service.query(accounts).get(record.RecordId)


def test_query_with_filter_order_and_top(service: ODataService, accounts: Any) -> None:
    for n in range(5):
        service.save(new_account(service, f"{PREFIX} Query {n}", EmployeeCount=n * 10))
    query = (
        service.query(accounts)
        .filter(accounts.FullName.startswith(f"{PREFIX} Query"))
        .filter(accounts.EmployeeCount >= 10)
        .order_by(accounts.EmployeeCount.desc())
        .limit(3)
    )
    assert [r.FullName for r in query] == [f"{PREFIX} Query {n}" for n in (4, 3, 2)]
    assert query.filter(accounts.EmployeeCount < 40).count() == 3
    rows = service.query(accounts).filter(accounts.FullName == f"{PREFIX} Query 1")
    assert rows.select(accounts.FullName, accounts.EmployeeCount).all()[0]["EmployeeCount"] == 10


def test_enum_literals_carry_a_foreign_namespace(service: ODataService, accounts: Any) -> None:
    """Fault 2: the library writes Microsoft.Dynamics.DataEntities.AccountStatus'Active'."""
    active = service.types["CommonGround.AccountStatus"].Active
    query = service.query(accounts).filter(accounts.Status == active)
    assert "Microsoft.Dynamics.DataEntities.AccountStatus'Active'" in str(query)
    with pytest.raises(ODataError) as refused:
        query.first()
    assert refused.value.status_code == "HTTP 400"
    assert "unknown namespace" in refused.value.message


def test_paging_follows_next_links(
    service: ODataService, accounts: Any, signed_in: requests.Session
) -> None:
    for n in range(7):
        service.save(new_account(service, f"{PREFIX} Page {n}"))
    session = requests.Session()
    session.headers.update(signed_in.headers)
    session.headers["Prefer"] = "odata.maxpagesize=2"
    pages: list[str] = []
    session.hooks["response"].append(lambda response, *_, **__: pages.append(response.url))
    context = service.create_context(session=session)
    query = context.query(accounts).filter(accounts.FullName.startswith(f"{PREFIX} Page"))
    names = [r.FullName for r in query.order_by(accounts.FullName.asc())]
    assert names == [f"{PREFIX} Page {n}" for n in range(7)]
    assert len(pages) == 4
    assert all("%24skiptoken=" in url or "$skiptoken=" in url for url in pages[1:])


def test_bound_action_create_multiple(service: ODataService, accounts: Any) -> None:
    targets = [
        new_account(service, f"{PREFIX} Bulk {n}").__odata__.data_for_insert(
            ODataServerFlags(skip_null_properties=True)
        )
        for n in range(3)
    ]
    answer = accounts.CreateMultiple(Targets=targets)
    assert answer is None  # fault 3: the complex result is looked for under `value`
    created = service.query(accounts).filter(accounts.FullName.startswith(f"{PREFIX} Bulk"))
    assert sorted(r.FullName for r in created) == [f"{PREFIX} Bulk {n}" for n in range(3)]
