"""Fuzzed query options never make the API fail: every answer is 200 or an OData 4xx.

The app runs in-process (an httpx.AsyncClient over ASGITransport, driven from a blocking
portal's event loop); an exception escaping the app fails the example like a 5xx would.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.api.app import ApiSettings, create_app
from commonground.odata.kinds import FUNCTIONS
from commonground.security.authentication import Authenticator
from commonground.security.directory import Directory
from commonground.security.passwords import cheap_hasher
from commonground.service.environments import Environments
from tests.fixtures.serving import TESTER, TESTER_PASSWORD, add_tester

ENV = "Fuzz"
ROOT = f"http://fuzz.test/environments/{ENV}/api/data/v1/"
BASE = {
    "PartyType": "Organization",
    "Source": "Default",
    "Status": "Active",
    "IsEmailContactAllowed": True,
    "IsPhoneContactAllowed": False,
}


@dataclass
class Service:
    """Sends requests to the in-process app from synchronous test code."""

    portal: BlockingPortal
    http: httpx.AsyncClient

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        async def send() -> httpx.Response:
            return await self.http.get(url, params=params)

        return self.portal.call(send)

    def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        async def send() -> httpx.Response:
            return await self.http.post(url, json=body, headers={"Prefer": "return=representation"})

        response = self.portal.call(send)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("home")
    add_tester(home)
    directory = Directory(home, hasher=cheap_hasher())
    authenticator = Authenticator(directory, secrets.token_bytes(32))
    token = authenticator.sign_in_user(TESTER, TESTER_PASSWORD, None).access_token
    environments = Environments(home=home, audit_trail=directory)
    environments.create(ENV)
    app = create_app(environments, authenticator, ApiSettings(requests_per_window=0))
    try:
        with start_blocking_portal() as portal:
            http = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url=ROOT,
                headers={"Authorization": f"Bearer {token}"},
            )
            try:
                seed(Service(portal, http))
                yield Service(portal, http)
            finally:
                portal.call(http.aclose)
    finally:
        environments.close()
        directory.close()


def seed(service: Service) -> None:
    contact = service.post("Contacts", {**BASE, "FullName": "O'Hara Contact", "Status": "Active"})
    parent = service.post("Accounts", {**BASE, "FullName": "Parent", "EmployeeCount": 10})
    for n, name in enumerate(["Alpha", "Bête noire", "O'Brien & Co", "%_like*", ""]):
        service.post(
            "Accounts",
            {
                **BASE,
                "FullName": name or "Empty",
                "EmployeeCount": n * 7 - 3,
                "CreditLimitAmount": n * 1000.5,
                "Birthdate": f"19{70 + n}-0{n + 1}-1{n}",
                "MailingPostalAddress": {"City": f"City {n}", "PostalCode": f"{n}000"},
                "PrimaryContact@odata.bind": f"Contacts({contact['RecordId']})",
                "ParentAccount@odata.bind": f"Accounts({parent['RecordId']})",
            },
        )
    service.post(
        "Contacts",
        {**BASE, "FullName": "Linked", "Status": "Active"}
        | {"PrimaryAccount@odata.bind": f"Accounts({parent['RecordId']})"},
    )


# -- the generated text ------------------------------------------------------------------

PATHS = [
    "FullName",
    "AccountId",
    "EmployeeCount",
    "CreditLimitAmount",
    "Birthdate",
    "CreatedOnDateTime",
    "LastModifiedDateTime",
    "VersionNumber",
    "RecordId",
    "Status",
    "IsEmailContactAllowed",
    "MailingPostalAddress",
    "MailingPostalAddress/City",
    "MailingPostalAddress/Nope",
    "PersonName/FirstName",
    "PrimaryContact",
    "PrimaryContact/FullName",
    "PrimaryContact/PrimaryAccount/EmployeeCount",
    "ParentAccount/ParentAccount/FullName",
    "Contacts",
    "Contacts/$count",
    "Contacts/FullName",
    "c/FullName",
    "$it/FullName",
    "$root",
    "$this",
    "fullname",
    "Nope",
    "Microsoft.Dynamics.CRM.Account/FullName",
]
STRINGS = [
    "''",
    "'x'",
    "'O''Brien & Co'",
    "'O'Brien'",
    "'; DROP TABLE \"Account\"; --'",
    "''; DROP TABLE \"Account\"; --'",
    "'x'' OR 1=1 --'",
    "'%'",
    "'_'",
    "'\\'",
    "'Bête noire 💥 \u202e\u0000'",
    "'" + "a" * 3000 + "'",
    "'unterminated",
]
NUMBERS = [
    "0",
    "-0",
    "1",
    "-3",
    "2147483647",
    "2147483648",
    "-9223372036854775809",
    "9" * 400,
    "1.5",
    "1e308",
    "1e999",
    "-1E-999",
    "0.1M",
    "1.5d",
    "INF",
    "-INF",
    "NaN",
    "0x10",
    "1_000",
]
OTHER_LITERALS = [
    "null",
    "true",
    "false",
    "2024-01-31",
    "2024-02-30",
    "9999-12-31",
    "0000-01-01",
    "2024-01-31T10:20:30Z",
    "2024-01-31T25:61:61+14:00",
    "2024-01-31T10:20:30.1234567890-01:00",
    "12:30:00",
    "duration'P1D'",
    "duration'PT-1S'",
    "00000000-0000-0000-0000-000000000000",
    "CommonGround.AccountStatus'Active'",
    "CommonGround.AccountStatus'Nope'",
    "Nope.Type'x'",
    "binary'AAEC'",
    "geography'POINT(0 0)'",
    "@p1",
    "[1,2]",
    '{"a":1}',
]
LITERALS = STRINGS + NUMBERS + OTHER_LITERALS
BINARY_OPERATORS = ["eq", "ne", "gt", "ge", "lt", "le", "and", "or", "add", "sub", "mul"]
BINARY_OPERATORS += ["div", "divby", "mod", "has", "in", "EQ", "=", "==", "&&", "||"]
FUNCTION_NAMES = [*FUNCTIONS, "cast", "isof", "round", "floor", "fractionalseconds", "nope"]
PUNCTUATION = ["(", ")", ",", "/", ":", ";", "'", '"', "$", "@", "=", "*", "-", "&", "?", "#"]
WORDS = ["not", "asc", "desc", "any", "all", "c", "x", "$it", "$count", "$filter"]
TOKENS = PATHS + LITERALS + BINARY_OPERATORS + FUNCTION_NAMES + PUNCTUATION + WORDS

paths = st.sampled_from(PATHS)
literals = st.sampled_from(LITERALS) | st.integers().map(str) | st.floats().map(repr)
literals |= st.text(max_size=20).map(lambda text: "'" + text.replace("'", "''") + "'")
atoms = paths | literals


def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINARY_OPERATORS), inner).map(" ".join),
        inner.map(lambda expr: f"not {expr}"),
        inner.map(lambda expr: f"-{expr}"),
        inner.map(lambda expr: f"({expr})"),
        st.tuples(st.sampled_from(FUNCTION_NAMES), st.lists(inner, max_size=4)).map(
            lambda call: f"{call[0]}({','.join(call[1])})"
        ),
        st.tuples(
            st.sampled_from(["Contacts", "FullName", "Nope", "PrimaryContact"]),
            st.sampled_from(["any", "all"]),
            inner,
        ).map(lambda lam: f"{lam[0]}/{lam[1]}(c:{lam[2]})"),
        st.tuples(inner, st.lists(inner, max_size=4)).map(
            lambda pair: f"{pair[0]} in ({','.join(pair[1])})"
        ),
    )


expressions = st.recursive(atoms, extend, max_leaves=12)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=12).flatmap(
    lambda tokens: st.sampled_from([" ", "", "  "]).map(lambda glue: glue.join(tokens))
)
deep = st.tuples(st.integers(1, 300), st.sampled_from(["(", "not ", "-", "tolower(", "c/"])).map(
    lambda spec: spec[1] * spec[0] + "FullName" + (")" * spec[0] if "(" in spec[1] else "")
)
long_chains = st.tuples(st.integers(1, 700), st.sampled_from([" or ", " and ", " add "])).map(
    lambda spec: spec[1].join(["EmployeeCount eq 1"] * spec[0])
)


# Well-typed expressions, so that most of them reach the store and the database.
TEXT_PATHS = ["FullName", "AccountId", "MailingPostalAddress/City", "PrimaryContact/FullName"]
TEXT_PATHS += ["ParentAccount/ParentAccount/FullName", "Description", "Status"]
NUMBER_PATHS = ["EmployeeCount", "CreditLimitAmount/Amount", "RecordId", "VersionNumber"]
NUMBER_PATHS += ["PrimaryContact/PrimaryAccount/EmployeeCount", "ParentAccount/EmployeeCount"]
DATE_PATHS = ["Birthdate", "CreatedOnDateTime", "LastModifiedDateTime"]
string_literals = st.sampled_from(STRINGS[:-1]) | st.text(max_size=12).map(
    lambda text: "'" + text.replace("'", "''") + "'"
)
number_literals = st.sampled_from(NUMBERS[:12]) | st.integers().map(str)
number_literals |= st.sampled_from(["-(-9223372036854775808)", "-(-(-1))", "--1"])
number_literals |= st.decimals(allow_nan=False, allow_infinity=False).map(str)


def typed(var: str) -> dict[str, st.SearchStrategy[str]]:
    """Strategies for text, number, date and boolean expressions; `var` prefixes paths."""
    text_paths = st.sampled_from([var + path for path in TEXT_PATHS])
    number_paths = st.sampled_from([var + path for path in NUMBER_PATHS])
    positions = number_literals | number_paths
    date_paths = st.sampled_from([var + path for path in DATE_PATHS])

    def texts(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.sampled_from(["tolower", "toupper", "trim"]).flatmap(
                lambda name: inner.map(lambda arg: f"{name}({arg})")
            ),
            st.tuples(inner, inner).map(lambda args: f"concat({args[0]},{args[1]})"),
            st.tuples(inner, positions, st.none() | positions).map(
                lambda a: (
                    f"substring({a[0]},{a[1]})"
                    if a[2] is None
                    else f"substring({a[0]},{a[1]},{a[2]})"
                )
            ),
        )

    text = st.recursive(text_paths | string_literals | st.just("null"), texts, max_leaves=4)

    def numbers(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(MULTIPLICATIVE_AND_ADDITIVE), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            inner.map(lambda arg: f"-{arg}"),
            text.map(lambda arg: f"length({arg})"),
            st.tuples(text, text).map(lambda a: f"indexof({a[0]},{a[1]})"),
            st.sampled_from(["year", "month", "day", "hour", "minute", "second"]).flatmap(
                lambda name: dates.map(lambda arg: f"{name}({arg})")
            ),
        )

    dates = date_paths | st.sampled_from(OTHER_LITERALS[3:10]) | st.just("now()")
    dates |= st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
    dates |= date_paths.map(lambda arg: f"date({arg})")
    number = st.recursive(number_paths | number_literals | st.just("null"), numbers, max_leaves=4)
    comparisons = st.sampled_from([*EQUALITY_AND_RELATIONAL])
    atoms = st.one_of(
        st.tuples(text, comparisons, text).map(" ".join),
        st.tuples(number, comparisons, number).map(" ".join),
        st.tuples(dates, comparisons, dates).map(" ".join),
        st.tuples(st.sampled_from(["contains", "startswith", "endswith"]), text, text).map(
            lambda a: f"{a[0]}({a[1]},{a[2]})"
        ),
        st.tuples(text, st.lists(string_literals, min_size=1, max_size=4)).map(
            lambda a: f"{a[0]} in ({','.join(a[1])})"
        ),
        st.tuples(number, st.lists(number_literals, min_size=1, max_size=4)).map(
            lambda a: f"{a[0]} in ({','.join(a[1])})"
        ),
        st.sampled_from([var + "IsEmailContactAllowed", "true", "false"]),
        st.sampled_from(["Active", "Inactive", "Nope"]).map(lambda v: f"{var}Status eq '{v}'"),
        st.sampled_from(["PrimaryContact", "ParentAccount", "MailingPostalAddress/City"]).map(
            lambda path: f"{var}{path} eq null"
        ),
    )
    return {"text": text, "number": number, "date": dates, "boolean": atoms}


MULTIPLICATIVE_AND_ADDITIVE = ["add", "sub", "mul", "div", "divby", "mod"]
EQUALITY_AND_RELATIONAL = ["eq", "ne", "gt", "ge", "lt", "le"]
ROOT_TYPED = typed("")
LAMBDA_TYPED = typed("c/")


def connect(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({' '.join(t)})"),
        inner.map(lambda expr: f"not ({expr})"),
        st.sampled_from(["any", "all"]).flatmap(
            lambda quantifier: st.recursive(
                LAMBDA_TYPED["boolean"], connect_flat, max_leaves=3
            ).map(lambda body: f"Contacts/{quantifier}(c:{body})")
        ),
        st.just("Contacts/any()"),
    )


def connect_flat(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join)


valid_filters = st.recursive(ROOT_TYPED["boolean"], connect, max_leaves=8)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A generated text with a few characters inserted, dropped or replaced."""
    text = draw(base)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.text(max_size=3) | st.sampled_from(PUNCTUATION))
        text = text[:at] + piece + text[at + draw(st.integers(0, 2)) :]
    return text


filters = st.one_of(
    valid_filters,
    valid_filters,
    mutated(valid_filters),
    expressions,
    expressions,
    mutated(expressions),
    token_soup,
    st.text(max_size=40),
    deep,
    long_chains,
)
order_items = st.tuples(
    paths | expressions, st.sampled_from(["", " asc", " desc", " DESC", " sideways", "  asc"])
).map("".join)
valid_order_items = st.tuples(
    st.sampled_from(TEXT_PATHS + NUMBER_PATHS + DATE_PATHS),
    st.sampled_from(["", " asc", " desc"]),
).map("".join)
orderbys = st.lists(valid_order_items, min_size=1, max_size=4).map(",".join)
orderbys |= st.lists(order_items, max_size=4).map(",".join) | mutated(order_items) | token_soup
selects = (
    st.lists(
        st.sampled_from([*TEXT_PATHS[:4], "EmployeeCount", "MailingPostalAddress", "*"]),
        min_size=1,
        max_size=4,
    ).map(",".join)
    | st.lists(paths | st.sampled_from(["*", "", " ", "FullName,", "@odata.etag"]), max_size=5).map(
        ",".join
    )
    | st.text(max_size=20)
    | token_soup
)
tops = st.one_of(
    st.integers(0, 10).map(str),
    st.integers(-5, 2**70).map(str),
    st.sampled_from(["", " 1", "1.5", "0x1", "-0", "1e3", "max", "\uff11\uff12"]),
    st.text(max_size=5),
)


def expand_items(options: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    names = st.sampled_from(
        ["PrimaryContact", "ParentAccount", "Contacts", "FullName", "*", "Nope", "PrimaryContact/"]
    )
    option = st.one_of(
        filters.map(lambda text: f"$filter={text}"),
        orderbys.map(lambda text: f"$orderby={text}"),
        selects.map(lambda text: f"$select={text}"),
        tops.map(lambda text: f"$top={text}"),
        options.map(lambda text: f"$expand={text}"),
        st.sampled_from(["$count=true", "$skip=1", "$levels=2", "$search=x", "$nope=1", ""]),
    )
    with_options = st.tuples(names, st.lists(option, max_size=3)).map(
        lambda item: f"{item[0]}({';'.join(item[1])})"
    )
    return names | with_options


expands = st.recursive(
    st.sampled_from(["PrimaryContact", "Contacts", "Nope", "", "*"]),
    lambda inner: st.lists(expand_items(inner), min_size=1, max_size=3).map(",".join),
    max_leaves=4,
) | mutated(st.sampled_from(["PrimaryContact($select=FullName)", "Contacts($top=1)"]))

OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "$filter": filters,
    "$orderby": orderbys,
    "$select": selects,
    "$expand": expands,
    "$top": tops,
}
queries = st.fixed_dictionaries({}, optional=OPTIONS).filter(bool)

valid_expand_options = st.one_of(
    st.just("$select=FullName"),
    string_literals.map(lambda text: f"$filter=contains(FullName,{text})"),
    st.integers(0, 3).map(lambda n: f"$top={n}"),
    st.sampled_from(["$orderby=FullName desc", "$count=true", "$skip=1"]),
)
valid_expands = st.lists(
    st.tuples(
        st.sampled_from(["PrimaryContact", "Contacts", "ParentAccount"]),
        st.lists(valid_expand_options, max_size=3, unique_by=lambda o: o.split("=")[0]),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda item: item[0],
).map(lambda items: ",".join(f"{n}({';'.join(o)})" if o else n for n, o in items))
valid_queries = st.fixed_dictionaries(
    {},
    optional={
        "$filter": valid_filters,
        "$orderby": st.lists(valid_order_items, min_size=1, max_size=3).map(",".join),
        "$select": st.lists(
            st.sampled_from(["FullName", "AccountId", "EmployeeCount", "MailingPostalAddress"]),
            min_size=1,
            max_size=3,
        ).map(",".join),
        "$expand": valid_expands,
        "$top": st.integers(0, 10).map(str),
    },
)


# -- the properties ----------------------------------------------------------------------


def assert_well_formed(response: httpx.Response) -> None:
    """200 with a collection, or a 4xx with the OData error shape; never anything else."""
    status = response.status_code
    assert status == 200 or 400 <= status < 500, (status, response.text[:2000])
    body = response.json()
    if status == 200:
        assert isinstance(body["value"], list)
        return
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str), body
    assert error["code"], body
    assert isinstance(error["message"], str), body
    assert error["message"], body


def snapshot(service: Service) -> list[dict[str, Any]]:
    response = service.get(
        "Accounts",
        {"$orderby": "RecordId", "$select": "FullName,LastModifiedDateTime,VersionNumber"},
    )
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["value"]
    return records


@pytest.fixture(scope="module")
def before(service: Service) -> list[dict[str, Any]]:
    records = snapshot(service)
    assert len(records) == 6
    return records


FUZZ = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(query=queries)
def test_fuzzed_query_options_never_fail(
    service: Service, before: list[dict[str, Any]], query: dict[str, str]
) -> None:
    assert_well_formed(service.get("Accounts", query))


@FUZZ
@given(query=queries, entity_set=st.sampled_from(["Contacts", "Accounts/$count", "Nope"]))
def test_fuzzed_options_elsewhere_never_fail(
    service: Service, before: list[dict[str, Any]], query: dict[str, str], entity_set: str
) -> None:
    response = service.get(entity_set, query)
    if response.status_code == 200 and entity_set.endswith("$count"):
        assert response.text.isdigit()
        return
    assert_well_formed(response)


@FUZZ
@given(query=valid_queries)
def test_well_typed_query_options_never_fail(
    service: Service, before: list[dict[str, Any]], query: dict[str, str]
) -> None:
    assert_well_formed(service.get("Accounts", query))


@pytest.mark.parametrize(
    "text",
    [
        "FullName eq '; DROP TABLE \"Account\"; --'",
        "FullName eq ''; DROP TABLE \"Account\"; --'",
        "contains(FullName, 'x'') OR 1=1 --')",
        "FullName eq 'x' or 1 eq 1; DELETE FROM \"Account\"",
    ],
)
def test_injection_is_data_or_a_400(service: Service, text: str) -> None:
    response = service.get("Accounts", {"$filter": text})
    assert_well_formed(response)
    if response.status_code == 200:
        assert response.json()["value"] == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # -(-2^63) was folded to the Python int 2^63, which no SQLite INTEGER holds (a 500).
        ("-(-9223372036854775808) gt 0", 6),
        ("-(-(-9223372036854775808)) lt 0", 6),
        # substring's start + 1 bound the 1 with a decimal column's type, whose converter
        # expected a Decimal (a 500).
        ("substring(FullName, CreditLimitAmount/Amount mul 0) eq 'Alpha'", ["Alpha"]),
        (
            "substring(FullName, CreditLimitAmount/Amount) eq ''",
            ["Bête noire", "O'Brien & Co", "%_like*", "Empty"],
        ),
    ],
)
def test_found_by_the_fuzz(service: Service, text: str, names: int | list[str]) -> None:
    response = service.get("Accounts", {"$filter": text, "$orderby": "RecordId"})
    assert response.status_code == 200, response.text
    found = [record["FullName"] for record in response.json()["value"]]
    assert found == names if isinstance(names, list) else len(found) == names


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_instants_beyond_the_calendar_in_utc_are_a_400(service: Service, moment: str) -> None:
    """An offset that moves an instant before year 1 or after 9999 in UTC was a 500."""
    response = service.get("Accounts", {"$filter": f"CreatedOnDateTime gt {moment}"})
    assert response.status_code == 400, response.text
    assert "before year 1 or after 9999 in UTC" in response.json()["error"]["message"]

    async def write() -> httpx.Response:
        lead = {**BASE, "FullName": "Late", "Status": "New", "IsSecurityPrincipal": False}
        return await service.http.post("Leads", json={**lead, "EstimatedCloseDate": moment})

    written = service.portal.call(write)
    assert written.status_code == 400, written.text
    assert written.json()["error"]["details"][0]["target"] == "EstimatedCloseDate"


def test_the_fuzz_changed_nothing(service: Service, before: list[dict[str, Any]]) -> None:
    """Runs after the fuzz (file order): the table is there with the same records."""
    assert snapshot(service) == before
    quoted = service.get("Accounts", {"$filter": "FullName eq 'O''Brien & Co'"})
    assert [record["FullName"] for record in quoted.json()["value"]] == ["O'Brien & Co"]
