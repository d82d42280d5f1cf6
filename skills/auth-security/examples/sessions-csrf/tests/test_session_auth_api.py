"""Sign-up and login answers, notes only for their owner, paging, limits, injection, the
error contract and the OpenAPI document."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from session_auth.db import Note, User
from session_auth.settings import CSRF_HEADER, PASSWORD_MAX_CHARS, SESSION_COOKIE
from sqlalchemy import func, select


def count(app, model) -> int:
    with app.state.session_factory() as db:
        return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def alice(browser):
    browser.sign_up("alice")
    browser.sign_in("alice")
    return browser


@pytest.fixture
def bob(serve, app):
    bob = serve(app)
    bob.sign_up("bob")
    bob.sign_in("bob")
    return bob


def add_note(browser, title: str, body: str = "") -> int:
    response = browser.page("POST", "/notes", json={"title": title, "body": body})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_sign_up_answers_the_username_and_never_the_hash(browser, origin, password):
    response = browser.post(
        "/users", json={"username": "alice", "password": password}, headers={"Origin": origin}
    )
    assert response.status_code == 201
    assert response.json() == {"username": "alice"}
    assert "set-cookie" not in response.headers  # signing up is not logging in
    again = browser.post(
        "/users", json={"username": "alice", "password": password}, headers={"Origin": origin}
    )
    browser.problem(again, 409)


def test_sign_up_rules_are_422_and_never_echo_the_password(browser, origin):
    response = browser.post(
        "/users",
        json={"username": "alice", "password": "too-short", "is_admin": True},
        headers={"Origin": origin},
    )
    errors = browser.problem(response, 422)["errors"]
    assert {error["loc"][-1] for error in errors} == {"password", "is_admin"}
    assert "too-short" not in response.text


def test_wrong_password_and_unknown_user_get_the_identical_answer(browser):
    browser.sign_up("alice")
    wrong_password = browser.log_in("alice", "definitely not it")
    unknown_user = browser.log_in("mallory", "definitely not it")
    browser.problem(wrong_password, 401)
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.headers["www-authenticate"] == unknown_user.headers["www-authenticate"]
    assert "set-cookie" not in wrong_password.headers


def test_an_over_long_password_is_refused_before_any_hashing(browser):
    response = browser.log_in("alice", "x" * (PASSWORD_MAX_CHARS + 1))
    assert browser.problem(response, 422)["errors"][0]["loc"] == ["body", "password"]


def test_notes_create_read_update_delete(alice):
    note_id = add_note(alice, "plan", "step one")
    assert alice.get(f"/notes/{note_id}").json()["body"] == "step one"
    changed = alice.page("PATCH", f"/notes/{note_id}", json={"body": "step two", "title": None})
    assert changed.status_code == 200
    assert changed.json()["title"] == "plan" and changed.json()["body"] == "step two"
    assert alice.page("DELETE", f"/notes/{note_id}").status_code == 204
    alice.problem(alice.get(f"/notes/{note_id}"), 404)


def test_notes_need_a_session(browser, origin):
    browser.problem(browser.get("/notes"), 401)
    browser.problem(browser.post("/notes", json={"title": "x"}, headers={"Origin": origin}), 401)


def test_another_users_note_is_404_like_a_missing_one_and_stays_unchanged(alice, bob, app):
    bobs = add_note(bob, "bob's budget", "bob's secret")
    missing = bobs + 1000

    read_other, read_missing = alice.get(f"/notes/{bobs}"), alice.get(f"/notes/{missing}")
    assert alice.problem(read_other, 404)["detail"] == alice.problem(read_missing, 404)["detail"]
    alice.problem(alice.page("PATCH", f"/notes/{bobs}", json={"title": "pwned"}), 404)
    alice.problem(alice.page("DELETE", f"/notes/{bobs}"), 404)
    assert "bob's secret" not in read_other.text
    assert alice.get("/notes").json()["data"] == []
    assert bob.get(f"/notes/{bobs}").json()["title"] == "bob's budget"


def test_mass_assignment_of_the_owner_is_422(alice, bob, app):
    response = alice.page("POST", "/notes", json={"title": "x", "owner_id": 2})
    alice.problem(response, 422)
    assert count(app, Note) == 0


def test_the_list_pages_with_the_seed_envelope(alice, bob):
    ids = [add_note(alice, f"note {n}") for n in range(5)]
    add_note(bob, "not alice's")

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = alice.get("/notes", params=params).json()
        assert set(page) == {"data", "pagination"}
        assert set(page["pagination"]) == {"next_cursor", "has_more"}
        seen += [note["id"] for note in page["data"]]
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == ids


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"cursor": "not a cursor"}, 400),
        ({"cursor": "eyJhZnRlciI6IC0xfQ"}, 400),  # {"after": -1}
        ({"cursor": "W10"}, 400),  # []
        ({"cursor": "x" * 65}, 422),
    ],
)
def test_bad_paging_parameters_are_problems(alice, params, status):
    alice.problem(alice.get("/notes", params=params), status)


INJECTIONS = ["' OR '1'='1", '"; DROP TABLE notes;--', "%", "_", "bob' --", "\\"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_sql_metacharacters_are_only_ever_strings(alice, bob, app, payload, password):
    add_note(bob, "bob's budget")
    add_note(alice, "plain")
    mine = add_note(alice, f"title {payload}", payload)

    assert alice.get(f"/notes/{mine}").json()["body"] == payload
    found = alice.get("/notes", params={"contains": payload}).json()["data"]
    assert [note["id"] for note in found] == [mine]  # a literal match, not a wildcard
    alice.problem(alice.get(f"/notes/{payload}"), 422)
    alice.problem(alice.page("PATCH", f"/notes/{payload}", json={"title": "x"}), 422)
    alice.problem(alice.log_in(payload, password), 401)
    alice.problem(
        alice.page("POST", "/users", json={"username": payload, "password": password}), 422
    )
    assert count(app, User) == 2 and count(app, Note) == 3


def test_a_session_cookie_of_sql_is_just_an_unknown_id(browser, alice, app):
    browser.plant("' OR '1'='1")
    assert browser.get("/session").status_code == 401


def test_a_body_over_the_limit_is_413_by_content_length(alice, settings):
    response = alice.page(
        "POST",
        "/notes",
        content=b"{" + b" " * settings.max_body_bytes + b"}",
        headers={"content-type": "application/json"},
    )
    assert alice.problem(response, 413)["detail"] == "The request body exceeds 16384 bytes."


def test_a_streamed_body_over_the_limit_is_413_too(alice, settings, app):
    def chunks():  # no Content-Length: httpx sends Transfer-Encoding: chunked
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = alice.page(
        "POST", "/notes", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    alice.problem(response, 413)
    assert count(app, Note) == 0


def test_a_cross_site_oversize_body_is_refused_before_it_is_read(alice, settings):
    response = alice.post(
        "/notes",
        content=b"{" + b" " * settings.max_body_bytes + b"}",
        headers={"content-type": "application/json", "Origin": "https://evil.example"},
    )
    alice.problem(response, 403)


def test_unknown_route_wrong_method_and_bad_json_are_problems(alice):
    alice.problem(alice.get("/nowhere"), 404)
    wrong_method = alice.page("PUT", "/notes")
    alice.problem(wrong_method, 405)
    assert wrong_method.headers["allow"] == "GET, POST"
    bad_json = alice.page(
        "POST", "/notes", content=b"{not json", headers={"content-type": "application/json"}
    )
    alice.problem(bad_json, 422)


def test_an_unhandled_error_is_a_500_problem_without_a_trace(serve, app: FastAPI):
    def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/explode", explode)
    browser = serve(app)
    response = browser.get("/explode")
    assert browser.problem(response, 500)["detail"] == "An unexpected error occurred."
    assert "hunter2" not in response.text


def test_openapi_declares_the_cookie_scheme_on_session_operations_only(alice):
    spec = alice.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"] == {
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "The session id set by POST /login (HttpOnly: scripts never see it).",
        }
    }
    open_operations = {("post", "/users"), ("post", "/login")}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if (method, path) in open_operations:
                assert "security" not in operation
                continue
            assert operation["security"] == [{"sessionCookie": []}], operation["operationId"]
            assert "application/problem+json" in operation["responses"]["401"]["content"]
            header = [p for p in operation.get("parameters", []) if p["in"] == "header"]
            assert bool(header) is (method != "get"), operation["operationId"]
            if header:
                assert header[0]["name"] == CSRF_HEADER
                assert "403" in operation["responses"]


def test_openapi_names_every_operation_explicitly(alice):
    spec = alice.get("/openapi.json").json()
    operation_ids = {
        (method.upper(), path): operation["operationId"]
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert operation_ids == {
        ("POST", "/users"): "createUser",
        ("POST", "/login"): "login",
        ("GET", "/session"): "getSession",
        ("POST", "/logout"): "logout",
        ("POST", "/logout-everywhere"): "logoutEverywhere",
        ("POST", "/password"): "changePassword",
        ("POST", "/notes"): "createNote",
        ("GET", "/notes"): "listNotes",
        ("GET", "/notes/{note_id}"): "getNote",
        ("PATCH", "/notes/{note_id}"): "updateNote",
        ("DELETE", "/notes/{note_id}"): "deleteNote",
    }
