"""The course's API contract, through this example's contract.py hooks, on a real server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import OctKey

SQL_PAYLOADS = ["' OR '1'='1", '"; DROP TABLE credentials;--', "%", "_"]


@pytest.fixture(scope="module")
def client(contract_server) -> httpx.Client:
    with httpx.Client(base_url=contract_server.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def tokens(contract, client) -> dict[str, str]:
    return {name: contract.access_token(client, name) for name in contract.USERS}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def test_hooks_register_and_sign_in_through_the_api(contract, client, tokens):
    assert contract.USERS == ("alice", "bob")
    assert client.get("/v1/me", headers=auth(tokens["alice"])).json()["username"] == "alice"
    again = contract.access_token(client, "alice")  # a second sign-in, same passkey
    assert client.get("/v1/me", headers=auth(again)).status_code == 200
    method, path = contract.WRITE_OPERATION
    response = client.request(
        method, path, json=contract.valid_write_body(), headers=auth(tokens["alice"])
    )
    assert 200 <= response.status_code < 300


def test_another_users_object_is_not_found(contract, client, tokens):
    path = contract.create_owned_object(client, tokens["alice"], "label-alice-1")
    assert "label-alice-1" in client.get(path, headers=auth(tokens["alice"])).text
    assert_problem(client.get(path, headers=auth(tokens["bob"])), 404)


def test_bearer_failures_are_401_with_a_challenge(contract, contract_server, client, tokens):
    real = tokens["alice"]
    header_b64, claims_b64, signature = real.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    claims = json.loads(base64.urlsafe_b64decode(claims_b64 + "=="))
    cases = {
        "missing": {},
        "malformed": auth("not-a-jwt"),
        "wrong scheme": {"Authorization": f"Basic {real}"},
        "alg none": auth(f"{b64({**header, 'alg': 'none'})}.{claims_b64}."),
        "expired": auth(contract.expired_access_token(contract_server.app, "alice")),
        "other key": auth(jwt.encode(header, claims, OctKey.generate_key(256))),
        "tampered": auth(f"{header_b64}.{b64({**claims, 'sub': '2'})}.{signature}"),
    }
    for name, headers in cases.items():
        response = client.get("/v1/me", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer"), name
    assert client.get("/v1/me", headers=auth(real)).status_code == 200


def test_unknown_fields_are_422_with_errors(client, tokens):
    response = client.post(
        "/v1/credentials/options",
        json={"nickname": "x", "is_admin": True},
        headers=auth(tokens["alice"]),
    )
    body = assert_problem(response, 422)
    assert {"loc": ["body", "is_admin"], "msg": "Extra inputs are not permitted"} in body["errors"]


def test_bodies_over_the_limit_are_413(contract, client, tokens):
    big = {"nickname": "y" * contract.MAX_BODY_BYTES}
    assert_problem(
        client.post("/v1/credentials/options", json=big, headers=auth(tokens["alice"])), 413
    )

    def chunks():  # no Content-Length: the middleware must count the stream
        yield b'{"nickname": "'
        for _ in range(contract.MAX_BODY_BYTES // 1024 + 1):
            yield b"y" * 1024
        yield b'"}'

    streamed = client.post(
        "/v1/credentials/options",
        content=chunks(),
        headers={**auth(tokens["alice"]), "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)


def test_sql_metacharacters_never_cause_5xx_or_leaks(contract, client, tokens):
    bob_path = contract.create_owned_object(client, tokens["bob"], "label-bob-secret")
    alice_id = client.get("/v1/me", headers=auth(tokens["alice"])).json()["id"]
    for payload in SQL_PAYLOADS:
        responses = [
            client.post("/v1/registration/options", json={"username": payload}),
            client.post("/v1/authentication/options", json={"username": payload}),
            client.post(
                "/v1/credentials/options", json={"nickname": payload}, headers=auth(tokens["alice"])
            ),
            client.get(f"/v1/users/{payload}/credentials", headers=auth(tokens["alice"])),
            client.get(f"{bob_path}{payload}", headers=auth(tokens["alice"])),
            client.get(f"/v1/users/{alice_id}/credentials", headers=auth(tokens["alice"])),
            client.post(
                "/v1/authentication",
                json={
                    "ceremony_id": payload,
                    "credential": {
                        "id": payload,
                        "rawId": payload,
                        "type": "public-key",
                        "response": {
                            "clientDataJSON": payload,
                            "authenticatorData": payload,
                            "signature": payload,
                        },
                    },
                },
            ),
        ]
        for response in responses:
            assert response.status_code < 500, response.text
            assert "label-bob-secret" not in response.text


def test_every_error_is_a_problem(contract_server, client, tokens):
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.put("/v1/me", headers=auth(tokens["alice"])), 405)

    def explode() -> None:
        raise RuntimeError("secret internals")

    contract_server.app.add_api_route("/explode", explode, include_in_schema=False)
    # Its own connection: uvicorn closes the connection after an unhandled exception.
    with httpx.Client(base_url=contract_server.url) as fresh:
        exploded = fresh.get("/explode")
    assert_problem(exploded, 500)
    assert "secret internals" not in exploded.text


def test_schema_declares_bearer_security(contract, contract_server, client):
    assert contract.MAX_BODY_BYTES == contract_server.app.state.settings.max_body_bytes
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    public = {
        "/v1/registration/options",
        "/v1/registration",
        "/v1/authentication/options",
        "/v1/authentication",
    }
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert bool(operation.get("security")) == (path not in public), path


def test_app_module_builds_the_app_from_the_environment(
    tmp_path: Path, monkeypatch, example_module
):
    monkeypatch.setenv("PASSKEY_LOGIN_DATA_DIR", str(tmp_path))
    module = example_module("app")
    assert isinstance(module.app, FastAPI)
    assert module.app.state.settings.rp_id == "localhost"
    assert (tmp_path / "token-key.jwk.json").stat().st_mode & 0o077 == 0  # owner only
