"""$apply: filter, groupby, aggregate, chains, and what cannot be expressed."""

from __future__ import annotations

import pytest

from commonground.model.datamodel import DataModel
from commonground.odata.apply import MAX_TRANSFORMATIONS, parse_apply
from commonground.odata.errors import ODataQueryError
from commonground.query.aggregate import Aggregate, Apply
from tests.odata.printer import dump


def apply(model: DataModel, text: str, entity: str = "Account") -> Apply:
    return parse_apply(model.entity(entity), model, text, {"@s": "'Active'"})


STATUS = ("eq", ("path", "Status"), ("literal", "string", "Active"))


@pytest.mark.parametrize(
    ("text", "group_by", "aggregates"),
    [
        ("groupby((IndustryCode))", ("IndustryCode",), ()),
        ("groupby((IndustryCode, Status))", ("IndustryCode", "Status"), ()),
        (
            "groupby((PrimaryContact/FullName,MailingPostalAddress/City,_ParentAccount_value))",
            ("PrimaryContact/FullName", "MailingPostalAddress/City", "ParentAccount"),
            (),
        ),
        (
            "groupby((IndustryCode),aggregate(EmployeeCount with sum as Total))",
            ("IndustryCode",),
            (Aggregate("EmployeeCount", "sum", "Total"),),
        ),
        (
            "groupby((Status), aggregate($count as Count, EmployeeCount with average as Avg))",
            ("Status",),
            (Aggregate(None, "count", "Count"), Aggregate("EmployeeCount", "average", "Avg")),
        ),
        (
            "aggregate(CreditLimitAmount/Amount with max as Most,"
            "CreatedOnDateTime with min as First,FullName with countdistinct as Names)",
            (),
            (
                Aggregate("CreditLimitAmount/Amount", "max", "Most"),
                Aggregate("CreatedOnDateTime", "min", "First"),
                Aggregate("FullName", "countdistinct", "Names"),
            ),
        ),
        ("aggregate($count as N)", (), (Aggregate(None, "count", "N"),)),
        (
            "aggregate(EmployeeCount WITH SUM AS Total)",
            (),
            (Aggregate("EmployeeCount", "sum", "Total"),),
        ),
    ],
)
def test_grouping_and_aggregates(standard, text, group_by, aggregates):
    assert apply(standard, text) == Apply(None, group_by, aggregates)


def test_filters_come_first_and_combine_with_and(standard):
    got = apply(standard, "filter(Status eq @s)/groupby((IndustryCode))")
    assert dump(got.filter) == STATUS
    assert got.group_by == ("IndustryCode",)
    both = apply(
        standard, "filter(Status eq 'Active')/filter(EmployeeCount gt 5)/aggregate($count as N)"
    )
    assert dump(both.filter) == (
        "and",
        STATUS,
        ("gt", ("path", "EmployeeCount"), ("literal", "number", 5)),
    )
    only = apply(standard, "filter(Status eq 'Active')")
    assert (dump(only.filter), only.group_by, only.aggregates) == (STATUS, (), ())


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected filter(, groupby( or aggregate( but found end of text", 0),
        ("compute(x)", "unknown transformation 'compute' (use filter, groupby or aggregate)", 0),
        ("groupby", "expected '(' after groupby but found end of text", 7),
        (
            "groupby(IndustryCode)",
            "expected '(' and the grouping properties but found 'IndustryCode'",
            8,
        ),
        ("groupby((IndustryCode)", "expected ')' but found end of text", 22),
        ("groupby((IndustryCode),count())", "expected aggregate( but found 'count'", 23),
        ("groupby((Nope))", "unknown property 'Nope' of Account", 9),
        (
            "groupby((MailingPostalAddress))",
            "complex property 'MailingPostalAddress' needs a part",
            9,
        ),
        ("groupby((Contacts))", "collection 'Contacts' can only be used with any() or all()", 9),
        ("groupby((Status,Status))", "'Status' is given twice", 16),
        (
            "groupby((Status))/filter(Status eq 'Active')",
            "nothing can follow groupby() in $apply",
            18,
        ),
        (
            "aggregate($count as N)/groupby((Status))",
            "nothing can follow aggregate() in $apply",
            23,
        ),
        ("aggregate(EmployeeCount)", "expected 'with' and an aggregation method but found ')'", 23),
        ("aggregate(EmployeeCount with median as M)", "expected an aggregation method (sum,", 29),
        (
            "aggregate(EmployeeCount with sum)",
            "expected 'as' and a name for the result but found ')'",
            32,
        ),
        (
            "aggregate(EmployeeCount with sum as)",
            "expected a name for the result but found ')'",
            35,
        ),
        ("aggregate(FullName with sum as X)", "sum needs a number, not text", 10),
        ("aggregate(Status with average as X)", "average needs a number, not a picklist value", 10),
        (
            "aggregate(EmployeeCount with sum as FullName)",
            "'FullName' is a property of Account",
            36,
        ),
        ("aggregate($count as N, $count as N)", "'N' is given twice", 33),
        ("aggregate($count as and)", "'and' cannot name an aggregate", 20),
        ("aggregate($count as N", "expected ')' but found end of text", 21),
        ("filter(Nope eq 1)", "unknown property 'Nope' of Account", 7),
        ("filter(FullName)", "expected a boolean expression, not text", 7),
        ("filter(true)x", "expected '/' or the end of $apply but found 'x'", 12),
        ("filter(true)/", "expected filter(, groupby( or aggregate( but found end of text", 13),
    ],
)
def test_errors(standard, text, message, position):
    with pytest.raises(ODataQueryError) as caught:
        apply(standard, text)
    assert message in caught.value.detail, str(caught.value)
    assert caught.value.position == position, str(caught.value)
    assert caught.value.option == "$apply"


def test_the_chain_is_limited(standard):
    chain = "/".join(["filter(true)"] * MAX_TRANSFORMATIONS)
    assert apply(standard, chain).filter is not None
    with pytest.raises(ODataQueryError, match=f"at most {MAX_TRANSFORMATIONS} transformations"):
        apply(standard, chain + "/filter(true)")
