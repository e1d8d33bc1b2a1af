"""Queries: every operator and function, paths, ordering, paging, selects, includes, counts.

The tests only read, so they share one dataset per backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commonground.errors import NotFoundError
from commonground.query import F, Include, Order, Query
from commonground.query.expressions import Call, Lambda, Literal, Path, Unary
from commonground.service.environment import Environment
from commonground.store.query import QueryError
from tests.fixtures.fix_environments import TrackingEnvironments, new_environment_name
from tests.fixtures.records import account, contact, product, sales_order, sales_order_line


@pytest.fixture(scope="module")
def data(module_envs: TrackingEnvironments) -> Environment:
    env = module_envs.create(new_environment_name())
    env.create(
        "Account",
        [
            account(
                "Contoso",
                EmployeeCount=100,
                Birthdate="1990-05-17",
                Description="Big 100% company",
                MailingPostalAddress={"City": "Seattle", "PostalCode": "98101"},
                CreditLimitAmount={"Amount": "1000.5", "CurrencyCode": "USD"},
                IndustryCode="Consulting",
            ),
            account(
                "Fabrikam",
                Status="Inactive",
                EmployeeCount=50,
                Birthdate="1985-12-01",
                Description="under_score",
                MailingPostalAddress={"City": "Portland"},
                CreditLimitAmount={"Amount": 250, "CurrencyCode": "EUR"},
            ),
        ],
    )
    env.create(
        "Account",
        [
            account("Adventure Works", ParentAccount=1, MailingPostalAddress={"City": "Seattle"}),
            account("Northwind", EmployeeCount=250, ParentAccount=1, Description="  padded  "),
        ],
    )
    env.create("Account", [account("contoso east", EmployeeCount=10, ParentAccount=3)])
    env.create(
        "Contact",
        [
            contact("Ann", PrimaryAccount=1),
            contact("Bob", PrimaryAccount=2),
            contact("Cid", PrimaryAccount=1),
            contact("Dee"),
            contact("Eve", PrimaryAccount=5),
        ],
    )
    prod = env.create("Product", [product("Widget")]).record_ids[0]
    orders = env.create(
        "SalesOrder",
        [
            sales_order(Account=1, OrderDate="2030-03-15T13:45:30Z", Name="first"),
            sales_order(Account=2, OrderDate=datetime(2031, 7, 4, 23, 5, 6, tzinfo=UTC)),
            sales_order(Account=1, OrderDate="2029-01-01T00:00:00+05:00", Name="empty"),
        ],
    ).record_ids
    lines = env.create(
        "SalesOrderLine",
        [
            sales_order_line(orders[0], 1, prod, Quantity=2),
            sales_order_line(orders[0], 2, prod, Quantity=8),
            sales_order_line(orders[1], 1, prod, Quantity=1),
        ],
    ).record_ids
    env.create(
        "SalesOrderLineShipment",
        [
            {"SalesOrderLine": lines[1], "Sequence": 1, "Quantity": 5},
            {"SalesOrderLine": lines[1], "Sequence": 2, "Quantity": 3},
        ],
    )
    return env


def names(env: Environment, where, entity: str = "Account", field: str = "FullName") -> list:
    return [r[field] for r in env.query(Query(entity, where=where, order_by=(Order(field),)))]


def call(name: str, *args) -> Call:
    return Call(name, tuple(a if isinstance(a, Path | Call) else Literal(a) for a in args))


# -- comparisons and logic --------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F.EmployeeCount == 100, ["Contoso"]),
        (F.EmployeeCount != 100, ["Fabrikam", "Northwind", "contoso east"]),
        (F.EmployeeCount > 50, ["Contoso", "Northwind"]),
        (F.EmployeeCount >= 50, ["Contoso", "Fabrikam", "Northwind"]),
        (F.EmployeeCount < 50, ["contoso east"]),
        (F.EmployeeCount <= 50, ["Fabrikam", "contoso east"]),
        ((F.EmployeeCount > 20) & (F.Status == "Active"), ["Contoso", "Northwind"]),
        ((F.EmployeeCount < 20) | (F.FullName == "Fabrikam"), ["Fabrikam", "contoso east"]),
        (~(F.Status == "Active"), ["Fabrikam"]),
        (F.Status == "inactive", ["Fabrikam"]),
        (F.Status == 1, ["Fabrikam"]),
        (F.FullName.in_(["Contoso", "Northwind", "Nobody"]), ["Contoso", "Northwind"]),
        (F.Status.in_(["Inactive"]), ["Fabrikam"]),
        (F.FullName.in_([]), []),
        (F.EmployeeCount.is_null(), ["Adventure Works"]),
        (F.EmployeeCount.is_not_null(), ["Contoso", "Fabrikam", "Northwind", "contoso east"]),
        (F.ParentAccount == 1, ["Adventure Works", "Northwind"]),
        (F.ParentAccount.is_null(), ["Contoso", "Fabrikam"]),
        (F.Birthdate == date(1990, 5, 17), ["Contoso"]),
        (F.Birthdate < "1990-01-01", ["Fabrikam"]),
        (F.IndustryCode == "Consulting", ["Contoso"]),
        (F.AccountId == "ACC000004", ["Northwind"]),
        (
            F.IsPhoneContactAllowed == "false",
            ["Adventure Works", "Contoso", "Fabrikam", "Northwind", "contoso east"],
        ),
        (F.IsEmailContactAllowed != True, []),  # noqa: E712 - an expression, not a comparison
        (F.ParentAccount == "1", ["Adventure Works", "Northwind"]),
        (
            F.Status.in_(["inactive", 0]),
            ["Adventure Works", "Contoso", "Fabrikam", "Northwind", "contoso east"],
        ),
    ],
    ids=lambda v: "" if isinstance(v, list) else None,
)
def test_comparisons(data, where, expected):
    assert names(data, where) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F.EmployeeCount + 10 == 110, ["Contoso"]),
        (F.EmployeeCount - 50 == 0, ["Fabrikam"]),
        (F.EmployeeCount * 2 == 500, ["Northwind"]),
        (F.EmployeeCount / 2 == 50, ["Contoso"]),
        (F.EmployeeCount % 3 == 1, ["Contoso", "Northwind", "contoso east"]),
        (Unary("neg", F.EmployeeCount) < -200, ["Northwind"]),
    ],
)
def test_arithmetic(data, where, expected):
    assert names(data, where) == expected


# -- paths ------------------------------------------------------------------------------


def test_navigation_through_a_lookup(data):
    assert names(data, F("PrimaryAccount/FullName") == "Contoso", "Contact") == ["Ann", "Cid"]


def test_navigation_through_two_lookups(data):
    where = F("PrimaryAccount/ParentAccount/FullName") == "Adventure Works"
    assert names(data, where, "Contact") == ["Eve"]


def test_navigation_to_a_missing_target_is_null(data):
    assert names(data, F("PrimaryAccount/FullName").is_null(), "Contact") == ["Dee"]


def test_compound_parts(data):
    assert names(data, F("MailingPostalAddress/City") == "Seattle") == [
        "Adventure Works",
        "Contoso",
    ]
    assert names(data, F("mailingpostaladdress/postalcode") == "98101") == ["Contoso"]
    assert names(data, F("CreditLimitAmount/Amount") > 500) == ["Contoso"]
    assert names(data, F("CreditLimitAmount/Amount") == Decimal("1000.5")) == ["Contoso"]
    assert names(data, F("CreditLimitAmount/CurrencyCode") == "eur") == ["Fabrikam"]
    assert names(data, F("MailingPostalAddress/City").is_null()) == [
        "Northwind",
        "contoso east",
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("Nope", "has no field 'Nope'"),
        ("MailingPostalAddress", "needs one part"),
        ("MailingPostalAddress/Planet", "has no part 'Planet'"),
        ("FullName/Length", "not a lookup or compound field"),
        ("PrimaryContact/Nope", "has no field 'Nope'"),
    ],
)
def test_bad_paths_are_explained(data, path, message):
    with pytest.raises(QueryError, match=message):
        data.query(Query("Account", where=F(path) == "x"))


def test_literal_that_does_not_fit_the_field_is_explained(data):
    with pytest.raises(QueryError, match="EmployeeCount"):
        data.query(Query("Account", where=F.EmployeeCount == "lots"))
    with pytest.raises(QueryError, match="AccountStatus"):
        data.query(Query("Account", where=F.Status == "Bogus"))
    with pytest.raises(QueryError, match="whole number"):
        data.query(Query("Account", where=F.EmployeeCount == float("inf")))
    with pytest.raises(QueryError, match="32 digits"):
        data.query(Query("Account", where=F("CreditLimitAmount/Amount") > 1e40))


# -- functions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F.FullName.contains("oso"), ["Contoso", "contoso east"]),
        (F.FullName.contains("Contoso"), ["Contoso"]),
        (F.FullName.startswith("contoso"), ["contoso east"]),
        (F.FullName.endswith("wind"), ["Northwind"]),
        (F.Description.contains("100%"), ["Contoso"]),
        (F.Description.contains("%"), ["Contoso"]),
        (F.Description.contains("_"), ["Fabrikam"]),
        (F.Description.startswith("under_"), ["Fabrikam"]),
        (F.FullName.lower() == "contoso", ["Contoso"]),
        (F.FullName.upper() == "CONTOSO EAST", ["contoso east"]),
        (call("length", F.FullName) == 7, ["Contoso"]),
        (call("trim", F.Description) == "padded", ["Northwind"]),
        (call("concat", F.FullName, "!") == "Fabrikam!", ["Fabrikam"]),
        (call("indexof", F.FullName, "wind") == 5, ["Northwind"]),
        (call("indexof", F.FullName, "C") == 0, ["Contoso"]),
        (call("substring", F.FullName, 1, 3) == "ont", ["Contoso", "contoso east"]),
        (call("substring", F.FullName, 8) == "east", ["contoso east"]),
        (call("substring", F.FullName, 0, 1) == "c", ["contoso east"]),
        (call("year", F.Birthdate) == 1990, ["Contoso"]),
        (call("month", F.Birthdate) == 12, ["Fabrikam"]),
        (call("day", F.Birthdate) == 17, ["Contoso"]),
    ],
)
def test_text_and_date_functions(data, where, expected):
    assert names(data, where) == expected


def test_case_functions_fold_every_letter_not_only_ascii(env):
    """SQLite's own lower()/upper() fold ASCII letters only; the store folds like Python
    (and PostgreSQL), so a filter on a lower-cased name finds accented names too."""
    env.create("Account", [account("ÅSA Öberg Ärzte"), account("Ørsted")])
    assert names(env, F.FullName.lower() == "åsa öberg ärzte") == ["ÅSA Öberg Ärzte"]
    assert names(env, F.FullName.upper() == "ØRSTED") == ["Ørsted"]
    empty = names(env, F.Description.lower() == None)  # noqa: E711
    assert sorted(empty) == ["ÅSA Öberg Ärzte", "Ørsted"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (F.OrderDate == "2030-03-15T13:45:30Z", ["first"]),
        (F.OrderDate == datetime(2030, 3, 15, 15, 45, 30, tzinfo=UTC).replace(hour=13), ["first"]),
        (F.OrderDate < "2030-01-01", ["empty"]),
        (F.OrderDate > datetime(2031, 1, 1, tzinfo=UTC), [None]),
        (call("year", F.OrderDate) == 2030, ["first"]),
        (call("month", F.OrderDate) == 3, ["first"]),
        (call("day", F.OrderDate) == 4, [None]),
        (call("hour", F.OrderDate) == 13, ["first"]),
        (call("hour", F.OrderDate) == 19, ["empty"]),  # 2029-01-01T00:00+05:00 is 19:00 UTC
        (call("minute", F.OrderDate) == 5, [None]),
        (call("second", F.OrderDate) == 30, ["first"]),
        (call("date", F.OrderDate) == date(2028, 12, 31), ["empty"]),
    ],
)
def test_datetime_functions_work_in_utc(data, where, expected):
    assert names(data, where, "SalesOrder", "Name") == expected


def test_now_is_the_current_instant(data):
    now = Call("now", ())
    assert data.count(Query("Account", where=F.CreatedOnDateTime <= now)) == 5
    assert data.count(Query("Account", where=F.CreatedOnDateTime > now)) == 0


def test_date_functions_use_utc_whatever_the_client_time_zone(
    data, backend, module_envs, standard, monkeypatch
):
    monkeypatch.setenv("PGTZ", "Asia/Tokyo")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    other = backend.connect(module_envs.home, standard)
    try:
        env = other.open(data.name)
        assert names(env, call("hour", F.OrderDate) == 13, "SalesOrder", "Name") == ["first"]
        assert names(env, call("date", F.OrderDate) == date(2031, 7, 4), "SalesOrder", "Name") == [
            None
        ]
    finally:
        other.close()


def test_unknown_function_is_refused(data):
    with pytest.raises(QueryError, match="unknown function"):
        data.query(Query("Account", where=call("soundex", F.FullName) == "C532"))


def test_any_and_all_over_a_child_collection(data):
    any_big = Lambda("any", F.SalesOrderLine, "l", F("l/Quantity") > 5)
    all_small = Lambda("all", F.SalesOrderLine, "l", F("l/Quantity") < 5)
    has_lines = Lambda("any", F.SalesOrderLine, "l", None)
    assert names(data, any_big, "SalesOrder", "Name") == ["first"]
    assert names(data, all_small, "SalesOrder", "Name") == [None, "empty"]
    assert names(data, has_lines, "SalesOrder", "Name") == [None, "first"]


# -- ordering, paging, selection, counting ----------------------------------------------


def test_order_by_several_fields_with_descending(data):
    query = Query("Account", order_by=(Order("Status"), Order("EmployeeCount", descending=True)))
    rows = [(r["Status"], r["EmployeeCount"]) for r in data.query(query)]
    active = [r for r in rows if r[0] == "Active"]
    assert rows[-1] == ("Inactive", 50)  # the picklist sorts by its stored value
    assert [c for _, c in active if c is not None] == [250, 100, 10]


def test_nulls_sort_first_ascending_and_last_descending_on_every_backend(data):
    ascending = data.query(Query("Account", order_by=(Order("EmployeeCount"),)))
    descending = data.query(Query("Account", order_by=(Order("EmployeeCount", True),)))
    assert [r["EmployeeCount"] for r in ascending] == [None, 10, 50, 100, 250]
    assert [r["EmployeeCount"] for r in descending] == [250, 100, 50, 10, None]


def test_order_by_navigation_path_and_compound_part(data):
    query = Query(
        "Account",
        where=F.ParentAccount.is_not_null(),
        order_by=(Order("ParentAccount/FullName", descending=True), Order("FullName")),
    )
    assert [r["FullName"] for r in data.query(query)] == [
        "Adventure Works",  # parent Contoso
        "Northwind",  # parent Contoso
        "contoso east",  # parent Adventure Works
    ]
    query = Query(
        "Account",
        where=F("MailingPostalAddress/City").is_not_null(),
        order_by=(Order("MailingPostalAddress/City"), Order("FullName", descending=True)),
    )
    assert [r["FullName"] for r in data.query(query)] == ["Fabrikam", "Contoso", "Adventure Works"]


def test_ties_are_broken_by_record_id(data):
    rows = data.query(Query("Account", order_by=(Order("Status"),)))
    active = [r["RecordId"] for r in rows if r["Status"] == "Active"]
    assert active == sorted(active)


def test_top_and_skip(data):
    ordered = Query("Account", order_by=(Order("FullName"),))
    everything = [r["FullName"] for r in data.query(ordered)]
    assert everything == ["Adventure Works", "Contoso", "Fabrikam", "Northwind", "contoso east"]
    page = Query("Account", order_by=(Order("FullName"),), top=2, skip=1)
    assert [r["FullName"] for r in data.query(page)] == everything[1:3]
    tail = Query("Account", order_by=(Order("FullName"),), skip=4)
    assert [r["FullName"] for r in data.query(tail)] == everything[4:]
    assert data.query(Query("Account", top=0)) == []


def test_select_returns_the_fields_asked_for_and_the_identity(data):
    query = Query(
        "Account",
        select=("fullname", "MailingPostalAddress", "Status"),
        where=F.FullName == "Contoso",
    )
    [record] = data.query(query)
    assert set(record) == {
        "RecordId",
        "VersionNumber",
        "FullName",
        "MailingPostalAddress",
        "Status",
    }
    assert record["MailingPostalAddress"]["City"] == "Seattle"
    assert record["Status"] == "Active"
    with pytest.raises(QueryError, match="no field 'Nope'"):
        data.query(Query("Account", select=("Nope",)))


def test_count_ignores_top_and_skip(data):
    assert data.count(Query("Account")) == 5
    assert data.count(Query("Account", where=F.Status == "Active", top=1, skip=1)) == 4
    assert data.count(Query("Contact", where=F("PrimaryAccount/FullName") == "Contoso")) == 2
    assert data.count(Query("Account", where=F.FullName.in_([]))) == 0


def test_scan_reads_everything_in_batches(data):
    batches = list(data.scan("Account", batch=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [r["RecordId"] for b in batches for r in b] == [1, 2, 3, 4, 5]


# -- includes ---------------------------------------------------------------------------


def test_include_a_lookup(data):
    query = Query("Contact", order_by=(Order("FullName"),), include=(Include("PrimaryAccount"),))
    related = {c["FullName"]: c.related["PrimaryAccount"] for c in data.query(query)}
    assert related["Ann"]["FullName"] == "Contoso"
    assert related["Bob"]["FullName"] == "Fabrikam"
    assert related["Dee"] is None
    assert related["Ann"] is not None
    assert related["Ann"]["RecordId"] == 1


def test_include_a_child_collection(data):
    query = Query("Account", order_by=(Order("FullName"),), include=(Include("Contact"),))
    children = {
        a["FullName"]: [c["FullName"] for c in a.related["Contact"]] for a in data.query(query)
    }
    assert children == {
        "Adventure Works": [],
        "Contoso": ["Ann", "Cid"],
        "Fabrikam": ["Bob"],
        "Northwind": [],
        "contoso east": ["Eve"],
    }


def test_include_a_self_referencing_child_collection(data):
    query = Query(
        "Account", where=F.FullName == "Contoso", include=(Include("Account.ParentAccount"),)
    )
    [contoso] = data.query(query)
    assert sorted(a["FullName"] for a in contoso.related["Account.ParentAccount"]) == [
        "Adventure Works",
        "Northwind",
    ]


def test_include_shaped_by_its_own_query(data):
    shape = Query(
        "Contact",
        select=("FullName",),
        where=F.FullName != "Ann",
        order_by=(Order("FullName", descending=True),),
    )
    query = Query("Account", where=F.FullName == "Contoso", include=(Include("Contact", shape),))
    [contoso] = data.query(query)
    assert [c["FullName"] for c in contoso.related["Contact"]] == ["Cid"]
    assert set(contoso.related["Contact"][0]) == {
        "RecordId",
        "VersionNumber",
        "FullName",
        "PrimaryAccount",
    }


def test_include_top_applies_per_parent(data):
    shape = Query("Contact", order_by=(Order("FullName", descending=True),), top=1)
    query = Query("Account", order_by=(Order("FullName"),), include=(Include("Contact", shape),))
    tops = {a["FullName"]: [c["FullName"] for c in a.related["Contact"]] for a in data.query(query)}
    assert tops["Contoso"] == ["Cid"]
    assert tops["Fabrikam"] == ["Bob"]


def test_nested_includes_through_compositions(data):
    lines = Query(
        "SalesOrderLine",
        order_by=(Order("Sequence"),),
        include=(Include("SalesOrderLineShipment"),),
    )
    query = Query(
        "SalesOrder",
        where=F.Name == "first",
        include=(Include("SalesOrderLine", lines), Include("Account")),
    )
    [order] = data.query(query)
    assert order.related["Account"]["FullName"] == "Contoso"
    first_line, second_line = order.related["SalesOrderLine"]
    assert first_line.related["SalesOrderLineShipment"] == []
    shipments = second_line.related["SalesOrderLineShipment"]
    assert sorted(s["Quantity"] for s in shipments) == [Decimal(3), Decimal(5)]


def test_ambiguous_child_collection_must_be_qualified(data):
    with pytest.raises(QueryError, match="ambiguous"):
        data.query(Query("Account", include=(Include("SalesOrder"),)))
    query = Query(
        "Account", where=F.FullName == "Contoso", include=(Include("SalesOrder.Account"),)
    )
    [contoso] = data.query(query)
    assert sorted(o["Name"] or "" for o in contoso.related["SalesOrder.Account"]) == [
        "empty",
        "first",
    ]


def test_unknown_include_is_refused(data):
    with pytest.raises(NotFoundError):
        data.query(Query("Account", include=(Include("Nothing"),)))


# -- single records ---------------------------------------------------------------------


def test_get_and_get_by_key(data):
    assert data.get("Account", 2)["FullName"] == "Fabrikam"
    assert data.get_by_key("Account", {"AccountId": "ACC000002"})["RecordId"] == 2
    assert data.get_by_key("Account", {"accountid": "ACC000002"})["RecordId"] == 2
    line = data.get_by_key("SalesOrderLine", {"Sequence": 2, "SalesOrder": 1})
    assert line["Quantity"] == Decimal(8)


def test_get_of_missing_records(data):
    with pytest.raises(NotFoundError, match="Account record '99'"):
        data.get("Account", 99)
    with pytest.raises(NotFoundError, match="AccountId='NOPE'"):
        data.get_by_key("Account", {"AccountId": "NOPE"})
    with pytest.raises(NotFoundError):
        data.get_by_key("SalesOrderLine", {"SalesOrder": 1, "Sequence": 9})


def test_get_by_key_needs_a_key(data):
    with pytest.raises(QueryError, match="not a key"):
        data.get_by_key("Account", {"FullName": "Contoso"})
    with pytest.raises(QueryError, match="not a key"):
        data.get_by_key("SalesOrderLine", {"SalesOrder": 1})
