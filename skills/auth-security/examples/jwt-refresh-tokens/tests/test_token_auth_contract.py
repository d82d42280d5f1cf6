"""The hooks in contract.py do what the course's API contract suite expects of them."""

from __future__ import annotations

import base64
import json

import pytest

PAYLOADS = ["' OR '1'='1", '"; DROP TABLE x;--', "%", "_"]


@pytest.fixture
def contract_app(contract, tmp_path):
    app = contract.make_app(tmp_path)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def contract_client(serve, contract_app):
    return serve(contract_app)


def test_production_defaults(contract_app):
    settings = contract_app.state.settings
    assert (settings.argon2_memory_kib, settings.argon2_time_cost) == (19_456, 2)
    assert settings.access_token_ttl_seconds == 300
    assert contract_app.state.passwords.hasher.memory_cost == 19_456


def test_make_app_seeds_users_who_can_log_in(contract, contract_client):
    for username in contract.USERS:
        token = contract.access_token(contract_client, username)
        assert (
            contract_client.get("/notes", headers=contract_client.bearer(token)).status_code == 200
        )


def test_the_expired_token_is_genuine_but_expired(contract, contract_app, contract_client):
    fresh = contract.access_token(contract_client, "alice")
    token = contract.expired_access_token(contract_app, "alice")

    def segment(value: str, index: int) -> dict:
        part = value.split(".")[index]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    assert segment(token, 0) == segment(fresh, 0)  # same alg, kid, typ
    assert segment(token, 1)["sub"] == segment(fresh, 1)["sub"]
    response = contract_client.get("/notes", headers=contract_client.bearer(token))
    contract_client.problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_owned_objects_stay_private(contract, contract_client):
    alice, bob = (contract.access_token(contract_client, user) for user in contract.USERS)
    alice_path = contract.create_owned_object(contract_client, alice, "label-of-alice")
    bob_path = contract.create_owned_object(contract_client, bob, "label-of-bob")

    assert (
        "label-of-alice"
        in contract_client.get(alice_path, headers={"Authorization": f"Bearer {alice}"}).text
    )  # noqa: E501
    other = contract_client.get(bob_path, headers=contract_client.bearer(alice))
    assert other.status_code in (403, 404) and "label-of-bob" not in other.text
    listing = contract_client.get("/notes", headers=contract_client.bearer(alice))
    assert "label-of-bob" not in listing.text


def test_the_write_operation(contract, contract_client):
    method, path = contract.WRITE_OPERATION
    auth = contract_client.bearer(contract.access_token(contract_client, contract.USERS[0]))

    ok = contract_client.request(method, path, json=contract.valid_write_body(), headers=auth)
    assert 200 <= ok.status_code < 300
    unknown = contract_client.request(
        method, path, json={**contract.valid_write_body(), "surprise": 1}, headers=auth
    )
    contract_client.problem(unknown, 422)
    too_big = contract_client.request(
        method,
        path,
        content=b" " * (contract.MAX_BODY_BYTES + 1),
        headers={**auth, "content-type": "application/json"},
    )
    contract_client.problem(too_big, 413)
    contract_client.problem(
        contract_client.request(method, path, json=contract.valid_write_body()), 401
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sql_metacharacters_never_5xx_or_leak(contract, contract_client, payload):
    alice, bob = (contract.access_token(contract_client, user) for user in contract.USERS)
    contract.create_owned_object(contract_client, bob, "label-of-bob")
    auth = contract_client.bearer(alice)
    responses = [
        contract_client.get("/notes", params={"contains": payload}, headers=auth),
        contract_client.get(f"/notes/{payload}", headers=auth),
        contract_client.post("/notes", json={"title": payload, "body": payload}, headers=auth),
        contract_client.post("/auth/login", json={"username": payload, "password": payload}),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        assert "label-of-bob" not in response.text
