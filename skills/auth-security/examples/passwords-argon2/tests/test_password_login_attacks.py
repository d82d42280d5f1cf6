"""Forged, expired, tampered and missing tokens are 401; injection payloads are just strings.

Tokens are crafted the way an attacker would: with joserfc and another key, or by hand as
base64url JSON (for `alg: none`, which joserfc refuses to produce by default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from password_login.db import User
from sqlalchemy import func, select


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
    )


@pytest.fixture
def alice(client) -> str:
    client.register("alice")
    client.register("bob")
    return client.token_for("alice")


def assert_rejected(client, token: str, path: str = "/users/alice") -> None:
    response = client.get(path, headers=client.bearer(token))
    client.problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_the_genuine_token_works(client, alice):
    assert client.get("/users/alice", headers=client.bearer(alice)).status_code == 200


def test_no_token_is_401_with_a_bearer_challenge(client, alice):
    response = client.get("/users/alice")
    client.problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="password-login"'


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Basic YWxpY2U6cGFzc3dvcmQ=", "bearer-ish token", "Token abc"],
)
def test_a_missing_or_foreign_scheme_is_401(client, alice, authorization):
    response = client.get("/users/alice", headers={"Authorization": authorization})
    client.problem(response, 401)


@pytest.mark.parametrize(
    "token",
    ["abc", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30", "e30.e30.e30", "x" * 4000],
)
def test_malformed_tokens_are_401(client, alice, token):
    assert_rejected(client, token)


def test_alg_none_is_401(client, alice):
    header, claims = parts(alice)
    for alg in ("none", "None", "NONE"):
        unsigned = f"{b64url_json({**header, 'alg': alg})}.{b64url_json(claims)}."
        assert_rejected(client, unsigned)


def test_a_token_signed_with_another_key_is_401(client, alice):
    _, claims = parts(alice)
    forged = jwt.encode({"alg": "HS256"}, claims, OctKey.generate_key(256))
    assert_rejected(client, forged)


def test_another_hmac_algorithm_with_the_right_key_is_401(client, alice, settings):
    # alg is pinned to HS256: even the real key does not make HS512 acceptable.
    _, claims = parts(alice)
    other_alg = jwt.encode(
        {"alg": "HS512"}, claims, OctKey.import_key(settings.signing_key), algorithms=["HS512"]
    )
    assert_rejected(client, other_alg)


def test_changing_the_subject_breaks_the_signature(client, alice):
    header, claims = parts(alice)
    signature = alice.split(".")[2]
    tampered = f"{b64url_json(header)}.{b64url_json({**claims, 'sub': 'bob'})}.{signature}"
    assert_rejected(client, tampered, "/users/bob")


def test_hand_signed_hs256_with_the_real_key_is_accepted_so_the_forgeries_above_are_real(
    client, alice, settings
):
    header, claims = parts(alice)
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    mac = hmac.new(settings.signing_key, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(mac)}"
    assert client.get("/users/alice", headers=client.bearer(token)).status_code == 200


def test_expiry_with_leeway(client, alice, clock, settings):
    ttl, leeway = settings.access_token_ttl_seconds, settings.leeway_seconds
    clock.advance(ttl + leeway - 1)  # expired, but inside the allowed clock skew
    assert client.get("/users/alice", headers=client.bearer(alice)).status_code == 200
    clock.advance(2)
    assert_rejected(client, alice)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("iss", "someone-else"),
        ("aud", "another-api"),
        ("nbf", 1_800_000_000 + 3600),
        ("iat", 1_800_000_000 + 3600),
        ("exp", "tomorrow"),
    ],
)
def test_wrong_claims_signed_with_the_real_key_are_401(client, alice, settings, claim, value):
    _, claims = parts(alice)
    token = jwt.encode(
        {"alg": "HS256"}, {**claims, claim: value}, OctKey.import_key(settings.signing_key)
    )
    assert_rejected(client, token)


@pytest.mark.parametrize("claim", ["sub", "exp", "iss", "aud"])
def test_missing_claims_are_401(client, alice, settings, claim):
    _, claims = parts(alice)
    del claims[claim]
    token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(settings.signing_key))
    assert_rejected(client, token)


INJECTIONS = ["' OR '1'='1", '"; DROP TABLE users;--', "%", "_", "alice' --", "bob%"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_the_username_is_only_ever_a_string(client, alice, app, password, payload):
    registered = client.post(
        "/users", json={"username": payload, "email": "x@example.org", "password": password}
    )
    client.problem(registered, 422)  # the username pattern refuses it

    logged_in = client.login(payload, password)
    client.problem(logged_in, 401)

    profile = client.get(f"/users/{payload}", headers=client.bearer(alice))
    assert profile.status_code in (404, 422)
    assert "bob@example.org" not in profile.text

    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 2
