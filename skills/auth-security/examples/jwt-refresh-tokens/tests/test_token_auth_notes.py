"""The protected resource: notes you own. Plus the error contract of every endpoint."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from token_auth.db import Note, User

INJECTIONS = ["' OR '1'='1", '"; DROP TABLE notes;--', "%", "_", "1 OR 1=1", "1; --"]


@pytest.fixture
def alice(client) -> dict[str, str]:
    client.register("alice")
    return client.bearer(client.tokens_for("alice")["access_token"])


@pytest.fixture
def bob(client) -> dict[str, str]:
    client.register("bob")
    return client.bearer(client.tokens_for("bob")["access_token"])


def test_notes_crud(client, alice, clock):
    created = client.post("/notes", json={"title": "Groceries", "body": "milk"}, headers=alice)
    assert created.status_code == 201
    note = created.json()
    path = f"/notes/{note['id']}"

    assert client.get(path, headers=alice).json() == note
    clock.advance(10)
    updated = client.patch(path, json={"body": "oat milk"}, headers=alice).json()
    assert updated["title"] == "Groceries" and updated["body"] == "oat milk"
    assert updated["updated_at"] == note["updated_at"] + 10
    listing = client.get("/notes", headers=alice).json()
    assert [n["id"] for n in listing["data"]] == [note["id"]]
    assert listing["pagination"] == {"next_cursor": None, "has_more": False}

    assert client.delete(path, headers=alice).status_code == 204
    client.problem(client.get(path, headers=alice), 404)


@pytest.mark.parametrize("field", ["title", "body"])
def test_a_null_title_or_body_is_422_not_silently_ignored(client, alice, field):
    """Neither column can be NULL; dropping the null would answer 200 for a change not made."""
    note = client.post("/notes", json={"title": "Groceries", "body": "milk"}, headers=alice).json()
    path = f"/notes/{note['id']}"
    changes = {"title": "Renamed", "body": "oat milk", field: None}  # one bad field in two
    response = client.patch(path, json=changes, headers=alice)
    assert client.problem(response, 422)["errors"] == [
        {"loc": ["body", field], "msg": "Input should be a valid string"}
    ]
    assert client.get(path, headers=alice).json() == note


def test_patch_changes_only_the_fields_sent_and_an_empty_body_clears_it(client, alice):
    note = client.post("/notes", json={"title": "Groceries", "body": "milk"}, headers=alice).json()
    path = f"/notes/{note['id']}"
    renamed = client.patch(path, json={"title": "Shopping"}, headers=alice).json()
    assert (renamed["title"], renamed["body"]) == ("Shopping", "milk")
    emptied = client.patch(path, json={"body": ""}, headers=alice).json()
    assert (emptied["title"], emptied["body"]) == ("Shopping", "")


def test_another_users_note_does_not_exist_for_you(client, alice, bob):
    secret = client.post("/notes", json={"title": "bob's diary", "body": "x"}, headers=bob).json()
    path = f"/notes/{secret['id']}"

    read = client.get(path, headers=alice)
    missing = client.get("/notes/999999", headers=alice)
    assert client.problem(read, 404)["detail"] == client.problem(missing, 404)["detail"]
    client.problem(client.patch(path, json={"title": "pwned"}, headers=alice), 404)
    client.problem(client.delete(path, headers=alice), 404)
    assert client.get("/notes", headers=alice).json()["data"] == []
    assert client.get(path, headers=bob).json()["title"] == "bob's diary"


def test_search_treats_like_wildcards_literally(client, alice):
    for title in ("100% cotton", "snake_case", "plain"):
        client.post("/notes", json={"title": title}, headers=alice)

    def titles(contains: str) -> list[str]:
        found = client.get("/notes", params={"contains": contains}, headers=alice).json()
        return [note["title"] for note in found["data"]]

    assert titles("%") == ["100% cotton"]
    assert titles("_") == ["snake_case"]
    assert titles("a") == ["snake_case", "plain"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_payloads_are_data(client, alice, bob, app, payload):
    client.post("/notes", json={"title": "bob-label", "body": "bob-label"}, headers=bob)
    created = client.post("/notes", json={"title": payload, "body": payload}, headers=alice)
    assert created.status_code == 201 and created.json()["title"] == payload

    responses = [
        client.get("/notes", params={"contains": payload}, headers=alice),
        client.get("/notes", params={"cursor": payload}, headers=alice),
        client.get("/sessions", params={"cursor": payload}, headers=alice),
        client.get(f"/notes/{payload}", headers=alice),
        client.patch(f"/notes/{payload}", json={"title": "x"}, headers=alice),
        client.delete(f"/sessions/{payload}", headers=alice),
        client.post("/auth/login", json={"username": payload, "password": payload}),
        client.post("/auth/refresh", json={"refresh_token": payload}),
        client.post("/users", json={"username": payload, "password": payload * 12}),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        assert "bob-label" not in response.text
    assert [n["title"] for n in responses[0].json()["data"]] == [payload]
    client.problem(responses[1], 400)  # a cursor is opaque: anything made up is refused
    client.problem(responses[2], 400)
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 2
        assert session.scalar(select(func.count()).select_from(Note)) == 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/notes", {"title": "t", "owner_id": 2}),
        ("PATCH", "/notes/1", {"owner_id": 2}),
        ("POST", "/auth/login", {"username": "alice", "password": "p", "scope": "admin"}),
        ("POST", "/auth/refresh", {"refresh_token": "rt_x", "user_id": 1}),
    ],
)
def test_unknown_fields_are_422(client, alice, method, path, body):
    client.post("/notes", json={"title": "first"}, headers=alice)
    response = client.request(method, path, json=body, headers=alice)
    errors = client.problem(response, 422)["errors"]
    assert all(error["msg"] == "Extra inputs are not permitted" for error in errors)


def test_wrong_types_and_limits_are_422_with_field_locations(client, alice):
    response = client.post("/notes", json={"title": "", "body": 7}, headers=alice)
    locations = [error["loc"] for error in client.problem(response, 422)["errors"]]
    assert locations == [["body", "title"], ["body", "body"]]
    client.problem(client.get("/notes/0", headers=alice), 422)
    client.problem(client.get(f"/notes/{2**63}", headers=alice), 422)


def test_bodies_over_the_limit_are_413_declared_or_streamed(client, alice, settings):
    declared = client.post(
        "/notes",
        content=b'{"title": "' + b"x" * settings.max_body_bytes + b'"}',
        headers={**alice, "content-type": "application/json"},
    )
    client.problem(declared, 413)

    def chunks():
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    streamed = client.post(
        "/notes", content=chunks(), headers={**alice, "content-type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    client.problem(streamed, 413)


def test_routing_errors_and_crashes_are_problems(serve, app: FastAPI, alice):
    def explode() -> None:
        raise RuntimeError("signing key is in /etc/secret")

    app.add_api_route("/explode", explode)
    client = serve(app)
    client.problem(client.get("/nowhere"), 404)
    wrong_method = client.put("/notes", headers=alice)
    client.problem(wrong_method, 405)
    # every method of the resource, not just those of the first matching route
    assert wrong_method.headers["allow"] == "GET, POST"
    allow_item = client.put("/notes/1", headers=alice).headers["allow"]
    assert allow_item == "GET, PATCH, DELETE"
    not_utf8 = client.post(
        "/notes", content=b"\xff\xfe{", headers={**alice, "content-type": "application/json"}
    )
    client.problem(not_utf8, 400)
    odd_path = client.get("/notes/%22%25%20x", headers=alice)
    assert client.problem(odd_path, 422)["instance"] == "/notes/%22%25%20x"
    crash = client.get("/explode")
    assert client.problem(crash, 500)["detail"] == "An unexpected error occurred."
    assert "/etc/secret" not in crash.text


def test_openapi_declares_bearer_security_where_it_is_required(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    protected = [
        ("/notes", "get"),
        ("/notes", "post"),
        ("/notes/{note_id}", "get"),
        ("/notes/{note_id}", "patch"),
        ("/notes/{note_id}", "delete"),
        ("/sessions", "get"),
        ("/sessions/{session_id}", "delete"),
    ]
    for path, method in protected:
        assert spec["paths"][path][method]["security"] == [{"HTTPBearer": []}], (path, method)
    for path in ("/auth/login", "/auth/refresh", "/auth/logout", "/users"):
        assert "security" not in spec["paths"][path]["post"]


def test_openapi_names_every_operation_and_pages_every_list(client):
    spec = client.get("/openapi.json").json()
    operation_ids = {
        (method.upper(), path): operation["operationId"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert operation_ids == {
        ("POST", "/users"): "createUser",
        ("POST", "/auth/login"): "login",
        ("POST", "/auth/refresh"): "refreshTokens",
        ("POST", "/auth/logout"): "logout",
        ("GET", "/.well-known/jwks.json"): "getJwks",
        ("GET", "/sessions"): "listSessions",
        ("DELETE", "/sessions/{session_id}"): "revokeSession",
        ("POST", "/notes"): "createNote",
        ("GET", "/notes"): "listNotes",
        ("GET", "/notes/{note_id}"): "getNote",
        ("PATCH", "/notes/{note_id}"): "updateNote",
        ("DELETE", "/notes/{note_id}"): "deleteNote",
    }
    for path in ("/notes", "/sessions"):
        operation = spec["paths"][path]["get"]
        query = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
        assert (query["limit"]["minimum"], query["limit"]["maximum"]) == (1, 100)
        assert query["limit"]["default"] == 20
        assert "cursor" in query
        bad_cursor = operation["responses"]["400"]["content"]
        assert list(bad_cursor) == ["application/problem+json"]
