"""Register, log in, read and change your own profile; the error contract of every endpoint."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from password_login.settings import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS


def test_register_returns_the_profile_and_never_the_hash(client, password):
    response = client.post(
        "/users",
        json={
            "username": "alice",
            "email": "Alice@Example.org",
            "password": password,
            "display_name": "Alice",
        },
    )
    assert response.status_code == 201
    # email-validator normalizes the domain part to lower case
    assert response.json() == {
        "username": "alice",
        "email": "Alice@example.org",
        "display_name": "Alice",
    }
    assert "argon2" not in response.text


def test_a_taken_username_or_email_is_409(client, password):
    client.register("alice")
    again = client.post(
        "/users", json={"username": "alice", "email": "new@example.org", "password": password}
    )
    client.problem(again, 409)
    same_email = client.post(
        "/users", json={"username": "alice2", "email": "alice@example.org", "password": password}
    )
    client.problem(same_email, 409)


def test_login_issues_a_short_lived_bearer_token_that_is_not_cached(client):
    client.register("alice")
    response = client.login("alice")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert response.headers["cache-control"] == "no-store"
    me = client.get("/users/alice", headers=client.bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "alice"


def test_wrong_password_and_unknown_user_get_the_identical_answer(client):
    client.register("alice")
    wrong_password = client.login("alice", "definitely not it")
    unknown_user = client.login("mallory", "definitely not it")

    client.problem(wrong_password, 401)
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.headers["www-authenticate"] == unknown_user.headers["www-authenticate"]
    assert wrong_password.json()["detail"] == "Invalid username or password."


@pytest.mark.parametrize(
    ("length", "status"),
    [
        (PASSWORD_MIN_CHARS - 1, 422),
        (PASSWORD_MIN_CHARS, 201),
        (PASSWORD_MAX_CHARS, 201),
        (PASSWORD_MAX_CHARS + 1, 422),
    ],
)
def test_password_length_limits_at_registration(client, length, status):
    password = "p" * length
    response = client.post(
        "/users", json={"username": "alice", "email": "alice@example.org", "password": password}
    )
    assert response.status_code == status, response.text
    if status == 422:
        assert client.problem(response, 422)["errors"][0]["loc"] == ["body", "password"]
        assert password not in response.text  # errors never echo the input


def test_an_over_long_password_is_refused_before_any_hashing(client):
    response = client.login("alice", "x" * (PASSWORD_MAX_CHARS + 1))
    body = client.problem(response, 422)
    assert body["errors"] == [
        {"loc": ["body", "password"], "msg": "String should have at most 1024 characters"}
    ]


def test_an_invalid_email_is_422(client, password):
    response = client.post(
        "/users", json={"username": "alice", "email": "not-an-email", "password": password}
    )
    assert client.problem(response, 422)["errors"][0]["loc"] == ["body", "email"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users", {"username": "alice", "email": "a@example.org"}),
        ("/login", {"username": "alice"}),
    ],
)
def test_unknown_fields_are_422(client, password, path, body):
    response = client.post(path, json={**body, "password": password, "is_admin": True})
    errors = client.problem(response, 422)["errors"]
    assert {"loc": ["body", "is_admin"], "msg": "Extra inputs are not permitted"} in errors


def test_profile_read_and_update(client):
    client.register("alice")
    auth = client.bearer(client.token_for("alice"))
    response = client.patch(
        "/users/alice", json={"display_name": "Alice L.", "email": "al@example.org"}, headers=auth
    )
    assert response.status_code == 200
    assert response.json() == {
        "username": "alice",
        "email": "al@example.org",
        "display_name": "Alice L.",
    }


def test_profile_update_leaves_absent_fields_alone_and_null_clears_display_name(client):
    client.register("alice")
    auth = client.bearer(client.token_for("alice"))
    client.patch("/users/alice", json={"display_name": "Alice L."}, headers=auth)

    absent = client.patch("/users/alice", json={"email": "al@example.org"}, headers=auth)
    assert absent.status_code == 200
    assert absent.json()["display_name"] == "Alice L."  # not in the body: untouched

    cleared = client.patch("/users/alice", json={"display_name": None}, headers=auth)
    assert cleared.status_code == 200
    assert cleared.json() == {"username": "alice", "email": "al@example.org", "display_name": None}
    assert client.get("/users/alice", headers=auth).json()["display_name"] is None


def test_profile_update_with_a_null_email_is_422_and_changes_nothing(client):
    """Every account has an email: null cannot clear it, and it is not silently ignored."""
    client.register("alice")
    auth = client.bearer(client.token_for("alice"))
    response = client.patch(
        "/users/alice", json={"email": None, "display_name": "Mallory"}, headers=auth
    )
    assert client.problem(response, 422)["errors"] == [
        {"loc": ["body", "email"], "msg": "Input should be a valid string"}
    ]
    assert client.get("/users/alice", headers=auth).json() == {
        "username": "alice",
        "email": "alice@example.org",
        "display_name": None,
    }


def test_profile_update_rejects_unknown_fields_like_a_role(client):
    client.register("alice")
    auth = client.bearer(client.token_for("alice"))
    response = client.patch("/users/alice", json={"role": "admin"}, headers=auth)
    client.problem(response, 422)


def test_profile_email_taken_is_409(client):
    client.register("alice")
    client.register("bob")
    auth = client.bearer(client.token_for("alice"))
    response = client.patch("/users/alice", json={"email": "bob@example.org"}, headers=auth)
    client.problem(response, 409)


def test_another_users_profile_is_404_like_a_missing_one(client):
    client.register("alice")
    client.register("bob")
    client.patch(
        "/users/bob",
        json={"display_name": "Bob's secret label"},
        headers=client.bearer(client.token_for("bob")),
    )
    auth = client.bearer(client.token_for("alice"))

    read_other = client.get("/users/bob", headers=auth)
    read_missing = client.get("/users/nobody", headers=auth)
    write_other = client.patch("/users/bob", json={"display_name": "pwned"}, headers=auth)

    assert client.problem(read_other, 404)["detail"] == client.problem(read_missing, 404)["detail"]
    client.problem(write_other, 404)
    assert "secret label" not in read_other.text
    bob = client.get("/users/bob", headers=client.bearer(client.token_for("bob")))
    assert bob.json()["display_name"] == "Bob's secret label"


def test_a_body_over_the_limit_is_413_by_content_length(client, settings):
    response = client.post(
        "/login",
        content=b"{" + b" " * settings.max_body_bytes + b"}",
        headers={"content-type": "application/json"},
    )
    assert client.problem(response, 413)["detail"] == "The request body exceeds 16384 bytes."


def test_a_streamed_body_over_the_limit_is_413_too(client, settings):
    def chunks():  # no Content-Length: httpx sends Transfer-Encoding: chunked
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post("/login", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    client.problem(response, 413)


def test_a_body_at_the_limit_is_accepted(client, settings):
    body = b'{"username": "alice", "password": "x"}'
    padded = body[:-1] + b" " * (settings.max_body_bytes - len(body)) + b"}"
    assert len(padded) == settings.max_body_bytes
    response = client.post("/login", content=padded, headers={"content-type": "application/json"})
    client.problem(response, 401)


def test_unknown_route_wrong_method_and_bad_json_are_problems(client):
    client.problem(client.get("/nowhere"), 404)
    wrong_method = client.delete("/login")
    client.problem(wrong_method, 405)
    assert wrong_method.headers["allow"] == "POST"
    profile_methods = client.delete("/users/alice").headers["allow"]
    assert profile_methods == "GET, PATCH"
    not_utf8 = client.post(
        "/login", content=b"\xff\xfe{", headers={"content-type": "application/json"}
    )
    client.problem(not_utf8, 400)
    # instance is a URI reference: the path percent-encoded as on the wire
    assert client.problem(client.get("/no%20where%25%22"), 404)["instance"] == "/no%20where%25%22"
    bad_json = client.post(
        "/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    client.problem(bad_json, 422)


def test_an_unhandled_error_is_a_500_problem_without_a_trace(serve, app: FastAPI):
    def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/explode", explode)
    response = serve(app).get("/explode")
    body = serve(app).problem(response, 500)
    assert body["detail"] == "An unexpected error occurred."
    assert "hunter2" not in response.text and "RuntimeError" not in response.text


def test_openapi_declares_bearer_security_on_profile_operations_only(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from POST /login.",
    }
    profile = spec["paths"]["/users/{username}"]
    assert profile["get"]["security"] == [{"HTTPBearer": []}]
    assert profile["patch"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/login"]["post"]
    assert "application/problem+json" in profile["get"]["responses"]["401"]["content"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_openapi_names_every_operation_explicitly(client):
    """SDK generators name their methods after operationId: readable, unique, stable."""
    spec = client.get("/openapi.json").json()
    operation_ids = {
        (method.upper(), path): operation["operationId"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert operation_ids == {
        ("POST", "/users"): "createUser",
        ("POST", "/login"): "login",
        ("GET", "/users/{username}"): "getProfile",
        ("PATCH", "/users/{username}"): "updateProfile",
    }
