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


def test_make_app_seeds_both_users_with_production_hashes(contract, contract_app, contract_client):
    for username in contract.USERS:
        token = contract.access_token(contract_client, username)
        profile = contract_client.get(f"/users/{username}", headers=contract_client.bearer(token))
        assert profile.status_code == 200
    assert contract_app.state.passwords.hasher.memory_cost == 19_456


def test_the_expired_token_is_genuine_but_expired(contract, contract_app, contract_client):
    token = contract.expired_access_token(contract_app, "alice")
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == "alice" and claims["exp"] < contract_app.state.settings.clock()
    response = contract_client.get("/users/alice", headers=contract_client.bearer(token))
    contract_client.problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_owned_objects_stay_private(contract, contract_client):
    alice, bob = (contract.access_token(contract_client, user) for user in contract.USERS)
    alice_path = contract.create_owned_object(contract_client, alice, "label-of-alice")
    bob_path = contract.create_owned_object(contract_client, bob, "label-of-bob")

    own = contract_client.get(alice_path, headers=contract_client.bearer(alice))
    assert "label-of-alice" in own.text
    other = contract_client.get(bob_path, headers=contract_client.bearer(alice))
    assert other.status_code in (403, 404)
    assert "label-of-bob" not in other.text


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
        content=b'{"display_name": "' + b"x" * contract.MAX_BODY_BYTES + b'"}',
        headers={**auth, "content-type": "application/json"},
    )
    contract_client.problem(too_big, 413)

    anonymous = contract_client.request(method, path, json=contract.valid_write_body())
    contract_client.problem(anonymous, 401)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sql_metacharacters_in_every_string_field(contract, contract_client, payload):
    alice, bob = (contract.access_token(contract_client, user) for user in contract.USERS)
    contract.create_owned_object(contract_client, bob, "label-of-bob")
    auth = contract_client.bearer(alice)

    responses = [
        contract_client.get(f"/users/{payload}", headers=auth),
        contract_client.patch(f"/users/{payload}", json={"display_name": payload}, headers=auth),
        contract_client.patch("/users/alice", json={"display_name": payload}, headers=auth),
        contract_client.post("/login", json={"username": payload, "password": payload}),
        contract_client.post(
            "/users",
            json={"username": payload, "email": f"{payload}@x.org", "password": payload * 12},
        ),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        assert "label-of-bob" not in response.text
