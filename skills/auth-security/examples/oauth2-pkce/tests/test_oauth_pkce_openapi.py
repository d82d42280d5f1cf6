"""What the OpenAPI document promises really happens: every declared status, and paging.

``STATUS_CASES`` holds one real request per (operation, status) the document declares; the
first test fails if the document declares a status nobody provokes, or the table provokes
one the document does not declare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oauth_pkce.client import ProviderMetadata, RelyingParty, sign_in_with_password
from oauth_pkce.db import User
from oauth_pkce.settings import NOTES_WEB
from oauth_pkce.tokens import AccessTokenGenerator
from sqlalchemy import select

PROBLEM = "application/problem+json"
TOO_BIG = b"a" * 20_000  # over the 16 KiB limit


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Context:
    http: httpx.Client
    rp: RelyingParty
    passwords: dict[str, str]
    token: str  # alice, scopes openid profile notes, from the real flow
    openid_only: str  # alice, a real token without the notes scope
    notes_only: str  # alice, a real token without the openid scope
    note_path: str  # one of alice's notes

    def new_note(self) -> str:
        created = self.http.post("/api/notes", json={"title": "t"}, headers=bearer(self.token))
        return created.headers["location"]

    def signed_in_callback(self) -> tuple[str, str]:
        """(code, verifier) of a fresh sign-in of alice through the login form."""
        pending = self.rp.begin()
        callback = sign_in_with_password(
            self.http, pending.authorization_url, "alice", self.passwords["alice"]
        )
        return parse_qs(urlsplit(callback).query)["code"][0], pending.code_verifier


def mint(served, username: str, scope: str) -> str:
    """A token exactly like the AS issues (its key, issuer, audience) with another scope."""
    with served.app.state.sessions() as db:
        user = db.scalars(select(User).where(User.username == username)).one()
    settings = served.settings
    generator = AccessTokenGenerator(
        settings.issuer, served.app.state.signing_key, settings.api_audience, 300
    )
    return generator.mint(NOTES_WEB, user, scope)


@pytest.fixture(scope="module")
def ctx(http, relying_party, passwords, served, sign_in) -> Context:
    token = sign_in("alice").access_token
    created = http.post("/api/notes", json={"title": "kept"}, headers=bearer(token))
    return Context(
        http,
        relying_party,
        passwords,
        token,
        openid_only=mint(served, "alice", "openid profile"),
        notes_only=mint(served, "alice", "notes"),
        note_path=created.headers["location"],
    )


def _token_200(c: Context) -> httpx.Response:
    code, verifier = c.signed_in_callback()
    return c.http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": NOTES_WEB.redirect_uris[0],
            "client_id": NOTES_WEB.client_id,
            "code_verifier": verifier,
        },
    )


def _form(c: Context, decision: str = "approve", password: str | None = None) -> httpx.Response:
    return c.http.post(
        c.rp.begin().authorization_url,
        data={
            "username": "alice",
            "password": password or c.passwords["alice"],
            "decision": decision,
        },
    )


STATUS_CASES: dict[tuple[str, str, str], Callable[[Context], httpx.Response]] = {
    ("GET", "/authorize", "200"): lambda c: c.http.get(c.rp.begin().authorization_url),
    ("GET", "/authorize", "400"): lambda c: c.http.get("/authorize?client_id=nobody"),
    ("POST", "/authorize", "302"): _form,
    ("POST", "/authorize", "400"): lambda c: _form(c, password="not-her-password"),
    ("POST", "/authorize", "413"): lambda c: c.http.post(
        c.rp.begin().authorization_url,
        content=TOO_BIG,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    ("POST", "/token", "200"): _token_200,
    ("POST", "/token", "400"): lambda c: c.http.post("/token", data={"grant_type": "password"}),
    ("POST", "/token", "413"): lambda c: c.http.post(
        "/token", content=TOO_BIG, headers={"Content-Type": "application/x-www-form-urlencoded"}
    ),
    ("GET", "/.well-known/openid-configuration", "200"): lambda c: c.http.get(
        "/.well-known/openid-configuration"
    ),
    ("GET", "/jwks.json", "200"): lambda c: c.http.get("/jwks.json"),
    ("GET", "/userinfo", "200"): lambda c: c.http.get("/userinfo", headers=bearer(c.token)),
    ("GET", "/userinfo", "401"): lambda c: c.http.get("/userinfo"),
    ("GET", "/userinfo", "403"): lambda c: c.http.get("/userinfo", headers=bearer(c.notes_only)),
    ("POST", "/api/notes", "201"): lambda c: c.http.post(
        "/api/notes", json={"title": "x"}, headers=bearer(c.token)
    ),
    ("POST", "/api/notes", "401"): lambda c: c.http.post("/api/notes", json={"title": "x"}),
    ("POST", "/api/notes", "403"): lambda c: c.http.post(
        "/api/notes", json={"title": "x"}, headers=bearer(c.openid_only)
    ),
    ("POST", "/api/notes", "413"): lambda c: c.http.post(
        "/api/notes",
        content=b'{"title": "' + TOO_BIG + b'"}',
        headers={**bearer(c.token), "Content-Type": "application/json"},
    ),
    ("POST", "/api/notes", "422"): lambda c: c.http.post(
        "/api/notes", json={"title": "x", "owner_id": 2}, headers=bearer(c.token)
    ),
    ("GET", "/api/notes", "200"): lambda c: c.http.get("/api/notes", headers=bearer(c.token)),
    ("GET", "/api/notes", "400"): lambda c: c.http.get(
        "/api/notes", params={"cursor": "not-a-cursor"}, headers=bearer(c.token)
    ),
    ("GET", "/api/notes", "401"): lambda c: c.http.get("/api/notes"),
    ("GET", "/api/notes", "403"): lambda c: c.http.get("/api/notes", headers=bearer(c.openid_only)),
    ("GET", "/api/notes", "422"): lambda c: c.http.get(
        "/api/notes", params={"limit": 0}, headers=bearer(c.token)
    ),
    ("GET", "/api/notes/{note_id}", "200"): lambda c: c.http.get(
        c.note_path, headers=bearer(c.token)
    ),
    ("GET", "/api/notes/{note_id}", "401"): lambda c: c.http.get(c.note_path),
    ("GET", "/api/notes/{note_id}", "403"): lambda c: c.http.get(
        c.note_path, headers=bearer(c.openid_only)
    ),
    ("GET", "/api/notes/{note_id}", "404"): lambda c: c.http.get(
        "/api/notes/999999", headers=bearer(c.token)
    ),
    ("GET", "/api/notes/{note_id}", "422"): lambda c: c.http.get(
        "/api/notes/first", headers=bearer(c.token)
    ),
    ("DELETE", "/api/notes/{note_id}", "204"): lambda c: c.http.delete(
        c.new_note(), headers=bearer(c.token)
    ),
    ("DELETE", "/api/notes/{note_id}", "401"): lambda c: c.http.delete(c.note_path),
    ("DELETE", "/api/notes/{note_id}", "403"): lambda c: c.http.delete(
        c.note_path, headers=bearer(c.openid_only)
    ),
    ("DELETE", "/api/notes/{note_id}", "404"): lambda c: c.http.delete(
        "/api/notes/999999", headers=bearer(c.token)
    ),
    ("DELETE", "/api/notes/{note_id}", "422"): lambda c: c.http.delete(
        "/api/notes/first", headers=bearer(c.token)
    ),
}


def test_every_declared_status_has_a_case_and_no_case_is_undeclared(http):
    schema = http.get("/openapi.json").json()
    declared = {
        (method.upper(), path, status)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
    }
    assert declared == set(STATUS_CASES)


@pytest.mark.parametrize("case", sorted(STATUS_CASES), ids=" ".join)
def test_declared_status_really_occurs(case, ctx, http):
    method, path, status = case
    response = STATUS_CASES[case](ctx)
    assert response.status_code == int(status), response.text
    operation = http.get("/openapi.json").json()["paths"][path][method.lower()]
    declared = operation["responses"][status]
    if int(status) >= 400:
        assert response.headers["content-type"] == PROBLEM
        assert set(declared["content"]) == {PROBLEM}
        problem = response.json()
        assert problem["status"] == int(status) and problem["title"] and problem["detail"]
        schema = declared["content"][PROBLEM]["schema"]["$ref"].rsplit("/", 1)[1]
        if schema == "OAuthProblem":
            assert problem["error"]  # RFC 6749's code, as OAuth clients expect
        if schema == "ValidationProblem":
            assert problem["errors"] and {"loc", "msg"} <= set(problem["errors"][0])
    if status == "401":
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "WWW-Authenticate" in declared["headers"]


def test_operation_ids_are_the_readable_function_names(http):
    schema = http.get("/openapi.json").json()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert schema["paths"]["/api/notes"]["get"]["operationId"] == "list_notes"
    assert schema["paths"]["/token"]["post"]["operationId"] == "token"


# --- paging ---------------------------------------------------------------------------


def signed_in_token(served, username: str, password: str) -> str:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        rp = RelyingParty(
            http,
            ProviderMetadata.discover(http, served.url),
            client_id=NOTES_WEB.client_id,
            redirect_uri=NOTES_WEB.redirect_uris[0],
        )
        pending = rp.begin()
        callback = sign_in_with_password(http, pending.authorization_url, username, password)
        return rp.complete(pending, callback).access_token


@pytest.fixture(scope="module")
def paging(serve_for_module, passwords):
    """A fresh server where alice has 7 notes and bob 3, created interleaved."""
    served = serve_for_module()
    tokens = {name: signed_in_token(served, name, passwords[name]) for name in passwords}
    with httpx.Client(base_url=served.url, timeout=10) as http:
        for i in range(10):
            owner = "bob" if i % 3 == 1 else "alice"
            title = f"{owner} note {i}"
            http.post("/api/notes", json={"title": title}, headers=bearer(tokens[owner]))
        yield http, tokens


def walk(http: httpx.Client, token: str, **params) -> list[dict]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = http.get("/api/notes", params=query, headers=bearer(token))
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"data", "pagination"}
        pages.append(page)
        cursor = page["pagination"]["next_cursor"]
        assert page["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            return pages


def test_walking_every_page_returns_each_own_note_once_in_order(paging):
    http, tokens = paging
    pages = walk(http, tokens["alice"], limit=3)
    assert [len(p["data"]) for p in pages] == [3, 3, 1]
    titles = [note["title"] for page in pages for note in page["data"]]
    assert titles == [f"alice note {i}" for i in range(10) if i % 3 != 1]
    ids = [note["id"] for page in pages for note in page["data"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    bobs = [n["title"] for p in walk(http, tokens["bob"], limit=2) for n in p["data"]]
    assert bobs == ["bob note 1", "bob note 4", "bob note 7"]  # and no note of alice's


def test_default_page_and_a_search_page_together(paging):
    http, tokens = paging
    first = http.get("/api/notes", headers=bearer(tokens["alice"])).json()
    assert len(first["data"]) == 7 and first["pagination"] == {
        "next_cursor": None,
        "has_more": False,
    }
    found = walk(http, tokens["alice"], q="note 9", limit=1)
    assert [n["title"] for p in found for n in p["data"]] == ["alice note 9"]


@pytest.mark.parametrize("limit", [0, -1, 101, "ten"])
def test_limit_out_of_bounds_is_a_422_problem(paging, limit):
    http, tokens = paging
    response = http.get("/api/notes", params={"limit": limit}, headers=bearer(tokens["alice"]))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


def test_limit_at_the_maximum_is_accepted(paging):
    http, tokens = paging
    response = http.get("/api/notes", params={"limit": 100}, headers=bearer(tokens["alice"]))
    assert response.status_code == 200 and len(response.json()["data"]) == 7


def test_bad_cursors_are_400_problems(paging):
    http, tokens = paging
    alice = bearer(tokens["alice"])
    cursor = http.get("/api/notes", params={"limit": 2}, headers=alice).json()["pagination"][
        "next_cursor"
    ]
    body, signature = cursor.split(".")
    edited = ("B" if body[0] != "B" else "C") + body[1:] + "." + signature
    attempts = {
        "garbage": ("not-a-cursor", alice, {}),
        "edited": (edited, alice, {}),
        "non-ascii": ("é.é", alice, {}),
        "another search": (cursor, alice, {"q": "note"}),
        "another user": (cursor, bearer(tokens["bob"]), {}),
    }
    for name, (value, headers, extra) in attempts.items():
        response = http.get("/api/notes", params={"cursor": value, **extra}, headers=headers)
        assert response.status_code == 400, name
        assert response.headers["content-type"] == PROBLEM, name
        assert "cursor" in response.json()["detail"], name
    assert http.get("/api/notes", params={"cursor": cursor}, headers=alice).status_code == 200
