"""Registration and sign-in with passkeys, and every attack the checks exist for."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from passkey_login.client_flows import register_account, sign_in
from passkey_login.settings import DEFAULT_ORIGIN, DEFAULT_RP_ID
from passkey_login.soft_authenticator import SoftAuthenticator, b64url, b64url_decode


def problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["detail"]


def stored_counter(http: httpx.Client, account) -> int:
    listed = http.get(f"/v1/users/{account.user_id}/credentials", headers=account.auth).json()
    return listed["data"][0]["sign_count"]


def test_registration_options_demand_a_verified_discoverable_passkey(http):
    response = http.post("/v1/registration/options", json={"username": "options-check"})
    options = response.json()["publicKey"]
    assert options["rp"]["id"] == DEFAULT_RP_ID
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    assert len(b64url_decode(options["challenge"])) >= 32
    assert b64url_decode(options["user"]["id"]) != b"options-check"  # a random handle
    assert {-7, -8, -257} == {p["alg"] for p in options["pubKeyCredParams"]}


def test_register_then_sign_in_with_and_without_username(http, new_account):
    account = new_account()
    assert http.get("/v1/me", headers=account.auth).json()["username"] == account.username

    with_name = sign_in(http, account.authenticator, account.username, origin=DEFAULT_ORIGIN)
    assert with_name.status_code == 200
    assert with_name.json()["user_id"] == account.user_id
    usernameless = sign_in(http, account.authenticator, None, origin=DEFAULT_ORIGIN)
    assert usernameless.json()["user_id"] == account.user_id
    assert stored_counter(http, account) == 2  # the authenticator's counter, stored


def test_username_is_taken_once(http, new_account):
    account = new_account()
    response = http.post("/v1/registration/options", json={"username": account.username})
    problem(response, 409)


def test_username_is_validated(http):
    response = http.post("/v1/registration/options", json={"username": "' OR '1'='1"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "username"]


# --- registration attacks ---


def test_registration_from_another_origin_is_refused(http):
    response = register_account(
        http, SoftAuthenticator(), "phished", origin="https://passkeys.example.test.evil.example"
    )
    assert "origin" in problem(response, 400)
    assert http.post("/v1/registration/options", json={"username": "phished"}).status_code == 200


def test_registration_for_another_rp_id_is_refused(http):
    response = register_account(
        http, SoftAuthenticator(), "wrongrp", origin=DEFAULT_ORIGIN, rp_id="evil.example"
    )
    assert "RP ID" in problem(response, 400)


def test_registration_without_user_verification_is_refused(http):
    response = register_account(
        http, SoftAuthenticator(user_verifying=False), "touchonly", origin=DEFAULT_ORIGIN
    )
    assert "verification" in problem(response, 400)


def test_registration_challenge_is_single_use(http):
    authenticator = SoftAuthenticator()
    ceremony = http.post("/v1/registration/options", json={"username": "once"}).json()
    credential = authenticator.create(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
    body = {"ceremony_id": ceremony["ceremony_id"], "credential": credential}
    assert http.post("/v1/registration", json=body).status_code == 201
    assert "already used" in problem(http.post("/v1/registration", json=body), 400)


# --- authentication attacks ---


def start(http: httpx.Client, username: str | None) -> dict:
    return http.post("/v1/authentication/options", json={"username": username}).json()


def finish(http: httpx.Client, ceremony: dict, assertion: dict) -> httpx.Response:
    return http.post(
        "/v1/authentication",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": assertion},
    )


def test_sign_in_from_another_origin_is_refused(http, new_account):
    account = new_account()
    response = sign_in(http, account.authenticator, account.username, origin="https://evil.example")
    assert "origin" in problem(response, 400)


def test_sign_in_with_another_rp_id_is_refused(http, new_account):
    account = new_account()
    response = sign_in(
        http, account.authenticator, account.username, origin=DEFAULT_ORIGIN, rp_id="evil.example"
    )
    assert "RP ID" in problem(response, 400)


def test_sign_in_without_user_verification_is_refused(http, new_account):
    account = new_account()
    account.authenticator.user_verifying = False
    response = sign_in(http, account.authenticator, account.username, origin=DEFAULT_ORIGIN)
    assert "verification" in problem(response, 400)


def test_challenge_is_single_use_and_bound_to_its_ceremony(http, new_account):
    account = new_account()
    ceremony = start(http, account.username)
    assertion = account.authenticator.get(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
    assert finish(http, ceremony, assertion).status_code == 200
    assert "already used" in problem(finish(http, ceremony, assertion), 400)
    # The captured assertion answered the old challenge, not a new one.
    assert "challenge" in problem(finish(http, start(http, account.username), assertion), 400)


def test_expired_ceremony_is_refused(serve):
    served = serve(ceremony_seconds=0)
    with httpx.Client(base_url=served.url) as client:
        response = register_account(client, SoftAuthenticator(), "late", origin=DEFAULT_ORIGIN)
        assert "expired" in problem(response, 400)


def tamper(encoded: str, index: int) -> str:
    data = bytearray(b64url_decode(encoded))
    data[index] ^= 0x01
    return b64url(bytes(data))


def test_tampered_assertions_are_refused(http, new_account):
    account = new_account()
    for part, index in [("signature", -1), ("authenticatorData", 35), ("clientDataJSON", 20)]:
        ceremony = start(http, account.username)
        assertion = account.authenticator.get(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
        assertion["response"][part] = tamper(assertion["response"][part], index)
        assert finish(http, ceremony, assertion).status_code == 400, part

    # Re-signing nothing but swapping in another challenge: the signature no longer covers it.
    ceremony = start(http, account.username)
    assertion = account.authenticator.get(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
    client_data = json.loads(b64url_decode(assertion["response"]["clientDataJSON"]))
    other = start(http, account.username)
    client_data["challenge"] = other["publicKey"]["challenge"]
    assertion["response"]["clientDataJSON"] = b64url(json.dumps(client_data).encode())
    assert "signature" in problem(finish(http, other, assertion), 400)


def test_counter_regression_reveals_a_cloned_authenticator(http, new_account):
    account = new_account()
    clone = account.authenticator.clone()  # keys copied off the device at counter 0
    for _ in range(2):
        ok = sign_in(http, account.authenticator, account.username, origin=DEFAULT_ORIGIN)
        assert ok.status_code == 200
    response = sign_in(http, clone, account.username, origin=DEFAULT_ORIGIN)  # counter 1 <= 2
    assert "sign count" in problem(response, 400)
    assert stored_counter(http, account) == 2


def test_another_accounts_passkey_cannot_answer_for_this_account(http, new_account):
    alice, bob = new_account(), new_account()
    ceremony = start(http, alice.username)
    # Bob's device answers a ceremony started for alice (allowCredentials ignored).
    ceremony_for_bob = dict(ceremony["publicKey"], allowCredentials=[])
    assertion = bob.authenticator.get(ceremony_for_bob, origin=DEFAULT_ORIGIN)
    assert "another account" in problem(finish(http, ceremony, assertion), 400)


def test_unknown_passkey_is_refused(http):
    ceremony = start(http, None)
    stranger = SoftAuthenticator()
    stranger.create(
        {
            "rp": {"id": DEFAULT_RP_ID, "name": "x"},
            "user": {"id": b64url(b"nobody"), "name": "nobody"},
            "challenge": b64url(b"c" * 32),
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        },
        origin=DEFAULT_ORIGIN,
    )
    assertion = stranger.get(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
    assert "Unknown passkey" in problem(finish(http, ceremony, assertion), 400)


def test_malformed_credentials_are_400_not_500(http, new_account):
    account = new_account()
    ceremony = start(http, account.username)
    assertion = account.authenticator.get(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
    assertion["rawId"] = "%%%not-base64%%%"
    assert finish(http, ceremony, assertion).status_code == 400
    ceremony = start(http, account.username)
    assertion = account.authenticator.get(ceremony["publicKey"], origin=DEFAULT_ORIGIN)
    assertion["response"]["authenticatorData"] = base64.urlsafe_b64encode(b"short").decode()
    assert finish(http, ceremony, assertion).status_code == 400


# --- each user's passkeys ---


def test_passkeys_of_another_user_are_not_found(http, new_account):
    alice, bob = new_account(), new_account()
    alices = f"/v1/users/{alice.user_id}/credentials"
    passkey_id = http.get(alices, headers=alice.auth).json()["data"][0]["id"]
    problem(http.get(alices, headers=bob.auth), 404)
    problem(http.get(f"{alices}/{passkey_id}", headers=bob.auth), 404)
    problem(http.delete(f"{alices}/{passkey_id}", headers=bob.auth), 404)
    assert http.get(f"{alices}/{passkey_id}", headers=alice.auth).status_code == 200


def test_second_passkey_and_deletion(http, new_account):
    account = new_account()
    path = f"/v1/users/{account.user_id}/credentials"
    first = http.get(path, headers=account.auth).json()["data"][0]["id"]
    problem(http.delete(f"{path}/{first}", headers=account.auth), 409)  # the last one

    phone = SoftAuthenticator()
    started = http.post(
        "/v1/credentials/options", json={"nickname": "Phone"}, headers=account.auth
    ).json()
    excluded = [c["id"] for c in started["publicKey"]["excludeCredentials"]]
    assert len(excluded) == 1
    with pytest.raises(ValueError, match="InvalidStateError"):
        account.authenticator.create(started["publicKey"], origin=DEFAULT_ORIGIN)
    credential = phone.create(started["publicKey"], origin=DEFAULT_ORIGIN)
    added = http.post(
        "/v1/credentials",
        json={"ceremony_id": started["ceremony_id"], "credential": credential},
        headers=account.auth,
    )
    assert added.status_code == 201 and added.json()["nickname"] == "Phone"
    assert sign_in(http, phone, account.username, origin=DEFAULT_ORIGIN).status_code == 200

    assert http.delete(f"{path}/{first}", headers=account.auth).status_code == 204
    gone = sign_in(http, account.authenticator, None, origin=DEFAULT_ORIGIN)
    assert "Unknown passkey" in problem(gone, 400)
