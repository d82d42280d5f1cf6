"""Forged cross-site requests: refused with 403 problem details, and nothing changes.

Each forgery carries alice's real cookie, as a browser would attach it to a request that
another site's page started. Where the forgery is about the origin, it even carries her
real CSRF token, so that the Origin check alone is what stops it.
"""

from __future__ import annotations

import pytest
from session_auth.db import LoginSession, Note, User
from session_auth.settings import CSRF_HEADER
from sqlalchemy import select

EVIL = "https://evil.example"


def snapshot(app) -> dict:
    """Everything a forged request could change."""
    with app.state.session_factory() as db:
        return {
            "notes": [(n.id, n.owner_id, n.title, n.body) for n in db.scalars(select(Note))],
            "sessions": [
                (s.id_hash, s.csrf_token, s.last_seen_at, s.idle_expires_at)
                for s in db.scalars(select(LoginSession))
            ],
            "users": [(u.username, u.password_hash) for u in db.scalars(select(User))],
        }


@pytest.fixture
def alice(browser, clock):
    browser.sign_up("alice")
    browser.sign_in("alice")
    note = browser.page("POST", "/notes", json={"title": "alice's plan", "body": "secret"})
    assert note.status_code == 201
    browser.note_id = note.json()["id"]
    # Later requests at a later time: a forged one that touched the session would show.
    clock.advance(60)
    return browser


# Headers of requests another site's page starts ({origin} is this app's own origin).
FORGED_ORIGINS = {
    "evil": {"Origin": EVIL},
    "null": {"Origin": "null"},  # sandboxed iframes, some cross-origin redirects
    "suffix": {"Origin": "{origin}.evil.example"},  # a prefix match would let this in
    "plain-http": {"Origin": "{origin}", "scheme": "http"},  # same host, no TLS
    "other-port": {"Origin": "{origin}:443"},  # another port is another origin
    "cross-site": {"Sec-Fetch-Site": "cross-site"},
    "same-site": {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another app
    "none": {"Sec-Fetch-Site": "none"},
    "neither": {},  # no Origin, no Fetch Metadata, yet the cookie is there
}


def forged_headers(case: str, origin: str) -> dict[str, str]:
    template = dict(FORGED_ORIGINS[case])
    if template.pop("scheme", None) == "http":
        origin = origin.replace("https://", "http://")
    return {name: value.format(origin=origin) for name, value in template.items()}


def unsafe_requests(note_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", "/notes", {"title": "forged"}),
        ("PATCH", f"/notes/{note_id}", {"title": "forged"}),
        ("DELETE", f"/notes/{note_id}", None),
        ("POST", "/logout", None),
        ("POST", "/logout-everywhere", None),
        (
            "POST",
            "/password",
            {"current_password": "correct horse battery staple", "new_password": "x" * 20},
        ),
    ]


def test_the_genuine_page_can_write(alice):
    """The control: the forgeries below differ from this in one header each."""
    response = alice.page("PATCH", f"/notes/{alice.note_id}", json={"title": "renamed"})
    assert response.status_code == 200


@pytest.mark.parametrize("case", FORGED_ORIGINS)
def test_a_cross_site_origin_is_refused_even_with_the_real_token(alice, app, origin, case):
    headers = forged_headers(case, origin)
    before = snapshot(app)
    for method, path, body in unsafe_requests(alice.note_id):
        response = alice.request(
            method, path, json=body, headers={**headers, CSRF_HEADER: alice.csrf_token}
        )
        alice.problem(response, 403)
    assert snapshot(app) == before


def test_fetch_metadata_same_origin_stands_in_for_a_missing_origin(alice):
    response = alice.post(
        "/notes",
        json={"title": "from an old browser"},
        headers={"Sec-Fetch-Site": "same-origin", CSRF_HEADER: alice.csrf_token},
    )
    assert response.status_code == 201


def test_origin_decides_when_both_headers_are_present(alice):
    response = alice.post(
        "/notes",
        json={"title": "x"},
        headers={"Origin": EVIL, "Sec-Fetch-Site": "same-origin", CSRF_HEADER: alice.csrf_token},
    )
    alice.problem(response, 403)


def test_a_classic_cross_site_form_post_is_refused(alice, app):
    """What an attacker's <form action=https://app/notes method=post> sends."""
    before = snapshot(app)
    response = alice.post(
        "/notes",
        content=b"title=forged",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": EVIL,
            "Sec-Fetch-Site": "cross-site",
        },
    )
    alice.problem(response, 403)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "token",
    [None, "", "not-the-token", "x" * 43, "\u00e9t\u00e9"],
    ids=["missing", "empty", "wrong", "right-length", "non-ascii"],
)
def test_a_missing_or_wrong_token_is_refused_from_the_right_origin(alice, app, origin, token):
    before = snapshot(app)
    headers = {"Origin": origin}
    if token is not None:
        headers[CSRF_HEADER] = token.encode()  # latin-1 bytes on the wire, as a browser may
    for method, path, body in unsafe_requests(alice.note_id):
        response = alice.request(method, path, json=body, headers=headers)
        assert alice.problem(response, 403)["detail"] == (
            "The CSRF token is missing or does not match the session."
        )
    assert snapshot(app) == before


def test_another_sessions_token_is_refused(alice, app, serve):
    other_device = serve(app)
    other_device.sign_in("alice")
    bob = serve(app)
    bob.sign_up("bob")
    bob.sign_in("bob")
    before = snapshot(app)
    for token in (other_device.csrf_token, bob.csrf_token):
        response = alice.page("POST", "/notes", json={"title": "x"}, headers={CSRF_HEADER: token})
        alice.problem(response, 403)
    assert snapshot(app) == before


def test_the_token_from_before_a_new_login_no_longer_works(alice, origin):
    old_token = alice.csrf_token
    alice.sign_in("alice")
    assert alice.csrf_token != old_token
    response = alice.post(
        "/notes", json={"title": "x"}, headers={"Origin": origin, CSRF_HEADER: old_token}
    )
    alice.problem(response, 403)


def test_every_unsafe_operation_in_the_api_is_guarded(alice, app):
    """Walks the OpenAPI document, so an operation added later is attacked too."""
    spec = alice.get("/openapi.json").json()
    unsafe = [
        (method.upper(), path.replace("{note_id}", str(alice.note_id)), operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(unsafe) == 8
    before = snapshot(app)
    for method, path, operation in unsafe:
        cross_site = alice.request(method, path, json={}, headers={"Origin": EVIL})
        alice.problem(cross_site, 403)
        if operation.get("security"):
            parameters = {p["name"] for p in operation.get("parameters", [])}
            assert CSRF_HEADER in parameters, operation["operationId"]
            no_token = alice.request(method, path, json={}, headers={"Origin": alice.origin})
            alice.problem(no_token, 403)
    assert snapshot(app) == before


@pytest.mark.parametrize("method", ["PUT", "PROPFIND", "POST"])
def test_the_origin_check_covers_methods_and_paths_no_route_declares(alice, method):
    response = alice.request(method, "/no-such-route", headers={"Origin": EVIL})
    alice.problem(response, 403)


def test_login_from_another_site_is_refused_and_sets_no_cookie(browser, app):
    """Login CSRF: a forged login would sign the victim into the attacker's account."""
    browser.sign_up("mallory")
    response = browser.post(
        "/login",
        json={"username": "mallory", "password": "correct horse battery staple"},
        headers={"Origin": EVIL},
    )
    browser.problem(response, 403)
    assert "set-cookie" not in response.headers
    assert snapshot(app)["sessions"] == []


def test_a_client_without_cookies_or_browser_headers_may_log_in(browser):
    """curl or a server: no ambient cookie, so nothing to forge. The route's own checks
    (the password) still apply."""
    browser.sign_up("alice")
    response = browser.post(
        "/login", json={"username": "alice", "password": "correct horse battery staple"}
    )
    assert response.status_code == 200
    assert "origin" not in response.request.headers


def test_a_signed_in_request_without_origin_or_fetch_metadata_is_refused(alice):
    response = alice.post("/notes", json={"title": "x"}, headers={CSRF_HEADER: alice.csrf_token})
    assert alice.problem(response, 403)["detail"] == (
        "A signed-in request must carry Origin or Sec-Fetch-Site."
    )


def test_reads_need_no_token_and_grant_no_cross_origin_access(alice):
    response = alice.get(f"/notes/{alice.note_id}", headers={"Origin": EVIL})
    # A cross-site page may make the request but, without CORS, cannot read the answer.
    assert response.status_code == 200
    assert not any(name.startswith("access-control-") for name in response.headers)
    preflight = alice.options(
        "/notes",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": CSRF_HEADER,
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
