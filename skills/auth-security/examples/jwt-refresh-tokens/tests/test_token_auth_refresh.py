"""Refresh tokens: rotation, reuse detection, logout, idle and absolute expiry, storage."""

from __future__ import annotations

import hashlib
import threading

import pytest
from sqlalchemy import select
from token_auth.db import LoginSession, RefreshToken

DAY = 24 * 3600


@pytest.fixture
def alice(client) -> dict:
    client.register("alice")
    return client.tokens_for("alice")


def refused(client, refresh_token: str) -> None:
    response = client.refresh(refresh_token)
    client.problem(response, 401)


def test_login_returns_a_pair_that_is_never_cached(client):
    client.register("alice")
    response = client.login("alice")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["refresh_token"].startswith("rt_") and len(body["refresh_token"]) > 40
    assert body["refresh_token_expires_in"] == 7 * DAY


def test_each_refresh_returns_a_new_refresh_token_and_the_old_one_stops_working(client, alice):
    second = client.refresh(alice["refresh_token"])
    assert second.status_code == 200
    new = second.json()
    assert new["refresh_token"] != alice["refresh_token"]
    assert client.get("/notes", headers=client.bearer(new["access_token"])).status_code == 200

    third = client.refresh(new["refresh_token"])
    assert third.status_code == 200


def test_reuse_revokes_the_whole_family_for_attacker_and_victim(client, alice):
    stolen = alice["refresh_token"]  # the attacker copied it

    victim = client.refresh(stolen).json()  # the real client rotates first
    attacker = client.refresh(stolen)  # the copy is presented again: reuse
    client.problem(attacker, 401)

    # The victim's newer token dies with the family, and so does anything the thief holds.
    refused(client, victim["refresh_token"])
    refused(client, stolen)


def test_reuse_by_the_attacker_first_also_kills_the_victims_later_refresh(client, alice):
    stolen = alice["refresh_token"]
    attacker = client.refresh(stolen).json()  # the thief is quicker
    refused(client, stolen)  # the victim presents the (now used) token: reuse
    refused(client, attacker["refresh_token"])  # the thief's rotated token is dead too


def test_reuse_is_recorded_on_the_session(client, alice, app):
    client.refresh(alice["refresh_token"])
    refused(client, alice["refresh_token"])
    with app.state.session_factory() as session:
        (family,) = session.scalars(select(LoginSession))
        assert family.revoked_reason == "reuse"


def test_reuse_in_one_family_leaves_the_users_other_sessions_alone(client, alice):
    laptop = client.tokens_for("alice")
    client.refresh(alice["refresh_token"])
    refused(client, alice["refresh_token"])
    assert client.refresh(laptop["refresh_token"]).status_code == 200


def test_two_concurrent_refreshes_with_one_token_yield_at_most_one_winner(
    client, alice, serve, app
):
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        with serve(app) as own_client:
            barrier.wait()
            statuses.append(own_client.refresh(alice["refresh_token"]).status_code)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) <= 1
    assert statuses.count(401) >= 3


def test_logout_revokes_the_refresh_token(client, alice):
    response = client.post("/auth/logout", json={"refresh_token": alice["refresh_token"]})
    assert response.status_code == 204
    refused(client, alice["refresh_token"])


def test_logout_of_a_rotated_token_ends_the_whole_session(client, alice):
    newer = client.refresh(alice["refresh_token"]).json()
    client.post("/auth/logout", json={"refresh_token": alice["refresh_token"]})
    refused(client, newer["refresh_token"])


def test_logout_with_an_unknown_token_says_nothing(client, alice):
    response = client.post("/auth/logout", json={"refresh_token": "rt_never-issued"})
    assert response.status_code == 204


def test_access_tokens_outlive_logout_until_they_expire(client, alice, clock, settings):
    """The trade-off of stateless access tokens, which is why they live 5 minutes."""
    client.post("/auth/logout", json={"refresh_token": alice["refresh_token"]})
    auth = client.bearer(alice["access_token"])
    assert client.get("/notes", headers=auth).status_code == 200
    clock.advance(settings.access_token_ttl_seconds + settings.leeway_seconds)
    client.problem(client.get("/notes", headers=auth), 401)


def test_an_idle_refresh_token_expires(client, alice, clock, settings):
    clock.advance(settings.refresh_idle_ttl_seconds)
    refused(client, alice["refresh_token"])


def test_using_it_resets_the_idle_clock(client, alice, clock, settings):
    clock.advance(settings.refresh_idle_ttl_seconds - 60)
    newer = client.refresh(alice["refresh_token"]).json()
    clock.advance(settings.refresh_idle_ttl_seconds - 60)
    assert client.refresh(newer["refresh_token"]).status_code == 200


def test_the_absolute_lifetime_ends_even_a_busy_session(client, alice, clock, settings):
    token = alice["refresh_token"]
    elapsed = 0
    while elapsed + DAY < settings.refresh_absolute_ttl_seconds:
        clock.advance(DAY)
        elapsed += DAY
        response = client.refresh(token)
        assert response.status_code == 200
        token = response.json()
        # The idle expiry of the last tokens is capped by the absolute one.
        assert token["refresh_token_expires_in"] <= settings.refresh_absolute_ttl_seconds - elapsed
        token = token["refresh_token"]
    clock.advance(DAY)
    refused(client, token)


def test_rotation_keeps_the_absolute_expiry_of_the_login(client, alice, clock, settings, app):
    """Rotating forever ends at login + absolute TTL: each new token's idle expiry is
    min(now + idle, absolute), and nothing ever moves the family's own expiry."""
    login_at = int(clock())
    token = alice["refresh_token"]
    for _ in range(4):  # every 6 days: never idle
        clock.advance(6 * DAY)
        token = client.refresh(token).json()["refresh_token"]
    clock.advance(settings.refresh_absolute_ttl_seconds - 24 * DAY - 1)  # one second before
    last = client.refresh(token).json()
    assert last["refresh_token_expires_in"] == 1  # capped: not the 7 idle days
    with app.state.session_factory() as session:
        (family,) = session.scalars(select(LoginSession))
    assert family.expires_at == login_at + settings.refresh_absolute_ttl_seconds
    clock.advance(1)
    refused(client, last["refresh_token"])


@pytest.mark.parametrize("token", ["", "rt_unknown", "x" * 257, "eyJhbGciOiJub25lIn0.e30."])
def test_bad_refresh_tokens_are_refused(client, alice, token):
    response = client.refresh(token)
    assert response.status_code in (401, 422)
    client.problem(response, response.status_code)


def test_the_access_token_cannot_be_used_as_a_refresh_token(client, alice):
    response = client.refresh(alice["access_token"])
    assert response.status_code == 422  # longer than any refresh token; never looked up
    client.problem(response, 422)


def test_refresh_tokens_are_stored_as_sha256_only(client, alice, app):
    with app.state.session_factory() as session:
        stored = list(session.scalars(select(RefreshToken.token_hash)))
    assert stored == [hashlib.sha256(alice["refresh_token"].encode()).hexdigest()]
    assert alice["refresh_token"] not in stored


def test_sessions_list_shows_your_own_and_marks_the_current_one(client, alice, clock):
    client.register("bob")
    client.tokens_for("bob")
    clock.advance(60)
    other_device = client.tokens_for("alice")

    listing = client.get("/sessions", headers=client.bearer(alice["access_token"])).json()
    sessions = listing["data"]
    assert listing["pagination"] == {"next_cursor": None, "has_more": False}
    assert len(sessions) == 2
    assert [s["current"] for s in sessions] == [True, False]

    # Ending the other device's session from here: its refresh token stops working.
    other_id = sessions[1]["id"]
    response = client.delete(f"/sessions/{other_id}", headers=client.bearer(alice["access_token"]))
    assert response.status_code == 204
    refused(client, other_device["refresh_token"])
    assert client.refresh(alice["refresh_token"]).status_code == 200


def test_another_users_session_cannot_be_revoked(client, alice):
    client.register("bob")
    bob = client.tokens_for("bob")
    bob_sessions = client.get("/sessions", headers=client.bearer(bob["access_token"])).json()
    bob_session = bob_sessions["data"][0]

    response = client.delete(
        f"/sessions/{bob_session['id']}", headers=client.bearer(alice["access_token"])
    )
    client.problem(response, 404)
    assert client.refresh(bob["refresh_token"]).status_code == 200
