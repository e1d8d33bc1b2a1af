"""Schema evolution: custom entities, added and changed fields, picklists, drops."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commonground.errors import (
    AlreadyExistsError,
    DefinitionError,
    NotFoundError,
    RecordValidationError,
    SchemaChangeError,
)
from commonground.model.entity import Entity
from commonground.model.field import Field
from commonground.model.picklist import Picklist
from commonground.query import F, Query
from tests.fixtures.records import account


def entity(name: str, **fields: dict) -> Entity:
    return Entity.model_validate({"name": name, "fields": fields})


def field(name: str, type_: str, **props) -> Field:
    return Field.model_validate({"name": name, "type": type_, **props})


def project_entity(env, *values: dict) -> list[int]:
    """A custom Project entity with some records."""
    env.create_entity(
        entity(
            "Project",
            Budget={"type": "Integer"},
            Code={"type": "Text", "max_length": 20},
            Started={"type": "Date"},
            Ratio={"type": "Number", "decimals": 2},
            Active={"type": "Boolean"},
        )
    )
    return env.create("Project", list(values)).record_ids if values else []


# -- custom entities --------------------------------------------------------------------


def test_custom_entity_gets_a_title_and_takes_records(env):
    created = env.create_entity(entity("Project", Budget={"type": "Integer"}))
    assert created.primary_name == "Title"
    title = created.field_or_none("Title")
    assert title is not None
    assert title.max_length == 128
    assert env.model.has_entity("Project")

    rid = env.create("Project", [{"Title": "Apollo", "Budget": 5}]).record_ids[0]
    stored = env.get("Project", rid)
    assert (stored["Title"], stored["Budget"]) == ("Apollo", 5)
    assert env.query(Query("Project", where=F.Title == "Apollo"))[0]["RecordId"] == rid


def test_custom_entity_naming_its_primary_name_gets_no_title(env):
    definition = Entity.model_validate(
        {"name": "Site", "primary_name": "Label", "fields": {"Label": {"type": "Text"}}}
    )
    created = env.create_entity(definition)
    assert created.primary_name == "Label"
    assert created.field_or_none("Title") is None


def test_custom_entity_with_lookups_and_composition(env):
    env.create_entity(entity("Project", Customer={"type": "Lookup", "target": "Account"}))
    env.create_entity(
        entity(
            "Task",
            Project={"type": "Lookup", "target": "Project", "relationship": "composition"},
        )
    )
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    project = env.create("Project", [{"Title": "P", "Customer": acc}]).record_ids[0]
    env.create("Task", [{"Title": "t1", "Project": project}, {"Title": "t2", "Project": project}])
    with pytest.raises(RecordValidationError, match="Project record 99 does not exist"):
        env.create("Task", [{"Title": "orphan", "Project": 99}])
    assert env.delete("Project", [project]) == 3
    assert env.count(Query("Task")) == 0


def test_custom_entity_that_exists_already(env):
    env.create_entity(entity("Project"))
    with pytest.raises(AlreadyExistsError):
        env.create_entity(entity("Project"))
    with pytest.raises(AlreadyExistsError):
        env.create_entity(entity("Account"))


def test_custom_entity_with_a_lookup_to_nothing(env):
    with pytest.raises(DefinitionError, match="Nowhere"):
        env.create_entity(entity("Project", Owner={"type": "Lookup", "target": "Nowhere"}))
    assert not env.model.has_entity("Project")


def test_create_entity_sql_previews_without_changing_anything(env):
    statements = env.create_entity_sql(entity("Project", Budget={"type": "Integer"}))
    assert any("CREATE TABLE" in s and "Project" in s for s in statements)
    assert any('"Title"' in s or "Title" in s for s in statements)
    assert not env.model.has_entity("Project")
    env.create_entity(entity("Project", Budget={"type": "Integer"}))  # still possible
    assert env.model.has_entity("Project")


def test_drop_custom_entity(env):
    project_entity(env, {"Title": "A"})
    env.drop_entity("Project")
    assert not env.model.has_entity("Project")
    with pytest.raises(NotFoundError):
        env.query(Query("Project"))
    project_entity(env, {"Title": "B"})  # the name is free again, and starts empty
    assert [r["Title"] for r in env.query(Query("Project"))] == ["B"]


def test_standard_entity_cannot_be_dropped(env):
    with pytest.raises(SchemaChangeError):
        env.drop_entity("Account")


def test_entity_referenced_by_another_cannot_be_dropped(env):
    env.create_entity(entity("Project"))
    env.create_entity(entity("Task", Project={"type": "Lookup", "target": "Project"}))
    with pytest.raises(DefinitionError, match=r"Task\.Project"):
        env.drop_entity("Project")
    assert env.model.has_entity("Project")


# -- adding fields ----------------------------------------------------------------------


def test_add_field_to_standard_entity_keeps_the_data(env):
    rid = env.create("Account", [account("Contoso", Description="kept")]).record_ids[0]
    new = env.add_field("Account", field("LoyaltyTier", "Text", max_length=10))
    assert new.field_or_none("LoyaltyTier").custom is True

    before = env.get("Account", rid)
    assert before["FullName"] == "Contoso"
    assert before["Description"] == "kept"
    assert before["LoyaltyTier"] is None

    env.update("Account", [{"RecordId": rid, "LoyaltyTier": "Gold"}])
    assert env.get("Account", rid)["LoyaltyTier"] == "Gold"
    assert env.count(Query("Account", where=F.LoyaltyTier == "Gold")) == 1
    with pytest.raises(RecordValidationError, match="maximum length of 10"):
        env.update("Account", [{"RecordId": rid, "LoyaltyTier": "Platinum Plus"}])


def test_add_compound_and_lookup_fields(env):
    ids = project_entity(env, {"Title": "A"})
    env.add_field("Project", field("Site", "Address"))
    env.add_field("Project", field("Customer", "Lookup", target="Account"))
    acc = env.create("Account", [account("Customer")]).record_ids[0]
    env.update("Project", [{"RecordId": ids[0], "Site": {"City": "Oslo"}, "Customer": acc}])
    stored = env.get("Project", ids[0])
    assert stored["Site"]["City"] == "Oslo"
    assert stored["Customer"] == acc


def test_add_autonumber_field_numbers_new_records(env):
    project_entity(env, {"Title": "old"})
    env.add_field("Project", field("Number", "AutoNumber", prefix="P", digits=3, unique=True))
    rid = env.create("Project", [{"Title": "new"}]).record_ids[0]
    assert env.get("Project", rid)["Number"] == "P001"
    assert env.get("Project", 1)["Number"] is None


def test_add_unique_field_is_enforced(env):
    project_entity(env, {"Title": "A"}, {"Title": "B"})
    env.add_field("Project", field("Slug", "Text", unique=True))
    env.update("Project", [{"RecordId": 1, "Slug": "a"}])
    with pytest.raises(RecordValidationError, match="already used by record 1"):
        env.update("Project", [{"RecordId": 2, "Slug": "a"}])


def test_add_required_field_without_default_to_entity_with_records_fails(env):
    project_entity(env, {"Title": "A"})
    with pytest.raises(SchemaChangeError, match="default"):
        env.add_field("Project", field("Owner", "Text", required=True))
    assert env.model.entity("Project").field_or_none("Owner") is None
    with pytest.raises(RecordValidationError, match="no field 'Owner'"):
        env.create("Project", [{"Title": "B", "Owner": "x"}])
    # The failed change left no column behind: the same field can be added once it fits.
    env.add_field("Project", field("Owner", "Text"))
    env.create("Project", [{"Title": "B", "Owner": "x"}])


def test_add_required_field_with_default_fills_existing_records(env):
    project_entity(env, {"Title": "A"}, {"Title": "B"})
    env.add_field("Project", field("Priority", "Integer", required=True, default=3))
    assert [r["Priority"] for r in env.query(Query("Project"))] == [3, 3]
    rid = env.create("Project", [{"Title": "C"}]).record_ids[0]
    assert env.get("Project", rid)["Priority"] == 3
    with pytest.raises(RecordValidationError, match="required"):
        env.update("Project", [{"RecordId": rid, "Priority": None}])


def test_add_required_field_to_empty_entity(env):
    project_entity(env)
    env.add_field("Project", field("Owner", "Text", required=True))
    with pytest.raises(RecordValidationError) as caught:
        env.create("Project", [{"Title": "A"}])
    assert [(e.field, e.code) for e in caught.value.errors] == [("Owner", "Required")]


def test_add_required_field_to_standard_entity_fails(env):
    with pytest.raises(SchemaChangeError, match="standard entity"):
        env.add_field("Account", field("Tier", "Text", required=True, default="x"))


def test_add_field_that_exists(env):
    with pytest.raises(AlreadyExistsError):
        env.add_field("Account", field("fullname", "Text"))


# -- changing fields --------------------------------------------------------------------


def test_widen_integer_to_number_keeps_values(env):
    project_entity(env, {"Title": "A", "Budget": 100}, {"Title": "B"})
    env.change_field("Project", field("Budget", "Number", decimals=2))
    assert [r["Budget"] for r in env.query(Query("Project"))] == [Decimal(100), None]
    env.update("Project", [{"RecordId": 2, "Budget": "12.25"}])
    assert env.get("Project", 2)["Budget"] == Decimal("12.25")
    assert env.count(Query("Project", where=F.Budget > 50)) == 1


def test_widen_text_length(env):
    project_entity(env, {"Title": "A", "Code": "ABC"})
    with pytest.raises(RecordValidationError):
        env.update("Project", [{"RecordId": 1, "Code": "x" * 30}])
    env.change_field("Project", field("Code", "Text", max_length=40))
    env.update("Project", [{"RecordId": 1, "Code": "x" * 30}])
    assert env.get("Project", 1)["Code"] == "x" * 30


def test_narrow_text_length_that_the_data_does_not_fit_fails_naming_the_record(env):
    ids = project_entity(
        env, {"Title": "A", "Code": "SHORT"}, {"Title": "B", "Code": "A-LONG-CODE"}
    )
    with pytest.raises(SchemaChangeError) as caught:
        env.change_field("Project", field("Code", "Text", max_length=6))
    assert f"record {ids[1]}" in str(caught.value)
    assert "Code" in str(caught.value)
    assert env.model.entity("Project").field_or_none("Code").max_length == 20
    env.update("Project", [{"RecordId": ids[0], "Code": "x" * 20}])  # the old limit still holds


def test_narrow_text_length_that_the_data_fits(env):
    project_entity(env, {"Title": "A", "Code": "SHORT"})
    env.change_field("Project", field("Code", "Text", max_length=6))
    with pytest.raises(RecordValidationError, match="maximum length of 6"):
        env.update("Project", [{"RecordId": 1, "Code": "SEVENXX"}])
    assert env.get("Project", 1)["Code"] == "SHORT"


def test_integer_to_text_conversion(env):
    project_entity(env, {"Title": "A", "Budget": 42}, {"Title": "B", "Budget": -7}, {"Title": "C"})
    env.change_field("Project", field("Budget", "Text", max_length=10))
    assert [r["Budget"] for r in env.query(Query("Project"))] == ["42", "-7", None]
    env.update("Project", [{"RecordId": 3, "Budget": "n/a"}])
    assert env.count(Query("Project", where=F.Budget == "42")) == 1


def test_other_conversions_that_fit(env):
    project_entity(env, {"Title": "A", "Started": "2024-02-29", "Ratio": "0.5", "Active": True})
    env.change_field("Project", field("Started", "DateTime"))
    env.change_field("Project", field("Ratio", "Text"))
    env.change_field("Project", field("Active", "Text"))
    stored = env.get("Project", 1)
    assert stored["Started"] == datetime(2024, 2, 29, tzinfo=UTC)
    assert stored["Ratio"] == "0.50"
    assert stored["Active"] == "True"


def test_text_to_integer_that_does_not_fit_fails_naming_the_record(env):
    ids = project_entity(env, {"Title": "A", "Code": "12"}, {"Title": "B", "Code": "twelve"})
    with pytest.raises(SchemaChangeError, match=f"record {ids[1]}"):
        env.change_field("Project", field("Code", "Integer"))
    assert env.get("Project", ids[0])["Code"] == "12"
    env.update("Project", [{"RecordId": ids[1], "Code": "13"}])
    env.change_field("Project", field("Code", "Integer"))
    assert [r["Code"] for r in env.query(Query("Project"))] == [12, 13]


def test_number_to_integer_with_fractions_fails(env):
    project_entity(env, {"Title": "A", "Ratio": "2.5"})
    with pytest.raises(SchemaChangeError, match="record 1"):
        env.change_field("Project", field("Ratio", "Integer"))
    assert env.get("Project", 1)["Ratio"] == Decimal("2.5")


def test_change_that_is_not_a_widening(env):
    project_entity(env, {"Title": "A", "Started": date(2020, 1, 1)})
    with pytest.raises(SchemaChangeError, match="cannot change"):
        env.change_field("Project", field("Started", "Boolean"))
    with pytest.raises(SchemaChangeError, match="compound"):
        env.change_field("Project", field("Code", "Address"))


def test_make_field_required_when_records_lack_it(env):
    project_entity(env, {"Title": "A", "Code": "X"}, {"Title": "B"})
    with pytest.raises(SchemaChangeError, match="record 2 has no value"):
        env.change_field("Project", field("Code", "Text", max_length=20, required=True))
    env.update("Project", [{"RecordId": 2, "Code": "Y"}])
    env.change_field("Project", field("Code", "Text", max_length=20, required=True))
    assert env.model.entity("Project").field_or_none("Code").required


def test_standard_field_cannot_change(env):
    with pytest.raises(SchemaChangeError, match="standard field"):
        env.change_field("Account", field("FullName", "Text", max_length=200))


def test_custom_field_of_standard_entity_can_change(env):
    env.add_field("Account", field("Tier", "Integer"))
    rid = env.create("Account", [account("A", Tier=2)]).record_ids[0]
    env.change_field("Account", field("Tier", "Number"))
    assert env.get("Account", rid)["Tier"] == Decimal(2)


def test_change_of_missing_field(env):
    with pytest.raises(NotFoundError):
        env.change_field("Account", field("Nope", "Text"))


# -- picklists --------------------------------------------------------------------------


def test_custom_picklist_in_a_new_field(env):
    created = env.create_picklist(Picklist(name="Tier", items=("Bronze", "Silver", "Gold")))
    assert created.standard is False
    env.add_field("Account", field("Tier", "Picklist", picklist="Tier"))
    rid = env.create("Account", [account("A", Tier="gold")]).record_ids[0]
    assert env.get("Account", rid)["Tier"] == "Gold"
    with pytest.raises(RecordValidationError, match="picklist Tier"):
        env.create("Account", [account("B", Tier="Platinum")])


def test_picklist_name_must_be_new(env):
    env.create_picklist(Picklist(name="Tier", items=("A",)))
    with pytest.raises(AlreadyExistsError):
        env.create_picklist(Picklist(name="tier", items=("B",)))
    with pytest.raises(AlreadyExistsError):
        env.create_picklist(Picklist(name="AccountStatus", items=("B",)))
    assert [i.name for i in env.model.picklist("Tier").items] == ["A"]


def test_field_with_an_unknown_picklist(env):
    with pytest.raises(DefinitionError, match="Nope"):
        env.add_field("Account", field("Tier", "Picklist", picklist="Nope"))


# -- persistence ------------------------------------------------------------------------


def test_schema_changes_are_stored_with_the_environment(env, more_envs):
    env.create_picklist(Picklist(name="Tier", items=("Bronze", "Gold")))
    project_entity(env, {"Title": "A", "Budget": 7})
    env.add_field("Project", field("Tier", "Picklist", picklist="Tier"))
    env.change_field("Project", field("Budget", "Text"))
    env.add_field("Account", field("Nickname", "Text"))

    reopened = more_envs().open(env.name)
    project = reopened.model.entity("Project")
    assert project.primary_name == "Title"
    assert project.field_or_none("Budget").type.value == "Text"
    assert project.field_or_none("Tier").picklist == "Tier"
    assert reopened.model.entity("Account").field_or_none("Nickname").custom
    assert reopened.get("Project", 1)["Budget"] == "7"
    reopened.update("Project", [{"RecordId": 1, "Tier": "gold"}])
    assert reopened.get("Project", 1)["Tier"] == "Gold"


def test_a_default_no_record_could_hold_is_refused(env):
    project_entity(env)
    with pytest.raises(SchemaChangeError, match=r"Project.Priority: default value"):
        env.add_field("Project", field("Priority", "Integer", default="abc"))
    env.add_field("Project", field("Priority", "Integer", default=3))
    with pytest.raises(SchemaChangeError, match=r"Project.Priority: default value"):
        env.change_field("Project", field("Priority", "Integer", default="high"))
    assert env.create("Project", [{"Title": "A"}]).inserted == 1


def test_field_groups_are_chosen_from_the_entity_s_fields(env):
    project_entity(env)
    env.add_field("Project", field("Priority", "Integer"))
    changed = env.set_field_group("Project", "DefaultList", ["priority", "Title"])
    assert changed.field_groups["DefaultList"] == ("Priority", "Title")
    assert env.model.entity("Project").field_groups["DefaultList"] == ("Priority", "Title")
    with pytest.raises(DefinitionError, match="new groups cannot be created"):
        env.set_field_group("Project", "Favourites", ["Title"])
    with pytest.raises(NotFoundError):
        env.set_field_group("Project", "DefaultCard", ["Nope"])
    assert "DefaultList" not in env.set_field_group("Project", "DefaultList", []).field_groups


def test_a_refused_field_change_leaves_the_environment_writable(env):
    """The refusal is kept (a page shows it), and the schema changes and writes that follow
    still get the write lock: the refused check left no statement running on a connection."""
    env.create_entity(
        Entity.model_validate(
            {
                "name": "Sprocket",
                "fields": {
                    "Label": {"type": "Text", "max_length": 20},
                    "Teeth": {"type": "Integer"},
                },
            }
        )
    )
    env.create("Sprocket", [{"Label": "long label", "Teeth": 12}, {"Label": "ab"}, {"Label": "c"}])
    label = env.model.entity("Sprocket").field_or_none("Label")
    assert label is not None
    with pytest.raises(SchemaChangeError, match="record 1") as refused:
        env.change_field("Sprocket", label.model_copy(update={"max_length": 4}))
    env.change_field("Sprocket", label.model_copy(update={"max_length": 10}))
    env.change_field("Sprocket", Field.model_validate({"name": "Teeth", "type": "Number"}))
    env.create("Sprocket", [{"Label": "after", "Teeth": 1.5}])
    assert refused.value is not None
    assert env.count(Query("Sprocket")) == 4
