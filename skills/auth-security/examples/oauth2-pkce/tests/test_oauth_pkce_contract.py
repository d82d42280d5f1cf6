"""The course's API contract, through this example's contract.py hooks, on a real server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey

SQL_PAYLOADS = ["' OR '1'='1", '"; DROP TABLE notes;--', "%", "_"]


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


def test_hooks_drive_the_real_flow(contract, client, tokens):
    assert contract.USERS == ("alice", "bob")
    method, path = contract.WRITE_OPERATION
    response = client.request(
        method, path, json=contract.valid_write_body(), headers=auth(tokens["alice"])
    )
    assert 200 <= response.status_code < 300
    key = ECKey.import_key(client.get("/jwks.json").json()["keys"][0])
    claims = jwt.decode(tokens["alice"], key, algorithms=["ES256"]).claims
    assert claims["aud"] == "https://api.example.test/notes"
    assert claims["iss"] == "https://auth.example.test"


def test_another_users_object_is_not_found(contract, client, tokens):
    path = contract.create_owned_object(client, tokens["alice"], "label-alice-1")
    assert "label-alice-1" in client.get(path, headers=auth(tokens["alice"])).text
    assert_problem(client.get(path, headers=auth(tokens["bob"])), 404)


def test_bearer_failures_are_401_with_a_challenge(contract, contract_server, client, tokens):
    real = tokens["alice"]
    header_b64, claims_b64, _ = real.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    claims = json.loads(base64.urlsafe_b64decode(claims_b64 + "=="))
    stranger = ECKey.generate_key("P-256")
    cases = {
        "missing": {},
        "malformed": auth("not-a-jwt"),
        "wrong scheme": {"Authorization": f"Basic {real}"},
        "alg none": auth(f"{b64({**header, 'alg': 'none'})}.{claims_b64}."),
        "expired": auth(contract.expired_access_token(contract_server.app, "alice")),
        "other key": auth(jwt.encode(header, claims, stranger)),
        "tampered": auth(f"{header_b64}.{b64({**claims, 'sub': 'someone-else'})}.{_}"),
    }
    for name, headers in cases.items():
        response = client.get("/api/notes", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer"), name
    assert client.get("/api/notes", headers=auth(real)).status_code == 200


def test_unknown_fields_are_422_with_errors(client, tokens):
    response = client.post(
        "/api/notes", json={"title": "x", "is_admin": True}, headers=auth(tokens["alice"])
    )
    body = assert_problem(response, 422)
    assert {"loc": ["body", "is_admin"], "msg": "Extra inputs are not permitted"} in body["errors"]


def test_bodies_over_the_limit_are_413(contract, client, tokens):
    big = {"title": "x", "body": "y" * contract.MAX_BODY_BYTES}
    assert_problem(client.post("/api/notes", json=big, headers=auth(tokens["alice"])), 413)

    def chunks():  # no Content-Length: the middleware must count the stream
        yield b'{"title": "x", "body": "'
        for _ in range(contract.MAX_BODY_BYTES // 1024 + 1):
            yield b"y" * 1024
        yield b'"}'

    streamed = client.post(
        "/api/notes",
        content=chunks(),
        headers={**auth(tokens["alice"]), "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)
    # The token endpoint is guarded too.
    assert_problem(
        client.post(
            "/token",
            content=b"a" * (contract.MAX_BODY_BYTES + 1),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        413,
    )


def test_sql_metacharacters_never_cause_5xx_or_leaks(contract, client, tokens):
    contract.create_owned_object(client, tokens["bob"], "label-bob-secret")
    for payload in SQL_PAYLOADS:
        responses = [
            client.get("/api/notes", params={"q": payload}, headers=auth(tokens["alice"])),
            client.get(f"/api/notes/{payload}", headers=auth(tokens["alice"])),
            client.post(
                "/api/notes",
                json={"title": payload, "body": payload},
                headers=auth(tokens["alice"]),
            ),
            client.get(
                "/authorize",
                params={
                    "client_id": payload,
                    "redirect_uri": payload,
                    "response_type": payload,
                    "state": payload,
                },
            ),
            client.post(
                "/token", data={"grant_type": payload, "code": payload, "client_id": payload}
            ),
        ]
        for response in responses:
            assert response.status_code < 500, response.text
            assert "label-bob-secret" not in response.text


def test_every_error_is_a_problem(contract_server, client, tokens):
    assert_problem(client.get("/no/such/route"), 404)
    assert_problem(client.put("/api/notes", headers=auth(tokens["alice"])), 405)

    def explode() -> None:
        raise RuntimeError("secret internals")

    contract_server.app.add_api_route("/explode", explode, include_in_schema=False)
    # Its own connection: uvicorn closes the connection after an unhandled exception.
    with httpx.Client(base_url=contract_server.url) as fresh:
        exploded = fresh.get("/explode")
    assert_problem(exploded, 500)
    assert "secret internals" not in exploded.text


def test_schema_declares_the_limit_and_security(contract, contract_server, client):
    assert contract.MAX_BODY_BYTES == contract_server.app.state.settings.max_body_bytes
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            protected = path.startswith("/api/") or path == "/userinfo"
            assert bool(operation.get("security")) == protected, path


def test_app_module_builds_the_app_from_the_environment(
    tmp_path: Path, monkeypatch, example_module
):
    monkeypatch.setenv("OAUTH_PKCE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OAUTH_PKCE_DEMO_PASSWORD", "a-password-for-this-test")
    module = example_module("app")
    assert isinstance(module.app, FastAPI)
    assert (tmp_path / "oauth.db").exists()
    assert (tmp_path / "signing-key.jwk.json").stat().st_mode & 0o077 == 0  # owner only


def test_plain_http_off_loopback_is_refused_not_crashed(contract_server, client):
    # Authlib allows http only for loopback hosts; a proxy forgetting https gets a 400.
    response = client.get(
        "/authorize", params={"client_id": "notes-web"}, headers={"Host": "auth.example.test"}
    )
    assert "https" in assert_problem(response, 400)["detail"]
