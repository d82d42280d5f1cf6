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
    assert {"listTasks", "createTask", "getTaskV1", "getTaskV2", "logIn"} <= set(ids)


async def test_bearer_security_on_protected_operations(document) -> None:
    # Plain HTTP bearer, not an OAuth flow: the tokens come from this API's own login.
    schemes = document["components"]["securitySchemes"]
    assert list(schemes) == ["bearerAuth"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /v1/login: Authorization: Bearer <token>",
    }
    public = {"createUser", "logIn"}
    for path, method, operation in operations(document):
        protected = operation["operationId"] not in public
        assert ("security" in operation) is protected, (method, path)
        if protected:
            assert operation["security"] == [{"bearerAuth": []}]
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


async def test_login_documents_its_json_body_and_points_away_from_oauth(document) -> None:
    operation = document["paths"]["/v1/login"]["post"]
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    login_in = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert login_in["required"] == ["username", "password"]
    assert login_in["additionalProperties"] is False
    assert "401" in operation["responses"] and "429" in operation["responses"]
    assert "/v1/token" not in document["paths"]
    assert "not OAuth" in operation["description"]
    assert "examples/oauth2-pkce" in operation["description"]
