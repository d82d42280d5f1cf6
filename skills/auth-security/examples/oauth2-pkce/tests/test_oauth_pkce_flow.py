"""The happy path, end to end: discovery, sign-in, code + PKCE, ID token, API calls."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_discovery_document_announces_only_the_strict_choices(http, served):
    document = http.get("/.well-known/openid-configuration").json()
    assert document["issuer"] == served.url
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["token_endpoint_auth_methods_supported"] == ["none"]
    assert document["authorization_response_iss_parameter_supported"] is True


def test_jwks_publishes_the_public_key_only(http):
    keys = http.get("/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-256" and keys[0]["kid"]
    assert "d" not in keys[0]  # the private part


def test_full_flow_signs_in_and_calls_the_api(http, served, relying_party, passwords):
    pending = relying_party.begin()
    query = parse_qs(urlsplit(pending.authorization_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [create_s256_code_challenge(pending.code_verifier)]
    assert query["nonce"] == [pending.nonce] and query["state"] == [pending.state]

    page = http.get(pending.authorization_url)
    assert page.status_code == 200 and "<form" in page.text
    assert page.headers["x-frame-options"] == "DENY"  # the consent page cannot be framed

    answer = http.post(
        pending.authorization_url,
        data={"username": "alice", "password": passwords["alice"], "decision": "approve"},
    )
    assert answer.status_code == 302
    callback = answer.headers["location"]
    assert callback.startswith("https://client.example.test/callback?")
    params = parse_qs(urlsplit(callback).query)
    assert params["state"] == [pending.state]
    assert params["iss"] == [served.url]  # RFC 9207

    signed_in = relying_party.complete(pending, callback)
    assert signed_in.token["token_type"] == "Bearer"
    assert "refresh_token" not in signed_in.token  # none for this public client
    assert signed_in.id_claims["preferred_username"] == "alice"
    assert signed_in.id_claims["nonce"] == pending.nonce
    assert signed_in.id_claims["aud"] == ["notes-web"]

    access = jwt.decode(
        signed_in.access_token, KeySet.import_key_set(http.get("/jwks.json").json())
    )
    assert access.header["typ"] == "at+jwt"
    assert access.claims["aud"] == served.settings.api_audience
    assert access.claims["sub"] == signed_in.id_claims["sub"]
    assert access.claims["client_id"] == "notes-web"

    created = http.post(
        "/api/notes",
        json={"title": "Groceries", "body": "eggs"},
        headers=bearer(signed_in.access_token),
    )
    assert created.status_code == 201
    note_path = created.headers["location"]
    assert (
        http.get(note_path, headers=bearer(signed_in.access_token)).json()["title"] == "Groceries"
    )
    listed = http.get("/api/notes", headers=bearer(signed_in.access_token)).json()
    assert "Groceries" in [n["title"] for n in listed["data"]]
    assert http.delete(note_path, headers=bearer(signed_in.access_token)).status_code == 204
    assert http.get(note_path, headers=bearer(signed_in.access_token)).status_code == 404

    info = http.get("/userinfo", headers=bearer(signed_in.access_token)).json()
    assert info == {
        "sub": signed_in.id_claims["sub"],
        "preferred_username": "alice",
        "name": "Alice",
    }


def test_user_who_denies_consent_sends_access_denied_to_the_client(http, relying_party, passwords):
    pending = relying_party.begin()
    answer = http.post(
        pending.authorization_url,
        data={"username": "alice", "password": passwords["alice"], "decision": "deny"},
    )
    params = parse_qs(urlsplit(answer.headers["location"]).query)
    assert params["error"] == ["access_denied"] and "code" not in params
    assert params["state"] == [pending.state]


def test_wrong_password_gets_no_code(http, relying_party):
    pending = relying_party.begin()
    answer = http.post(
        pending.authorization_url,
        data={"username": "alice", "password": "not-her-password", "decision": "approve"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert "location" not in answer.headers
    # The same answer for an unknown user: the form does not reveal who has an account.
    unknown = http.post(
        pending.authorization_url,
        data={"username": "mallory", "password": "x", "decision": "approve"},
    )
    assert unknown.status_code == 400 and unknown.json()["detail"] == answer.json()["detail"]


def test_two_users_get_different_subjects_and_see_only_their_notes(http, sign_in):
    alice, bob = sign_in("alice"), sign_in("bob")
    assert alice.id_claims["sub"] != bob.id_claims["sub"]
    path = http.post(
        "/api/notes", json={"title": "alice secret"}, headers=bearer(alice.access_token)
    ).headers["location"]
    assert http.get(path, headers=bearer(bob.access_token)).status_code == 404
    assert http.delete(path, headers=bearer(bob.access_token)).status_code == 404
    bobs = http.get("/api/notes", headers=bearer(bob.access_token)).json()["data"]
    assert "alice secret" not in [n["title"] for n in bobs]
    assert http.get(path, headers=bearer(alice.access_token)).status_code == 200


def test_search_treats_like_wildcards_as_text(http, sign_in):
    token = sign_in("bob").access_token
    for title in ["100% done", "1000 things", "a_b", "ab"]:
        http.post("/api/notes", json={"title": title}, headers=bearer(token))

    def search(q: str) -> list[str]:
        response = http.get("/api/notes", params={"q": q}, headers=bearer(token))
        return [n["title"] for n in response.json()["data"]]

    assert search("%") == ["100% done"]
    assert search("_") == ["a_b"]
    assert search("10") == ["100% done", "1000 things"]


def test_the_app_serves_its_schema_with_oauth2_security(http):
    schema = httpx.Response(200, content=http.get("/openapi.json").content).json()
    scheme = schema["components"]["securitySchemes"]["OAuth2AuthorizationCodeBearer"]
    assert scheme["type"] == "oauth2" and "authorizationCode" in scheme["flows"]
    assert schema["paths"]["/api/notes"]["post"]["security"]
    assert "security" not in schema["paths"]["/token"]["post"]
