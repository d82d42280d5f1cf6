"""Sign-up, login, and the attacks on bearer tokens that must all end in 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select
from task_api.models import User

pytestmark = pytest.mark.anyio


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict, dict]:
    header, claims, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(claims))),
    )


async def assert_rejected(client, token: str) -> None:
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, token
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Authentication required"
    assert "Traceback" not in response.text


async def test_login_issues_a_short_lived_es256_access_token(client, passwords) -> None:
    response = await client.post(
        "/v1/login", json={"username": "alice", "password": passwords["alice"]}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    header, claims = parts(body["access_token"])
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt"
    assert claims["iss"] == "https://task-api.example" and claims["aud"] == "task-api"
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "alice"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", "whatever12345"), ("' OR '1'='1", "' OR '1'='1")],
)
async def test_wrong_credentials_are_one_401_whoever_the_user(client, username, password) -> None:
    response = await client.post("/v1/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="task-api"'
    # Wrong password and unknown user read the same: no username enumeration.
    assert response.json() == {
        "type": "https://task-api.example/problems/wrong-credentials",
        "title": "Login failed",
        "status": 401,
        "detail": "The username or password is wrong.",
        "instance": "/v1/login",
    }


@pytest.mark.parametrize(
    "request_kwargs",
    [
        # The OAuth password grant is gone: its form is not JSON, its fields not ours.
        {"data": {"grant_type": "password", "username": "alice", "password": "x"}},
        {"json": {"grant_type": "password", "username": "alice", "password": "x"}},
        {"json": {"username": "alice"}},
        {"json": {"username": "", "password": "x"}},
        {"json": {"username": "alice", "password": 12345}},
    ],
)
async def test_login_wants_a_json_body_with_both_fields(client, request_kwargs) -> None:
    response = await client.post("/v1/login", **request_kwargs)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_oauth_token_endpoint_is_gone(client, passwords) -> None:
    form = {"grant_type": "password", "username": "alice", "password": passwords["alice"]}
    assert (await client.post("/v1/token", data=form)).status_code == 404


async def test_sign_up_stores_an_argon2id_hash(app, client) -> None:
    created = await client.post(
        "/v1/users", json={"username": "carol", "password": "correct horse battery"}
    )
    assert created.status_code == 201
    assert "password" not in created.text
    with app.state.services.sessions() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "carol"))
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored

    token = await client.post(
        "/v1/login", json={"username": "carol", "password": "correct horse battery"}
    )
    assert token.status_code == 200

    taken = await client.post(
        "/v1/users", json={"username": "carol", "password": "another long password"}
    )
    assert taken.status_code == 409


async def test_validation_errors_never_echo_the_password(client) -> None:
    response = await client.post("/v1/users", json={"username": "dave", "password": "short-pw"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]
    assert "short-pw" not in response.text


async def test_missing_token(client) -> None:
    response = await client.get("/v1/tasks")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="task-api"'
    assert response.headers["content-type"] == "application/problem+json"
    basic = await client.get("/v1/tasks", headers={"Authorization": "Basic YWxpY2U6eA=="})
    assert basic.status_code == 401


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "a.b", "", "eyJhbGciOiJub25lIn0", "' OR '1'='1", "." * 3]
)
async def test_malformed_tokens(client, token) -> None:
    await assert_rejected(client, token)


async def test_forged_tokens(app, client, alice) -> None:
    real = alice["Authorization"].removeprefix("Bearer ")
    header, claims = parts(real)
    tokens = app.state.services.tokens
    now = int(time.time())

    # alg none: the signature is simply left off.
    await assert_rejected(
        client, f"{b64url_json({**header, 'alg': 'none'})}.{b64url_json(claims)}."
    )
    # Signed with another ES256 key that claims to be ours.
    other_key = ECKey.generate_key("P-256")
    await assert_rejected(client, jwt.encode(header, claims, other_key, algorithms=["ES256"]))
    # Algorithm confusion: HS256 keyed with our *public* key.
    public_pem = tokens.key.as_pem(private=False)
    confused = f"{b64url_json({**header, 'alg': 'HS256'})}.{b64url_json(claims)}"
    signature = hmac.new(public_pem, confused.encode(), hashlib.sha256).digest()
    await assert_rejected(client, f"{confused}.{b64url(signature)}")
    # The payload edited after signing (a different subject).
    signed_header, _, signature_part = real.split(".")
    await assert_rejected(
        client, f"{signed_header}.{b64url_json({**claims, 'sub': '2'})}.{signature_part}"
    )
    # Right key, wrong claims: expired, future iat, other audience, other issuer,
    # missing exp, unknown user, not an access token (typ).
    for bad_claims in [
        tokens.claims_for(claims["sub"], now - 7200),
        tokens.claims_for(claims["sub"], now + 3600),
        {**claims, "aud": "another-api"},
        {**claims, "iss": "https://evil.example"},
        {key: value for key, value in claims.items() if key != "exp"},
        {**claims, "sub": "999"},
        {**claims, "sub": "alice"},
    ]:
        await assert_rejected(client, tokens.sign(bad_claims))
    id_token_like = jwt.encode({**header, "typ": "JWT"}, claims, tokens.key, algorithms=["ES256"])
    await assert_rejected(client, id_token_like)


async def test_expired_token_message_tells_the_client_why(app, client) -> None:
    tokens = app.state.services.tokens
    expired = tokens.sign(tokens.claims_for("1", int(time.time()) - 7200))
    response = await client.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "expired" in response.json()["detail"]


async def test_tokens_of_another_instance_are_rejected(client, new_app) -> None:
    # Each process generates its key at start: a token from another instance (or from
    # before a restart) does not verify.
    other_app = new_app()
    other_token = other_app.state.services.tokens.issue("1").access_token
    await assert_rejected(client, other_token)


async def test_login_helper_roundtrip(client, log_in) -> None:
    headers = await log_in(client, "bob")
    assert (await client.get("/v1/me", headers=headers)).json()["username"] == "bob"
