"""$expand: lookups and child collections as Includes, nested options, limits, errors."""

from __future__ import annotations

import pytest

from commonground.model.datamodel import DataModel
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.odata.errors import ODataQueryError
from commonground.odata.expand import MAX_EXPAND_DEPTH, MAX_EXPANDS, parse_expand
from commonground.odata.naming import child_collections
from commonground.odata.properties import collection_name, include_name
from commonground.query.plan import Include, Order, Query
from commonground.store.query import child_relationship
from tests.odata.printer import dump


def expand(model: DataModel, text: str, entity: str = "Account") -> tuple[Include, ...]:
    return parse_expand(model.entity(entity), model, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PrimaryContact", (Include("PrimaryContact"),)),
        ("primarycontact", (Include("PrimaryContact"),)),
        ("Contacts", (Include("Contact"),)),
        ("Quotations_InvoiceAccount", (Include("Quotation.InvoiceAccount"),)),
        ("Accounts", (Include("Account"),)),
        (
            "PrimaryContact,Contacts,ParentAccount",
            (Include("PrimaryContact"), Include("Contact"), Include("ParentAccount")),
        ),
        (
            "PrimaryContact($select=FullName,_PrimaryAccount_value)",
            (Include("PrimaryContact", Query("Contact", select=("FullName", "PrimaryAccount"))),),
        ),
        (
            "Contacts($orderby=FullName desc;$top=5;$select=FullName,Name)",
            (
                Include(
                    "Contact",
                    Query(
                        "Contact",
                        select=("FullName", "Name"),
                        order_by=(Order("FullName", True),),
                        top=5,
                    ),
                ),
            ),
        ),
        (
            "Quotations_Account($expand=QuotationLines($select=Sequence;$expand=Product))",
            (
                Include(
                    "Quotation.Account",
                    Query(
                        "Quotation",
                        include=(
                            Include(
                                "QuotationLine",
                                Query(
                                    "QuotationLine",
                                    select=("Sequence",),
                                    include=(Include("Product"),),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ],
)
def test_expand(standard, text, expected):
    assert expand(standard, text) == expected


def test_nested_filter(standard):
    (include,) = expand(
        standard, "Contacts($filter=startswith(FullName,'A') and Status eq 'Active')"
    )
    assert include.name == "Contact"
    assert include.query is not None
    assert dump(include.query.where) == (
        "and",
        ("call", "startswith", (("path", "FullName"), ("literal", "string", "A"))),
        ("eq", ("path", "Status"), ("literal", "string", "Active")),
    )


def test_nested_filter_uses_aliases(standard):
    (include,) = parse_expand(
        standard.entity("Account"), standard, "Contacts($filter=FullName eq @n)", {"@n": "'A'"}
    )
    assert include.query is not None
    assert dump(include.query.where) == ("eq", ("path", "FullName"), ("literal", "string", "A"))


def test_every_collection_include_name_resolves_in_the_store(standard):
    for entity in standard.entities:
        for include in expand_all_collections(standard, entity.name):
            relationship = child_relationship(standard, entity, include.name)
            assert include_name(standard, entity, relationship) == include.name
            assert collection_name(standard, entity, include.name) is not None


def expand_all_collections(model: DataModel, entity: str) -> tuple[Include, ...]:
    names = [c.name for c in child_collections(model, model.entity(entity))]
    found: list[Include] = []
    for start in range(0, len(names), MAX_EXPANDS):
        found.extend(expand(model, ",".join(names[start : start + MAX_EXPANDS]), entity))
    return tuple(found)


def test_a_collection_is_qualified_when_the_parent_has_a_field_of_the_childs_name():
    # The service reads an include name that is also a field of the parent as that lookup.
    project = Entity(name="Project", fields=(Field(name="Task", type="Lookup", target="Task"),))
    task = Entity(name="Task", fields=(Field(name="Project", type="Lookup", target="Project"),))
    model = DataModel([project, task], [])
    assert expand(model, "Tasks", "Project") == (Include("Task.Project"),)
    assert expand(model, "Task", "Project") == (Include("Task"),)
    assert expand(model, "Projects", "Task") == (Include("Project.Task"),)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected a navigation property but found end of text", 0),
        ("*", "$expand=* is not supported", 0),
        ("Nope", "unknown property 'Nope' of Account", 0),
        ("FullName", "'FullName' is not a navigation property", 0),
        ("MailingPostalAddress", "is not a navigation property", 0),
        ("_PrimaryContact_value", "expand the navigation property 'PrimaryContact'", 0),
        ("PrimaryContact/PrimaryAccount", "paths in $expand are not supported; nest them", 14),
        ("PrimaryContact,PrimaryContact", "'PrimaryContact' is given twice", 15),
        ("PrimaryContact(", "expected a query option such as $select but found end of text", 15),
        ("PrimaryContact()", "expected a query option such as $select but found ')'", 15),
        ("PrimaryContact($select)", "expected '=' after $select but found ')'", 22),
        ("PrimaryContact($select=FullName", "expected ';' or ')' but found end of text", 31),
        ("PrimaryContact($select=Nope)", "unknown property 'Nope' of Contact", 23),
        ("PrimaryContact($skip=1)", "$skip is not allowed inside $expand", 15),
        ("PrimaryContact($count=true)", "$count is not allowed inside $expand", 15),
        ("PrimaryContact($levels=2)", "$levels is not allowed inside $expand", 15),
        ("PrimaryContact($Select=FullName)", "unknown option '$Select'", 15),
        ("PrimaryContact($top=1;$top=2)", "'$top' is given twice", 22),
        ("Contacts($top=-1)", "expected a non-negative integer but found '-1'", 14),
        ("Contacts($filter=FullName eq)", "expected an expression but found ')'", 28),
        ("Contacts($filter=Nope eq 1)", "unknown property 'Nope' of Contact", 17),
        ("Contacts($filter=FullName eq 'x' foo)", "expected an operator but found 'foo'", 33),
        (
            "Contacts($filter=FullName eq 'x')x",
            "expected ',' or the end of $expand but found 'x'",
            33,
        ),
        ("Contacts($orderby=Nope)", "unknown property 'Nope' of Contact", 18),
    ],
)
def test_errors_point_into_the_expand_text(standard, text, message, position):
    with pytest.raises(ODataQueryError) as caught:
        expand(standard, text)
    assert message in caught.value.detail, str(caught.value)
    assert caught.value.position == position, str(caught.value)
    assert caught.value.option == "$expand"


def test_nesting_is_limited(standard):
    chain = "Contacts($expand=PrimaryAccount($expand=Contacts))"
    assert len(expand(standard, chain)) == 1
    deeper = "Contacts($expand=PrimaryAccount($expand=Contacts($expand=PrimaryAccount)))"
    with pytest.raises(ODataQueryError, match=f"nested at most {MAX_EXPAND_DEPTH} levels"):
        expand(standard, deeper)


def test_the_number_of_expansions_is_limited_across_levels(standard):
    names = [f.name for f in standard.entity("Account").lookups]
    names += [c.name for c in child_collections(standard, standard.entity("Account"))]
    assert len(names) == 13
    assert len(expand(standard, ",".join(names))) == 13
    nested = "Contacts($expand=BusinessUnit,Organization,WorkerResponsible)"
    others = [name for name in names if name != "Contacts"]
    with pytest.raises(ODataQueryError, match=f"at most {MAX_EXPANDS} properties") as caught:
        expand(standard, ",".join([nested, *others]))
    assert caught.value.position == len(nested) + 1 + len(",".join(others[:11])) + 1
