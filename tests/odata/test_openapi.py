"""The OpenAPI document: valid OpenAPI 3.0, and describing what the service accepts and returns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openapi_schema_validator
import pytest
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate

from commonground.model import DataModel
from commonground.model.entity import SYSTEM_FIELD_NAMES
from commonground.odata.openapi import openapi_document
from tests.odata.metadata_models import custom_model, minimal_model, standard

ROOT = "http://127.0.0.1:8765/environments/demo/api/data/v1/"
COLLECTION_OPTIONS = {"$filter", "$select", "$orderby", "$top", "$skip", "$count", "$expand"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(standard(), service_root=ROOT)


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        target: Any = document
        for part in parts:
            target = target[part]
        node = target
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def parameter_names(document: dict[str, Any], path: str, method: str) -> set[str]:
    item = document["paths"][path]
    listed = [*item.get("parameters", []), *item[method].get("parameters", [])]
    return {resolve(document, p)["name"] for p in listed}


def check(document: dict[str, Any], schema_name: str, instance: Any) -> None:
    """Validate an instance against a component schema, as an OpenAPI 3.0 validator does."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    openapi_schema_validator.validate(instance, schema, cls=openapi_schema_validator.OAS30Validator)


# -- validity -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [standard, custom_model, minimal_model])
def test_document_is_valid_openapi(make: Any) -> None:
    model: DataModel = make()
    document = openapi_document(model, service_root=ROOT)
    validate(document)
    assert document["openapi"].startswith("3.0")
    json.dumps(document)  # plain JSON data


def test_every_reference_resolves_and_operation_ids_are_unique(document: dict[str, Any]) -> None:
    for ref in refs(document):
        assert resolve(document, {"$ref": ref})
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_deterministic() -> None:
    assert json.dumps(openapi_document(custom_model())) == json.dumps(
        openapi_document(custom_model(reverse=True))
    )


def test_server_is_the_service_root(document: dict[str, Any]) -> None:
    assert document["servers"] == [{"url": ROOT.rstrip("/")}]
    assert "servers" not in openapi_document(minimal_model())


# -- paths ----------------------------------------------------------------------------------


def test_collection_operations(document: dict[str, Any]) -> None:
    accounts = document["paths"]["/Accounts"]
    assert set(accounts) == {"get", "post"}
    assert parameter_names(document, "/Accounts", "get") >= COLLECTION_OPTIONS | {"Prefer"}
    get = accounts["get"]
    page = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["value"]["items"] == {
        "$ref": "#/components/schemas/CommonGround.Account"
    }
    assert {"@odata.nextLink", "@odata.deltaLink", "@odata.count"} <= set(page["properties"])
    post = accounts["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CommonGround.Account-create"}
    assert {"201", "204", "409", "413", "415"} <= set(post["responses"])
    assert "/Accounts/$count" in document["paths"]


def test_select_orderby_and_expand_list_the_entity_properties(document: dict[str, Any]) -> None:
    parameters = {p.get("name"): p for p in document["paths"]["/SalesOrders"]["get"]["parameters"]}
    select = parameters["$select"]["schema"]["items"]["enum"]
    assert select[:6] == ["RecordId", "CreatedByUser", "CreatedOnDateTime", "LastModifiedByUser",
                          "LastModifiedDateTime", "VersionNumber"]  # fmt: skip
    assert "_Account_value" in select
    assert "Account" not in select
    orderby = parameters["$orderby"]["schema"]["items"]["enum"]
    assert {"RecordId", "RecordId desc"} <= set(orderby)
    expand = parameters["$expand"]["schema"]["items"]["enum"]
    assert {"Account", "SalesOrderLines", "SalesInvoices"} <= set(expand)
    assert parameters["$select"]["style"] == "form"
    assert parameters["$select"]["explode"] is False


def test_item_operations_by_record_id(document: dict[str, Any]) -> None:
    path = "/Accounts({RecordId})"
    item = document["paths"][path]
    assert set(item) == {"parameters", "get", "patch", "delete"}
    assert item["parameters"][0]["schema"]["format"] == "int64"
    assert "If-None-Match" in parameter_names(document, path, "get")
    assert {"If-Match", "If-None-Match", "Prefer"} <= parameter_names(document, path, "patch")
    assert "If-Match" in parameter_names(document, path, "delete")
    assert {"200", "304", "404"} <= set(item["get"]["responses"])
    assert {"200", "204", "404", "412"} <= set(item["patch"]["responses"])
    assert {"204", "404", "412"} <= set(item["delete"]["responses"])
    etag = item["get"]["responses"]["200"]["headers"]["ETag"]
    assert resolve(document, etag)["schema"] == {"type": "string"}


def test_alternate_key_paths(document: dict[str, Any]) -> None:
    paths = document["paths"]
    by_number = paths["/Accounts(AccountId='{AccountId}')"]
    assert by_number["parameters"] == [
        {
            "name": "AccountId",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "maxLength": 64},
        }
    ]
    assert by_number["patch"]["operationId"] == "upsertAccountByAccountId"
    assert "201" in by_number["patch"]["responses"]
    line = paths["/SalesOrderLines(_SalesOrder_value={_SalesOrder_value},Sequence={Sequence})"]
    assert [p["name"] for p in line["parameters"]] == ["_SalesOrder_value", "Sequence"]
    assert line["parameters"][1]["schema"]["format"] == "int32"
    conversion = (
        "/UnitOfMeasureConversions(FromUnitOfMeasure=CommonGround.UnitOfMeasure'{FromUnitOfMeasure}',"
        "ToUnitOfMeasure=CommonGround.UnitOfMeasure'{ToUnitOfMeasure}')"
    )
    assert paths[conversion]["parameters"][0]["schema"] == {
        "$ref": "#/components/schemas/CommonGround.UnitOfMeasure"
    }


def test_service_paths(document: dict[str, Any]) -> None:
    paths = document["paths"]
    batch = paths["/$batch"]["post"]
    assert set(batch["requestBody"]["content"]) == {"multipart/mixed", "application/json"}
    requests = batch["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "requests"
    ]
    assert requests["maxItems"] == 1000
    assert {"413", "415"} <= set(batch["responses"])
    assert "application/xml" in paths["/$metadata"]["get"]["responses"]["200"]["content"]
    assert "/" in paths


def test_every_operation_documents_the_common_errors(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert {"400", "401", "403", "429", "default"} <= set(responses), (path, method)
        for status, response in responses.items():
            if status >= "400":
                content = resolve(document, response)["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/odata.error"}


def test_error_responses(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    too_many = responses["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]
    for name in ("BadRequest", "NotFound", "Conflict", "PreconditionFailed", "PayloadTooLarge",
                 "UnsupportedMediaType", "Unauthorized", "Forbidden"):  # fmt: skip
        assert name in responses
    check(document, "odata.error", {"error": {"code": "InvalidQuery", "message": "bad"}})
    check(
        document,
        "odata.error",
        {
            "error": {
                "code": "Invalid",
                "message": "bad",
                "details": [{"code": "Required", "target": "Name", "message": "x", "index": 0}],
                "innererror": {"trace": "..."},
            }
        },
    )
    with pytest.raises(ValidationError):
        check(document, "odata.error", {"error": {"message": "no code"}})


# -- schemas --------------------------------------------------------------------------------


def test_read_schema_accepts_a_record_and_rejects_bad_values(document: dict[str, Any]) -> None:
    record = {
        "@odata.etag": 'W/"7"',
        "RecordId": 1,
        "VersionNumber": 7,
        "CreatedOnDateTime": "2024-05-01T10:00:00Z",
        "FullName": "Contoso",
        "Status": "Active",
        "Gender": None,
        "EmployeeCount": 12,
        "CreditLimitAmount": {"Amount": 1000.5, "CurrencyCode": None},
        "MailingPostalAddress": {"City": "Oslo", "Line1": None},
        "_ParentAccount_value": None,
        "ParentAccount": {"RecordId": 2, "FullName": "Parent", "Status": "Inactive"},
        "Accounts": [],
    }
    check(document, "CommonGround.Account", record)
    check(document, "CommonGround.Account", {**record, "CreditLimitAmount": {"Amount": "1000.5"}})
    for bad in (
        {"Status": "Nope"},
        {"Status": None},
        {"FullName": "x" * 129},
        {"EmployeeCount": 2**31},
        {"CreditLimitAmount": {"Amount": "ten"}},
        {"ParentAccount": {"Status": 3}},
    ):
        with pytest.raises(ValidationError):
            check(document, "CommonGround.Account", {**record, **bad})


def test_read_schema_marks_computed_properties(document: dict[str, Any]) -> None:
    props = document["components"]["schemas"]["CommonGround.Account"]["properties"]
    for name in SYSTEM_FIELD_NAMES:
        assert props[name].get("readOnly") is True, name
    assert "readOnly" not in props["FullName"]
    assert props["Accounts"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/CommonGround.Account"},
    }


def test_create_schema(document: dict[str, Any]) -> None:
    create = document["components"]["schemas"]["CommonGround.Account-create"]
    props = create["properties"]
    assert not SYSTEM_FIELD_NAMES & set(props)
    assert {"ParentAccount@odata.bind", "_ParentAccount_value", "AccountId"} <= set(props)
    assert create["additionalProperties"] is False
    assert set(create["required"]) == {
        "Status",
        "PartyType",
        "Source",
        "IsEmailContactAllowed",
        "IsPhoneContactAllowed",
    }
    assert "pattern" in props["EmailPrimary"]
    check(document, "CommonGround.Account-create", {
        "FullName": "Contoso", "Status": "Active", "PartyType": "Organization", "Source": "Attract",
        "IsEmailContactAllowed": True, "IsPhoneContactAllowed": False,
        "ParentAccount@odata.bind": "Accounts(1)", "EmailPrimary": "a@b.c",
    })  # fmt: skip
    with pytest.raises(ValidationError):
        check(document, "CommonGround.Account-create", {"RecordId": 5})
    with pytest.raises(ValidationError):
        check(document, "CommonGround.Account-create", {"FullName": "x"})  # required missing


def test_create_schema_deep_inserts_composition_lines(document: dict[str, Any]) -> None:
    order = document["components"]["schemas"]["CommonGround.SalesOrder-create"]["properties"]
    assert order["SalesOrderLines"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/CommonGround.SalesOrderLine-create"},
    }
    assert "SalesInvoices" not in order, "associations are not deep-inserted"
    update = document["components"]["schemas"]["CommonGround.SalesOrder-update"]
    assert "required" not in update
    assert "SalesOrderLines" not in update["properties"]


def test_enum_and_complex_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    status = schemas["CommonGround.AccountStatus"]
    assert status["type"] == "string"
    assert status["enum"] == ["Active", "Inactive"]
    address = schemas["CommonGround.Address"]
    assert list(address["properties"]) == [
        "Line1", "Line2", "City", "StateOrProvince", "PostalCode", "CountryRegion",
    ]  # fmt: skip
    assert address["properties"]["PostalCode"] == {
        "type": "string",
        "maxLength": 32,
        "nullable": True,
    }
    currency = schemas["CommonGround.Currency"]["properties"]
    assert currency["CurrencyCode"]["anyOf"][0] == {
        "$ref": "#/components/schemas/CommonGround.CurrencyCode"
    }


EXPECTED_CUSTOM_WRITE = {
    "Label": {"type": "string", "maxLength": 40},
    "Count": {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1,
              "nullable": True},
    "Active": {"type": "boolean", "nullable": True},
    "Born": {"type": "string", "format": "date", "nullable": True},
    "Seen": {"type": "string", "format": "date-time", "nullable": True},
    "Token": {"type": "string", "format": "uuid", "nullable": True},
    "_Bin_value": {"type": "integer", "format": "int64"},
    "Owner": {"$ref": "#/components/schemas/CommonGround.PersonName"},
}  # fmt: skip


def test_custom_entity_with_every_field_type() -> None:
    document = openapi_document(custom_model())
    schemas = document["components"]["schemas"]
    create = schemas["CommonGround.Gadget-create"]
    props = create["properties"]
    for name, expected in EXPECTED_CUSTOM_WRITE.items():
        assert props[name] == expected, name
    assert set(create["required"]) == {"Label", "Owner"}  # Code is an AutoNumber, Bin a lookup
    weight = props["Weight"]["anyOf"]
    assert weight[1]["pattern"] == r"^-?[0-9]{1,30}(\.[0-9]{1,2})?$"
    assert weight[2] == {"nullable": True, "enum": [None]}
    assert props["Color"]["anyOf"][0] == {"$ref": "#/components/schemas/CommonGround.Color"}
    assert props["Site"]["pattern"].startswith("^")
    assert "Bin@odata.bind" in props
    check(document, "CommonGround.Gadget-create", {"Label": "g", "Owner": {"GivenName": "Ann"}})
    check(document, "CommonGround.Gadget-create", {"Label": "g", "Owner": {}, "Weight": 1.25})
    with pytest.raises(ValidationError):
        check(document, "CommonGround.Gadget-create", {"Label": "g", "Owner": {}, "Mail": "nope"})
    assert schemas["CommonGround.Unused"]["enum"] == ["Big"]
    assert "/Gadgets(_Bin_value={_Bin_value},Label='{Label}')" in document["paths"]
    assert "/Gadgets(Code='{Code}')" in document["paths"]
    bin_create = schemas["CommonGround.Bin-create"]["properties"]
    assert bin_create["Gadgets"]["items"] == {
        "$ref": "#/components/schemas/CommonGround.Gadget-create"
    }
