"""`$filter`: every construct, the precedence table, name resolution and error positions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commonground.model.datamodel import DataModel
from commonground.odata.errors import ODataQueryError
from commonground.odata.filter_parser import (
    MAX_CONNECTIVES,
    MAX_DEPTH,
    MAX_NESTING,
    parse_filter,
)
from commonground.odata.kinds import FUNCTIONS
from commonground.query.expressions import FUNCTIONS as STORE_FUNCTIONS
from commonground.query.expressions import (
    Binary,
    Call,
    Expr,
    In,
    Lambda,
    Literal,
    Path,
    Unary,
)
from tests.odata.printer import dump, flat


def p(*segments: str) -> Path:
    return Path(segments)


def lit(value: object) -> Literal:
    return Literal(value)


def b(op: str, left: Expr, right: Expr) -> Binary:
    return Binary(op, left, right)


def eq(left: Expr, right: object) -> Binary:
    return Binary("eq", left, right if isinstance(right, Expr) else Literal(right))


def call(name: str, *args: Expr) -> Call:
    return Call(name, args)


def parse(model: DataModel, text: str, entity: str = "Account", **aliases: str) -> Expr:
    return parse_filter(model.entity(entity), model, text, {f"@{k}": v for k, v in aliases.items()})


NAME = p("FullName")
COUNT = p("EmployeeCount")
A, B, C = (eq(COUNT, n) for n in (1, 2, 3))
TEXTS = ("EmployeeCount eq 1", "EmployeeCount eq 2", "EmployeeCount eq 3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # comparisons
        ("FullName eq 'x'", eq(NAME, "x")),
        ("FullName ne 'x'", b("ne", NAME, lit("x"))),
        ("EmployeeCount gt 1", b("gt", COUNT, lit(1))),
        ("EmployeeCount ge 1", b("ge", COUNT, lit(1))),
        ("EmployeeCount lt 1", b("lt", COUNT, lit(1))),
        ("EmployeeCount le 1", b("le", COUNT, lit(1))),
        ("'x' eq FullName", eq(lit("x"), NAME)),
        ("FullName eq Description", eq(NAME, p("Description"))),
        ("1 eq 1", eq(lit(1), 1)),
        # literals
        ("FullName eq null", eq(NAME, None)),
        ("IsEmailContactAllowed eq true", eq(p("IsEmailContactAllowed"), True)),
        ("IsEmailContactAllowed eq FALSE", eq(p("IsEmailContactAllowed"), False)),
        ("EmployeeCount eq -5", eq(COUNT, -5)),
        ("EmployeeCount eq 1.5", eq(COUNT, Decimal("1.5"))),
        ("EmployeeCount eq 1.5M", eq(COUNT, Decimal("1.5"))),
        ("EmployeeCount eq 2e3", eq(COUNT, Decimal("2e3"))),
        ("FullName eq 'O''Neil'", eq(NAME, "O'Neil")),
        ("Birthdate eq 2024-01-31", eq(p("Birthdate"), date(2024, 1, 31))),
        (
            "CreatedOnDateTime gt 2024-01-31T10:00:00Z",
            b("gt", p("CreatedOnDateTime"), lit(datetime(2024, 1, 31, 10, tzinfo=UTC))),
        ),
        (
            "FullName eq 01234567-89ab-cdef-0123-456789abcdef",
            eq(NAME, uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")),
        ),
        ("Status eq AccountStatus'Active'", eq(p("Status"), "Active")),
        ("Status eq CommonGround.AccountStatus'inactive'", eq(p("Status"), "Inactive")),
        ("Status eq AccountStatus'1'", eq(p("Status"), "Inactive")),
        ("FullName eq @name", eq(NAME, "Bob")),
        ("true", lit(True)),
        ("IsEmailContactAllowed", p("IsEmailContactAllowed")),
        # names are case-insensitive and come back in the model's spelling
        ("fullname EQ 'x'", eq(NAME, "x")),
        ("$it/FullName eq 'x'", eq(NAME, "x")),
        # paths
        ("PrimaryContact/FullName eq 'x'", eq(p("PrimaryContact", "FullName"), "x")),
        (
            "PrimaryContact/PrimaryAccount/FullName eq 'x'",
            eq(p("PrimaryContact", "PrimaryAccount", "FullName"), "x"),
        ),
        ("MailingPostalAddress/City eq 'x'", eq(p("MailingPostalAddress", "City"), "x")),
        ("mailingpostaladdress/city eq 'x'", eq(p("MailingPostalAddress", "City"), "x")),
        ("CreditLimitAmount/Amount gt 5", b("gt", p("CreditLimitAmount", "Amount"), lit(5))),
        ("PrimaryContact/Name/GivenName eq 'x'", eq(p("PrimaryContact", "Name", "GivenName"), "x")),
        ("_PrimaryContact_value eq 5", eq(p("PrimaryContact"), 5)),
        ("_primarycontact_value eq null", eq(p("PrimaryContact"), None)),
        ("PrimaryContact eq 5", eq(p("PrimaryContact"), 5)),
        ("PrimaryContact/_PrimaryAccount_value eq 5", eq(p("PrimaryContact", "PrimaryAccount"), 5)),
        # in
        ("FullName in ('a', 'b')", In(NAME, (lit("a"), lit("b")))),
        ("Status in ('Active')", In(p("Status"), (lit("Active"),))),
        ("(EmployeeCount add 1) in (2, 3)", In(b("add", COUNT, lit(1)), (lit(2), lit(3)))),
        (
            "EmployeeCount in (1, 2 add 3, -4, 5)",
            In(COUNT, (lit(1), b("add", lit(2), lit(3)), lit(-4), lit(5))),
        ),
        # functions
        ("contains(FullName, 'x')", call("contains", NAME, lit("x"))),
        ("startswith(FullName,'x')", call("startswith", NAME, lit("x"))),
        ("endswith(FullName,'x')", call("endswith", NAME, lit("x"))),
        ("tolower(FullName) eq 'x'", eq(call("tolower", NAME), "x")),
        ("toupper(FullName) eq 'X'", eq(call("toupper", NAME), "X")),
        ("length(FullName) eq 3", eq(call("length", NAME), 3)),
        ("indexof(FullName, 'b') eq 1", eq(call("indexof", NAME, lit("b")), 1)),
        ("substring(FullName, 1) eq 'x'", eq(call("substring", NAME, lit(1)), "x")),
        ("substring(FullName, 1, 2) eq 'x'", eq(call("substring", NAME, lit(1), lit(2)), "x")),
        ("concat(FullName, 'x') eq 'ax'", eq(call("concat", NAME, lit("x")), "ax")),
        ("trim(FullName) eq 'x'", eq(call("trim", NAME), "x")),
        ("year(Birthdate) eq 1990", eq(call("year", p("Birthdate")), 1990)),
        ("month(CreatedOnDateTime) eq 1", eq(call("month", p("CreatedOnDateTime")), 1)),
        ("day(Birthdate) eq 1", eq(call("day", p("Birthdate")), 1)),
        ("hour(CreatedOnDateTime) eq 1", eq(call("hour", p("CreatedOnDateTime")), 1)),
        ("minute(CreatedOnDateTime) eq 1", eq(call("minute", p("CreatedOnDateTime")), 1)),
        ("second(CreatedOnDateTime) eq 1", eq(call("second", p("CreatedOnDateTime")), 1)),
        (
            "date(CreatedOnDateTime) eq 2024-01-31",
            eq(call("date", p("CreatedOnDateTime")), date(2024, 1, 31)),
        ),
        ("CreatedOnDateTime lt now()", b("lt", p("CreatedOnDateTime"), call("now"))),
        ("ToLower(FullName) eq 'x'", eq(call("tolower", NAME), "x")),
        (
            "contains(tolower(PrimaryContact/FullName), 'x')",
            call("contains", call("tolower", p("PrimaryContact", "FullName")), lit("x")),
        ),
        # lambdas
        (
            "Contacts/any(c: c/FullName eq 'x')",
            Lambda("any", p("Contact"), "c", eq(p("c", "FullName"), "x")),
        ),
        (
            "Contacts/all(c: c/Name/GivenName eq 'x')",
            Lambda("all", p("Contact"), "c", eq(p("c", "Name", "GivenName"), "x")),
        ),
        ("Contacts/any()", Lambda("any", p("Contact"), "", None)),
        ("contacts/ANY()", Lambda("any", p("Contact"), "", None)),
        (
            "Contacts/any(c: c/_PrimaryAccount_value eq 1 and EmployeeCount gt 1)",
            Lambda(
                "any",
                p("Contact"),
                "c",
                b("and", eq(p("c", "PrimaryAccount"), 1), b("gt", COUNT, lit(1))),
            ),
        ),
        (
            "Quotations_InvoiceAccount/any(q: q/TotalAmount/Amount gt 1)",
            Lambda(
                "any",
                p("Quotation.InvoiceAccount"),
                "q",
                b("gt", p("q", "TotalAmount", "Amount"), lit(1)),
            ),
        ),
        (
            "Contacts/any(c: Leads/any(l: l/Description eq c/FullName))",
            Lambda(
                "any",
                p("Contact"),
                "c",
                Lambda("any", p("Lead"), "l", eq(p("l", "Description"), p("c", "FullName"))),
            ),
        ),
        (
            "Contacts/any(c: $it/FullName eq c/FullName)",
            Lambda("any", p("Contact"), "c", eq(NAME, p("c", "FullName"))),
        ),
        # lookups inside a lambda, lambdas on a variable's or a lookup's collection
        (
            "Contacts/any(c: c/PrimaryAccount/FullName eq 'x')",
            Lambda("any", p("Contact"), "c", eq(p("c", "PrimaryAccount", "FullName"), "x")),
        ),
        (
            "Contacts/any(c: PrimaryContact/FullName eq 'x')",
            Lambda("any", p("Contact"), "c", eq(p("PrimaryContact", "FullName"), "x")),
        ),
        ("PrimaryContact/Accounts/any()", Lambda("any", p("PrimaryContact", "Account"), "", None)),
        (
            "Contacts/any(c: c/Accounts/all(a: a/FullName eq c/FullName))",
            Lambda(
                "any",
                p("Contact"),
                "c",
                Lambda("all", p("c", "Account"), "a", eq(p("a", "FullName"), p("c", "FullName"))),
            ),
        ),
    ],
)
def test_constructs(standard, text, expected):
    assert dump(parse(standard, text, name="'Bob'")) == dump(expected)


def test_a_child_collection_on_a_line_entity(standard):
    got = parse(standard, "SalesOrderLines/any(l: l/Quantity gt 5)", "SalesOrder")
    assert dump(got) == dump(
        Lambda("any", p("SalesOrderLine"), "l", b("gt", p("l", "Quantity"), lit(5)))
    )


def test_the_function_table_matches_the_store():
    assert set(FUNCTIONS) == STORE_FUNCTIONS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # or < and
        ("X1 or X2 and X3", b("or", A, b("and", B, C))),
        ("X1 and X2 or X3", b("or", b("and", A, B), C)),
        ("(X1 or X2) and X3", b("and", b("or", A, B), C)),
        # and < equality < relational
        ("EmployeeCount eq 1 and EmployeeCount eq 2", b("and", A, B)),
        ("true eq 2 gt 3", b("eq", lit(True), b("gt", lit(2), lit(3)))),
        ("1 gt 2 eq true", b("eq", b("gt", lit(1), lit(2)), lit(True))),
        # relational < additive < multiplicative
        ("1 add 2 gt 3", b("gt", b("add", lit(1), lit(2)), lit(3))),
        ("1 add 2 mul 3 eq 7", b("eq", b("add", lit(1), b("mul", lit(2), lit(3))), lit(7))),
        ("1 mul 2 add 3 eq 5", b("eq", b("add", b("mul", lit(1), lit(2)), lit(3)), lit(5))),
        ("(1 add 2) mul 3 eq 9", b("eq", b("mul", b("add", lit(1), lit(2)), lit(3)), lit(9))),
        # left associativity
        ("1 sub 2 sub 3 eq 0", b("eq", b("sub", b("sub", lit(1), lit(2)), lit(3)), lit(0))),
        ("8 div 4 div 2 eq 1", b("eq", b("div", b("div", lit(8), lit(4)), lit(2)), lit(1))),
        ("7 mod 4 mul 2 eq 6", b("eq", b("mul", b("mod", lit(7), lit(4)), lit(2)), lit(6))),
        ("8 divby 2 eq 4", b("eq", b("div", lit(8), lit(2)), lit(4))),
        # unary binds tighter than everything binary
        ("-EmployeeCount add 1 eq 0", b("eq", b("add", Unary("neg", COUNT), lit(1)), lit(0))),
        ("- EmployeeCount mul 2 eq 0", b("eq", b("mul", Unary("neg", COUNT), lit(2)), lit(0))),
        ("-(1 add 2) eq -3", b("eq", Unary("neg", b("add", lit(1), lit(2))), lit(-3))),
        ("- 5 eq -5", b("eq", lit(-5), lit(-5))),
        ("not (X1) and X2", b("and", Unary("not", A), B)),
        ("not (X1 and X2)", Unary("not", b("and", A, B))),
        ("not not true", Unary("not", Unary("not", lit(True)))),
        ("not contains(FullName, 'x')", Unary("not", call("contains", NAME, lit("x")))),
        ("not FullName in ('x')", Unary("not", In(NAME, (lit("x"),)))),
        ("not IsEmailContactAllowed", Unary("not", p("IsEmailContactAllowed"))),
        # redundant parentheses change nothing
        ("((X1))", A),
        ("(X1) and ((X2))", b("and", A, B)),
    ],
)
def test_precedence(standard, text, expected):
    text = text.replace("X1", TEXTS[0]).replace("X2", TEXTS[1]).replace("X3", TEXTS[2])
    assert dump(parse(standard, text)) == dump(expected)


def test_and_or_chains_become_balanced_trees_in_order(standard):
    text = " or ".join(f"EmployeeCount eq {n}" for n in range(MAX_CONNECTIVES + 1))
    tree = parse(standard, text)
    depth = 0
    node = tree
    while isinstance(node, Binary) and node.op == "or":
        depth += 1
        node = node.left
    assert depth <= 9
    assert flat(tree) == ("or", [dump(eq(COUNT, n)) for n in range(MAX_CONNECTIVES + 1)])


def test_the_number_of_and_or_is_capped(standard):
    half = " or ".join(["true"] * (MAX_CONNECTIVES // 2))
    most = f"({half}) and ({half}) or true"  # exactly MAX_CONNECTIVES connectives
    assert isinstance(parse(standard, most), Binary)
    with pytest.raises(ODataQueryError, match="use 'in' for lists of values") as caught:
        parse(standard, most + " or true")
    assert caught.value.position == len(most) + 1


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected an expression but found end of text", 0),
        ("   ", "expected an expression but found end of text", 3),
        ("FullName eq", "expected an expression but found end of text", 11),
        ("(FullName eq 'x'", "expected ')' but found end of text", 16),
        ("(FullName eq 'x' or (EmployeeCount gt 1)", "expected ')' but found end of text", 40),
        ("FullName eq 'x')", "expected an operator or the end of the expression but found ')'", 15),
        ("FullName eq 'x' 'y'", "but found 'y'", 16),
        ("FullName 'x'", "expected an operator but found 'x'", 9),
        ("(FullName 'x')", "expected ')' but found 'x'", 10),
        ("EmployeeCount add 1 in (2)", "'add' needs numbers, not a boolean", 18),
        ("FullName eq and", "expected an expression but found 'and'", 12),
        ("eq 1", "expected an expression but found 'eq'", 0),
        (", 1", "expected an expression but found ','", 0),
        ("Nope eq 1", "unknown property 'Nope' of Account", 0),
        ("PrimaryContact/Nope eq 1", "unknown property 'Nope' of Contact", 15),
        ("FullName/Length eq 1", "'FullName' is a property; it has no property 'Length'", 9),
        ("_PrimaryContact_value/FullName eq 1", "is a lookup value property; it has no", 22),
        ("MailingPostalAddress eq null", "complex property 'MailingPostalAddress' needs a part", 0),
        ("MailingPostalAddress/Planet eq 'x'", "has no part 'Planet' (parts: Line1,", 21),
        ("MailingPostalAddress/City/X eq 'x'", "is a part of a complex property; it has no", 26),
        ("Contacts eq null", "expected any(...) or all(...) after 'Contacts'", 9),
        ("Contacts/FullName eq 'x'", "expected any(...) or all(...)", 9),
        ("Contacts/any", "expected '(' but found end of text", 12),
        ("Contacts/any(c c/FullName eq 'x')", "expected ':' after the lambda variable", 15),
        ("Contacts/any(c: c/FullName eq 'x'", "expected ')' but found end of text", 33),
        ("Contacts/any(c: c eq 1)", "'c' needs a property: c/<property>", 16),
        ("Contacts/any(c: c/Nope eq 1)", "unknown property 'Nope' of Contact", 18),
        ("Contacts/all()", "all() needs a condition", 9),
        ("Contacts/any(FullName: true)", "has the name of a property of Account", 13),
        ("Contacts/any(and: true)", "'and' cannot be a lambda variable name", 13),
        (
            "Contacts/any(c: Contacts/any(c: true))",
            "lambda variable 'c' is already in use",
            29,
        ),
        ("Contacts/any(c: c/FullName)", "expected a boolean expression, not text", 16),
        ("foo(FullName)", "unknown function 'foo' (known: concat, contains,", 0),
        ("Microsoft.Dynamics.CRM.In(FullName)", "unknown function", 0),
        ("contains(FullName)", "contains() takes 2 arguments, not 1", 0),
        ("contains(FullName, 'a', 'b')", "contains() takes 2 arguments, not 3", 0),
        ("substring(FullName) eq 'x'", "substring() takes 2-3 arguments, not 1", 0),
        ("now(1) eq now()", "now() takes 0 arguments, not 1", 0),
        ("length() eq 1", "length() takes 1 argument, not 0", 0),
        ("contains(FullName, 'a'", "expected ',' or ')' but found end of text", 22),
        ("year(FullName) eq 1", "year() needs a date or a date-time here, not text", 5),
        ("hour(Birthdate) eq 1", "hour() needs a date-time here, not a date", 5),
        ("contains(EmployeeCount, '1')", "contains() needs text here, not a number", 9),
        ("contains(Status, 'A')", "needs text here, not a picklist value", 9),
        ("substring(FullName, 'a') eq 'x'", "substring() needs a number here, not text", 20),
        ("not FullName eq 'x'", "'not' needs a boolean operand, not text", 4),
        ("FullName and true", "expected a boolean expression, not text", 0),
        ("true or 5", "expected a boolean expression, not a number", 8),
        ("FullName", "expected a boolean expression, not text", 0),
        ("EmployeeCount add 1", "expected a boolean expression, not a number", 0),
        ("FullName add 1 eq 2", "'add' needs numbers, not text", 0),
        ("EmployeeCount mul 'x' eq 2", "'mul' needs numbers, not text", 18),
        ("-FullName eq 'x'", "'-' needs a number, not text", 1),
        ("Status add 1 eq 2", "'add' needs numbers, not a picklist value", 0),
        ("length(FullName) eq 'x'", "cannot compare a number with text", 17),
        ("FullName eq EmployeeCount", "cannot compare text with a number", 9),
        ("'a' eq 1", "cannot compare text with a number", 4),
        ("Birthdate eq FullName", "cannot compare a date with text", 10),
        ("FullName in (EmployeeCount)", "cannot compare text with a number", 13),
        ("'x' in (EmployeeCount)", "cannot compare text with a number", 8),
        ("5 in (FullName)", "cannot compare a number with text", 6),
        ("PrimaryContact eq true", "cannot compare a lookup with a boolean", 15),
        ("false lt EmployeeCount", "cannot compare a boolean with a number", 6),
        ("Status in (true)", "cannot compare a picklist value with a boolean", 11),
        ("FullName in ()", "'in' needs at least one value", 9),
        ("FullName in 'x'", "expected '(' and a list of values after 'in'", 12),
        ("Status has AccountStatus'Active'", "the 'has' operator is not supported", 7),
        ("Status eq AccountStatus'Nope'", "'Nope' is not an item of AccountStatus", 10),
        ("Status eq Nope'Active'", "unknown enum type 'Nope'", 10),
        ("Status eq Other.AccountStatus'Active'", "unknown namespace 'Other'", 10),
        ("Birthdate eq duration'P1D'", "duration literals are not supported", 13),
        ("FullName eq @missing", "parameter alias @missing has no value", 12),
        ("$root/Accounts eq 1", "'$root' is not supported in $filter", 0),
        ("EmployeeCount div 0 eq 1", "division by zero", 18),
        ("EmployeeCount mod 0.0 eq 1", "division by zero", 18),
        ("EmployeeCount divby -0 eq 1", "division by zero", 20),
        ("substring(FullName, 2147483648) eq 'x'", "needs a whole number of at most 32 bits", 20),
        ("substring(FullName, 1, 1.5) eq 'x'", "needs a whole number of at most 32 bits", 23),
        ("FullName eq 'a\x00b'", "a string cannot contain the NUL character", 12),
        ("FullName eq '\ud800'", "a string cannot contain lone surrogates", 12),
        ("EmployeeCount gt null", "null can only be compared with eq or ne, not gt", 14),
        ("null le 1", "null can only be compared with eq or ne, not le", 5),
        ("-null eq 1", "'-' needs a number, not null", 1),
        ("EmployeeCount add null eq 1", "'add' needs numbers, not null", 18),
        ("contains(FullName, null)", "contains() needs text here, not null", 19),
        ("year(null) eq 1", "year() needs a date or a date-time here, not null", 5),
        ("not null", "'not' needs a boolean operand, not null", 4),
        ("null", "expected a boolean expression, not null", 0),
        ("null or true", "expected a boolean expression, not null", 0),
        ("Contacts/$count gt 1", "expected any(...) or all(...) after 'Contacts'", 9),
    ],
)
def test_errors_say_what_was_expected_and_where(standard, text, message, position):
    with pytest.raises(ODataQueryError) as caught:
        parse(standard, text)
    error = caught.value
    assert message in error.detail, str(error)
    assert error.position == position, str(error)
    assert error.option == "$filter"
    assert str(error) == f"$filter: {error.detail} at position {position}"


def test_an_alias_must_be_a_single_literal(standard):
    with pytest.raises(ODataQueryError, match=r"^@n: expected a literal but found 'FullName'"):
        parse(standard, "FullName eq @n", n="FullName")
    with pytest.raises(ODataQueryError, match=r"^@n: expected end of text but found 'x'"):
        parse(standard, "FullName eq @n", n="'a' x")
    assert dump(parse(standard, "FullName eq @n", n="null")) == dump(eq(NAME, None))
    assert dump(parse(standard, "Status eq @s", s="AccountStatus'Active'")) == dump(
        eq(p("Status"), "Active")
    )


def test_nesting_is_capped_before_python_recursion_is(standard):
    deep = "(" * MAX_NESTING + "true" + ")" * MAX_NESTING
    assert dump(parse(standard, deep)) == dump(lit(True))
    deeper = "(" * (MAX_NESTING + 1) + "true" + ")" * (MAX_NESTING + 1)
    with pytest.raises(ODataQueryError, match="nested more than") as caught:
        parse(standard, deeper)
    assert caught.value.position == MAX_NESTING
    with pytest.raises(ODataQueryError, match="nested more than"):
        parse(standard, "not " * 10_000 + "true")
    with pytest.raises(ODataQueryError, match="nested more than"):
        parse(standard, "- " * 10_000 + "1 eq 1")
    with pytest.raises(ODataQueryError, match="nested more than"):
        parse(standard, "tolower(" * 100 + "FullName" + ")" * 100 + " eq 'x'")


def test_tree_depth_is_capped(standard):
    chain = " add ".join(["EmployeeCount"] * (MAX_DEPTH + 1))
    with pytest.raises(ODataQueryError, match=f"more than {MAX_DEPTH} levels deep"):
        parse(standard, f"{chain} eq 1")
    ok = " add ".join(["EmployeeCount"] * (MAX_DEPTH - 2))
    assert isinstance(parse(standard, f"{ok} eq 1"), Binary)
