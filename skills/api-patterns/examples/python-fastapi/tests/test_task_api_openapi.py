"""The OpenAPI document: operationIds, security, problem+json errors, pagination."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
async def document(client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


async def test_every_operation_has_a_unique_explicit_id(document) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)) == 14
    assert {"listTasks", "createTask", "getTaskV1", "getTaskV2", "issueToken"} <= set(ids)


async def test_bearer_security_on_protected_operations(document) -> None:
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme == {
        "type": "oauth2",
        "flows": {"password": {"scopes": {}, "tokenUrl": "/v1/token"}},
    }
    public = {"createUser", "issueToken"}
    for path, method, operation in operations(document):
        protected = operation["operationId"] not in public
        assert ("security" in operation) is protected, (method, path)
        if protected:
            assert "401" in operation["responses"]


async def test_errors_are_problem_json(document) -> None:
    for path, _, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (path, status)
        assert "429" in operation["responses"] and "500" in operation["responses"]
    schemas = document["components"]["schemas"]
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert "HTTPValidationError" not in schemas  # FastAPI's default 422 shape is not used


async def test_list_operations_declare_both_pagination_styles(document) -> None:
    for path in ("/v1/tasks", "/v1/projects"):
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert {"limit", "cursor", "page", "per_page", "sort"} <= names


async def test_token_endpoint_documents_its_form(document) -> None:
    body = document["paths"]["/v1/token"]["post"]["requestBody"]
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema["required"] == ["grant_type", "username", "password"]
