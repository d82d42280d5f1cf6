"""The session cookie, what the database keeps, fixation, logout, expiry, privilege change."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from session_auth.db import LoginSession
from session_auth.settings import SESSION_COOKIE
from sqlalchemy import select


def session_rows(app) -> list[LoginSession]:
    with app.state.session_factory() as db:
        return list(db.scalars(select(LoginSession)))


def stolen(serve, app, session_id: str):
    """A second browser holding a copy of someone's cookie (read off the wire, a log...)."""
    thief = serve(app)
    thief.plant(session_id)
    return thief


@pytest.fixture
def alice(browser):
    browser.sign_up("alice")
    browser.sign_in("alice")
    return browser


def test_login_sets_a_host_prefixed_cookie_with_every_attribute(browser, settings):
    browser.sign_up("alice")
    response = browser.sign_in("alice")

    [set_cookie] = response.headers.get_list("set-cookie")
    name_value, *attributes = [part.strip() for part in set_cookie.split(";")]
    assert name_value.startswith(f"{SESSION_COOKIE}=")
    # What the __Host- prefix demands (Secure, Path=/, no Domain) and what the rest needs.
    assert sorted(attributes) == sorted(
        ["HttpOnly", "Secure", "Path=/", "SameSite=lax", f"Max-Age={8 * 60 * 60}"]
    )
    assert not any(attribute.lower().startswith("domain") for attribute in attributes)
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["username"] == "alice"
    now = int(settings.clock())
    assert body["idle_expires_at"] == now + 30 * 60
    assert body["absolute_expires_at"] == now + 8 * 60 * 60


def test_the_id_is_256_random_bits_and_the_database_keeps_only_its_hash(alice, app, serve):
    session_id = alice.session_id
    assert len(base64.urlsafe_b64decode(session_id + "=")) == 32

    [row] = session_rows(app)
    assert row.id_hash == hashlib.sha256(session_id.encode()).hexdigest()
    stored = [getattr(row, column.key) for column in LoginSession.__table__.columns]
    assert session_id not in stored

    other = serve(app)
    other.sign_in("alice")
    assert other.session_id != session_id
    assert len(session_rows(app)) == 2


def test_the_jar_sends_the_secure_cookie_over_https_only(alice, origin):
    """Why the tests serve TLS: over plain http the cookie would silently stay home."""
    over_https = httpx.Request("GET", f"{origin}/session")
    over_http = httpx.Request("GET", origin.replace("https://", "http://") + "/session")
    alice.cookies.set_cookie_header(over_https)
    alice.cookies.set_cookie_header(over_http)
    assert over_https.headers["cookie"] == f"{SESSION_COOKIE}={alice.session_id}"
    assert "cookie" not in over_http.headers


def test_the_session_endpoint_gives_the_page_its_csrf_token_again(alice):
    response = alice.get("/session")
    assert response.status_code == 200
    assert response.json()["csrf_token"] == alice.csrf_token
    assert response.headers["cache-control"] == "no-store"


def test_no_cookie_is_401_with_a_challenge(browser):
    response = browser.get("/session")
    browser.problem(response, 401)
    assert response.headers["www-authenticate"].startswith('Cookie realm="session-auth"')
    assert "set-cookie" not in response.headers


def test_an_unknown_id_is_401_and_the_browser_is_told_to_drop_it(browser):
    browser.plant("made-up-session-id")
    response = browser.get("/session")
    browser.problem(response, 401)
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert browser.session_id is None


def test_logout_deletes_the_row_expires_the_cookie_and_a_stolen_copy_stops_working(
    alice, app, serve
):
    cookie = alice.session_id
    thief = stolen(serve, app, cookie)
    assert thief.get("/session").json()["username"] == "alice"  # the copy is a real one

    response = alice.page("POST", "/logout")

    assert response.status_code == 204
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f'{SESSION_COOKIE}="";')
    assert "Max-Age=0" in set_cookie and "Secure" in set_cookie and "Path=/" in set_cookie
    assert alice.session_id is None
    assert session_rows(app) == []
    thief.problem(thief.get("/session"), 401)
    thief.plant(cookie)  # the 401 told the jar to drop it; replay it by hand once more
    thief.problem(thief.get("/notes"), 401)


def test_log_out_everywhere_ends_every_session_of_the_user_only(alice, app, serve):
    laptop, phone = serve(app), serve(app)
    laptop.sign_in("alice")
    phone.sign_in("alice")
    bob = serve(app)
    bob.sign_up("bob")
    bob.sign_in("bob")
    assert len(session_rows(app)) == 4

    response = phone.page("POST", "/logout-everywhere")

    assert response.status_code == 204
    assert "Max-Age=0" in response.headers["set-cookie"]
    for device in (alice, laptop, phone):
        device.problem(device.get("/session"), 401)
    assert bob.get("/session").status_code == 200
    assert [row.user_id for row in session_rows(app)] == [2]


def test_idle_timeout_and_activity_moves_it(alice, clock, app):
    idle = app.state.settings.idle_timeout_seconds
    clock.advance(idle - 1)
    assert alice.get("/session").status_code == 200  # activity: the idle clock restarts
    clock.advance(idle - 1)
    assert alice.get("/session").status_code == 200
    clock.advance(idle)
    alice.problem(alice.get("/session"), 401)
    assert session_rows(app) == []  # an expired session is deleted, not just refused


def test_the_absolute_lifetime_ends_even_a_busy_session(alice, clock, app):
    settings = app.state.settings
    started = int(clock())
    while clock() + 20 * 60 < started + settings.absolute_lifetime_seconds:
        clock.advance(20 * 60)
        response = alice.get("/session")
        assert response.status_code == 200
        # idle expiry moves forward but never past the absolute one
        assert response.json()["idle_expires_at"] <= started + settings.absolute_lifetime_seconds
    clock.now = started + settings.absolute_lifetime_seconds
    alice.problem(alice.get("/session"), 401)


def test_a_planted_id_never_becomes_a_signed_in_session(browser, app, serve):
    """Session fixation: the attacker sets the victim's cookie to a value they know, waits
    for the victim to log in, then uses the same value."""
    browser.sign_up("alice")
    planted = "attacker-knows-this-value"
    browser.plant(planted)

    browser.sign_in("alice")

    assert browser.session_id != planted
    attacker = stolen(serve, app, planted)
    attacker.problem(attacker.get("/session"), 401)
    assert browser.get("/session").json()["username"] == "alice"


def test_an_attackers_own_session_planted_before_login_is_ended_by_it(browser, app, serve):
    """The stronger variant: the planted id is a live session (the attacker's own)."""
    mallory = serve(app)
    mallory.sign_up("mallory")
    mallory.sign_in("mallory")
    planted = mallory.session_id
    browser.sign_up("alice")
    browser.plant(planted)

    browser.sign_in("alice")

    assert browser.session_id not in (None, planted)
    attacker = stolen(serve, app, planted)
    attacker.problem(attacker.get("/session"), 401)
    assert browser.get("/session").json()["username"] == "alice"
    assert len(session_rows(app)) == 1


def test_a_password_change_issues_a_new_id_and_token_and_ends_every_other_session(
    alice, app, serve, password
):
    old_id, old_token = alice.session_id, alice.csrf_token
    phone = serve(app)
    phone.sign_in("alice")

    response = alice.page(
        "POST",
        "/password",
        json={"current_password": password, "new_password": "a brand new passphrase"},
    )

    assert response.status_code == 200, response.text
    assert "Max-Age=28800" in response.headers["set-cookie"]
    assert alice.session_id != old_id
    new_token = response.json()["csrf_token"]
    assert new_token != old_token
    old_copy = stolen(serve, app, old_id)
    old_copy.problem(old_copy.get("/session"), 401)
    phone.problem(phone.get("/session"), 401)
    # the old token belonged to the old session
    alice.problem(alice.page("POST", "/notes", json={"title": "t"}), 403)
    alice.csrf_token = new_token
    assert alice.page("POST", "/notes", json={"title": "t"}).status_code == 201
    assert serve(app).log_in("alice").status_code == 401
    assert serve(app).log_in("alice", "a brand new passphrase").status_code == 200


def test_a_password_change_needs_the_current_password(alice, app, serve, password):
    phone = serve(app)
    phone.sign_in("alice")
    response = alice.page(
        "POST",
        "/password",
        json={"current_password": "not the password", "new_password": "a brand new passphrase"},
    )
    assert alice.problem(response, 403)["detail"] == "The current password is wrong."
    assert phone.get("/session").status_code == 200
    assert serve(app).log_in("alice", password).status_code == 200


def test_expired_sessions_are_purged_at_the_next_login(alice, app, clock, serve):
    clock.advance(app.state.settings.idle_timeout_seconds)
    serve(app).sign_in("alice")
    assert len(session_rows(app)) == 1
