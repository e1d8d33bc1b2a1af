"""$select, $orderby, $top, $skip, $count and the option set as a whole."""

from __future__ import annotations

import pytest

from commonground.model.datamodel import DataModel
from commonground.odata.clauses import parse_orderby, parse_select
from commonground.odata.errors import ODataQueryError
from commonground.odata.options import ParsedOptions, parse_query_options
from commonground.query.aggregate import Aggregate, Apply
from commonground.query.plan import Include, Order, Query
from tests.odata.printer import dump


def options(model: DataModel, entity: str = "Account", **given: str) -> ParsedOptions:
    return parse_query_options(model.entity(entity), model, given)


def error(model: DataModel, given: dict[str, str], entity: str = "Account") -> ODataQueryError:
    with pytest.raises(ODataQueryError) as caught:
        parse_query_options(model.entity(entity), model, given)
    return caught.value


# -- $select ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FullName", ("FullName",)),
        ("fullname, EmployeeCount", ("FullName", "EmployeeCount")),
        ("FullName,FullName", ("FullName",)),
        ("_PrimaryContact_value", ("PrimaryContact",)),
        ("PrimaryContact", ("PrimaryContact",)),
        ("MailingPostalAddress", ("MailingPostalAddress",)),
        ("MailingPostalAddress/City", ("MailingPostalAddress",)),
        ("MailingPostalAddress/City,MailingPostalAddress/Line1", ("MailingPostalAddress",)),
        ("RecordId,VersionNumber", ("RecordId", "VersionNumber")),
        ("*", None),
        ("FullName,*", None),
    ],
)
def test_select(standard, text, expected):
    assert parse_select(standard.entity("Account"), standard, text) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected a property name or '*' but found end of text", 0),
        ("FullName,", "expected a property name or '*' but found end of text", 9),
        ("FullName Nope", "expected ',' or the end of $select but found 'Nope'", 9),
        ("Nope", "unknown property 'Nope' of Account", 0),
        ("FullName,Nope", "unknown property 'Nope' of Account", 9),
        ("Contacts", "'Contacts' is a collection; use $expand to include it", 0),
        ("PrimaryContact/FullName", "use $expand for 'PrimaryContact'", 14),
        ("FullName/X", "only complex properties have parts in $select", 8),
        ("MailingPostalAddress/Planet", "has no part 'Planet'", 21),
        ("MailingPostalAddress/", "expected a part name but found end of text", 21),
    ],
)
def test_select_errors(standard, text, message, position):
    with pytest.raises(ODataQueryError) as caught:
        parse_select(standard.entity("Account"), standard, text)
    assert message in caught.value.detail
    assert caught.value.position == position
    assert str(caught.value).startswith("$select: ")


# -- $orderby ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FullName", (Order("FullName"),)),
        ("FullName asc", (Order("FullName"),)),
        ("FullName desc", (Order("FullName", True),)),
        ("fullname DESC, EmployeeCount", (Order("FullName", True), Order("EmployeeCount"))),
        ("PrimaryContact/FullName desc", (Order("PrimaryContact/FullName", True),)),
        ("MailingPostalAddress/City", (Order("MailingPostalAddress/City"),)),
        ("_PrimaryContact_value", (Order("PrimaryContact"),)),
        (
            "CreditLimitAmount/Amount desc,RecordId",
            (Order("CreditLimitAmount/Amount", True), Order("RecordId")),
        ),
    ],
)
def test_orderby(standard, text, expected):
    assert parse_orderby(standard.entity("Account"), standard, text) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected a property name but found end of text", 0),
        ("FullName sideways", "expected asc, desc, ',' or the end of $orderby but found", 9),
        ("FullName desc desc", "but found 'desc'", 14),
        ("Nope", "unknown property 'Nope' of Account", 0),
        ("MailingPostalAddress", "complex property 'MailingPostalAddress' needs a part", 0),
        ("Contacts", "collection 'Contacts' can only be used with any() or all()", 0),
        ("tolower(FullName)", "sorting by an expression is not supported", 0),
        ("FullName,", "expected a property name but found end of text", 9),
    ],
)
def test_orderby_errors(standard, text, message, position):
    with pytest.raises(ODataQueryError) as caught:
        parse_orderby(standard.entity("Account"), standard, text)
    assert message in caught.value.detail
    assert caught.value.position == position


# -- $top, $skip, $count ----------------------------------------------------------------


def test_top_skip_and_count(standard):
    parsed = options(standard, **{"$top": "5", "$skip": "10", "$count": "true"})
    assert (parsed.query.top, parsed.query.skip, parsed.count) == (5, 10, True)
    assert options(standard, **{"$top": "0", "$count": "false"}).query.top == 0
    assert options(standard, **{"$count": "false"}).count is False
    assert options(standard).count is False


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("$top", "-1", "expected a non-negative integer but found '-1' at position 0"),
        ("$top", "1.5", "expected a non-negative integer but found '1.5' at position 0"),
        ("$top", "ten", "expected a non-negative integer but found 'ten' at position 0"),
        ("$top", "", "expected a non-negative integer but found end of text at position 0"),
        ("$top", "5 5", "expected end of text but found '5' at position 2"),
        ("$top", "99999999999999999999", "expected a non-negative integer"),
        ("$skip", "-3", "expected a non-negative integer"),
        ("$count", "yes", "expected true or false but found 'yes' at position 0"),
        ("$count", "", "expected true or false but found end of text"),
    ],
)
def test_number_and_boolean_errors(standard, option, text, message):
    assert message in str(error(standard, {option: text}))
    assert str(error(standard, {option: text})).startswith(f"{option}: ")


# -- the option set ---------------------------------------------------------------------


def test_a_full_set_of_options_builds_one_query(standard):
    parsed = options(
        standard,
        **{
            "$select": "FullName,_PrimaryContact_value",
            "$filter": "EmployeeCount gt @min",
            "$orderby": "FullName desc",
            "$top": "10",
            "$skip": "20",
            "$expand": "PrimaryContact($select=FullName)",
            "$count": "true",
            "@min": "5",
            "$skiptoken": "opaque",
            "$deltatoken": "opaque",
            "api-version": "ignored",
        },
    )
    query = parsed.query
    assert (query.entity, query.select) == ("Account", ("FullName", "PrimaryContact"))
    assert dump(query.where) == ("gt", ("path", "EmployeeCount"), ("literal", "number", 5))
    assert (query.order_by, query.top, query.skip) == ((Order("FullName", True),), 10, 20)
    assert query.include == (Include("PrimaryContact", Query("Contact", select=("FullName",))),)
    assert parsed.count is True
    assert parsed.apply is None


def test_no_options_read_everything(standard):
    assert options(standard) == ParsedOptions(Query("Account"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("$Filter", "$Filter: unknown query option; option names are case-sensitive: use $filter"),
        ("$TOP", "use $top"),
        ("$SkipToken", "use $skiptoken"),
        ("$search", "$search: unsupported query option (supported: $filter, $select,"),
        ("$format", "unsupported query option"),
        ("$levels", "unsupported query option"),
        ("$", "unsupported query option"),
    ],
)
def test_unknown_option_names_are_refused(standard, name, message):
    assert message in str(error(standard, {name: "x"}))


def test_option_errors_name_the_option(standard):
    assert str(error(standard, {"$filter": "FullName eq"})) == (
        "$filter: expected an expression but found end of text at position 11"
    )
    assert str(error(standard, {"$expand": "Nope"})).startswith("$expand: unknown property")


# -- $apply with the other options ------------------------------------------------------


def test_apply_with_orderby_top_and_count(standard):
    parsed = options(
        standard,
        **{
            "$apply": "groupby((IndustryCode),aggregate(EmployeeCount with sum as Total))",
            "$orderby": "Total desc,IndustryCode",
            "$top": "3",
            "$count": "true",
        },
    )
    assert parsed.apply == Apply(
        None, ("IndustryCode",), (Aggregate("EmployeeCount", "sum", "Total"),)
    )
    assert parsed.query.order_by == (Order("Total", True), Order("IndustryCode"))
    assert (parsed.query.top, parsed.query.where, parsed.count) == (3, None, True)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"$filter": "true"}, "$filter: $filter cannot be combined with $apply; use filter(...)"),
        ({"$select": "FullName"}, "$select: $select cannot be combined with $apply"),
        ({"$expand": "PrimaryContact"}, "$expand: $expand cannot be combined with $apply"),
        ({"$orderby": "FullName"}, "can name only grouping properties and aggregates"),
        ({"$orderby": "Total/X"}, "unknown property 'Total' of Account"),
    ],
)
def test_apply_refuses_options_it_cannot_honour(standard, given, message):
    apply = "groupby((IndustryCode),aggregate(EmployeeCount with sum as Total))"
    assert message in str(error(standard, {"$apply": apply, **given}))


# -- parsed texts are kept ---------------------------------------------------------------


def test_the_same_option_text_is_parsed_once_per_model(standard):
    given = {"$filter": "EmployeeCount gt 5", "$select": "FullName"}
    first, second = options(standard, **given), options(standard, **given)
    assert second.query.where is first.query.where
    assert second.query.select is first.query.select
    other = options(standard, **{**given, "$filter": "EmployeeCount gt 6"})
    assert dump(other.query.where) != dump(first.query.where)


def test_kept_filters_are_per_entity_and_per_parameter_alias(standard):
    def where(entity: str, value: str) -> str:
        given = {"$filter": "FullName eq @name", "@name": value}
        return dump(options(standard, entity, **given).query.where)

    assert where("Account", "'A'") != where("Account", "'B'")
    assert where("Account", "'A'") == where("Account", "'A'")
    assert options(standard, "Account", **{"$select": "AccountId"}).query.select == ("AccountId",)
    assert "AccountId" in str(error(standard, {"$select": "AccountId"}, "Contact"))


def test_a_changed_model_parses_its_options_anew(standard):
    changed = standard.with_entity(standard.entity("Account"))
    given = {"$filter": "EmployeeCount gt 5"}
    assert options(changed, **given).query.where is not options(standard, **given).query.where
