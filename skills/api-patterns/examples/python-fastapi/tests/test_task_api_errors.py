"""Every failure is an RFC 9457 problem: 404, 405, 413, 422 and 500 included."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "instance"} <= set(body)
    return body


async def test_unknown_route(client) -> None:
    body = assert_problem(await client.get("/v1/nothing-here"), 404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "instance": "/v1/nothing-here",
    }


async def test_wrong_method_lists_every_allowed_method(client, alice) -> None:
    response = await client.patch("/v1/tasks/1", json={}, headers=alice)
    assert_problem(response, 405)
    # Three routes share the path; Allow names the methods of all of them.
    assert response.headers["Allow"] == "DELETE, GET, PUT"
    collection = await client.delete("/v1/tasks", headers=alice)
    assert collection.headers["Allow"] == "GET, POST"


async def test_unknown_fields_are_rejected(client, alice) -> None:
    response = await client.post(
        "/v1/tasks", json={"title": "x", "owner_id": 2, "titel": "typo"}, headers=alice
    )
    body = assert_problem(response, 422)
    assert body["title"] == "Your request is not valid"
    assert sorted(error["loc"][-1] for error in body["errors"]) == ["owner_id", "titel"]
    assert all(error["type"] == "extra_forbidden" for error in body["errors"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 201),
        ("priority", 9),
        ("priority", "3"),  # no silent string-to-int coercion
        ("priority", 3.0),
        ("status", "archived"),
        ("due_on", 0),  # not 1970-01-01
        ("due_on", "tomorrow"),
        ("project_id", 2**63),
        ("title", None),
    ],
)
async def test_invalid_field_values(client, alice, field, value) -> None:
    body = {"title": "ok", field: value}
    response = await client.post("/v1/tasks", json=body, headers=alice)
    problem = assert_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [["body", field]]
    assert all(error["msg"] for error in problem["errors"])


async def test_invalid_json(client, alice) -> None:
    response = await client.post(
        "/v1/tasks",
        content=b'{"title": "unterminated',
        headers={**alice, "content-type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"


async def test_bad_path_parameters(client, alice) -> None:
    for path in [
        "/v1/tasks/abc",
        "/v1/tasks/0",
        "/v1/tasks/1%20OR%201=1",
        "/v1/tasks/99999999999999999999",
    ]:
        body = assert_problem(await client.get(path, headers=alice), 422)
        assert body["errors"][0]["loc"] == ["path", "task_id"]


async def test_body_over_the_limit_by_content_length(client, alice) -> None:
    big = b'{"title": "' + b"x" * 70_000 + b'"}'
    response = await client.post(
        "/v1/tasks", content=big, headers={**alice, "content-type": "application/json"}
    )
    body = assert_problem(response, 413)
    assert body["title"] == "Content Too Large"
    assert "65536" in body["detail"]


async def test_body_over_the_limit_when_streamed(client, alice) -> None:
    # No Content-Length (chunked): the middleware counts the bytes as they arrive.
    async def chunks():
        for _ in range(20):
            yield b"x" * 5_000

    response = await client.post(
        "/v1/tasks", content=chunks(), headers={**alice, "content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_body_limit_also_guards_login(client) -> None:
    response = await client.post(
        "/v1/login",
        content=b'{"username": "' + b"a" * 70_000 + b'", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413)


async def test_body_under_the_limit_passes(client, alice) -> None:
    response = await client.post(
        "/v1/tasks", json={"title": "t", "notes": "n" * 4000}, headers=alice
    )
    assert response.status_code == 201


async def test_unhandled_exception_is_a_500_problem_without_a_trace(
    app, caplog, client_for
) -> None:
    def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/v1/explode", explode, operation_id="explode")
    async with client_for(app, raise_app_exceptions=False) as client:
        response = await client.get("/v1/explode")
    body = assert_problem(response, 500)
    assert body["detail"] == "The server could not complete the request."
    assert "hunter2" not in response.text and "Traceback" not in response.text
    # The details are in the server log, where they belong.
    assert "hunter2" in caplog.text
