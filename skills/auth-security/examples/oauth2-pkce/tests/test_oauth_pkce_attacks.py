"""Each attack the flow's checks exist for, attempted and refused."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import ECKey
from oauth_pkce.client import LoginFailed, ProviderMetadata, RelyingParty, sign_in_with_password
from oauth_pkce.db import User
from oauth_pkce.settings import NOTES_WEB, OTHER_APP
from oauth_pkce.tokens import AccessTokenGenerator
from sqlalchemy import select

REDIRECT_URI = NOTES_WEB.redirect_uris[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def authorize_query(**overrides: str | None) -> str:
    verifier = generate_token(48)
    params = {
        "response_type": "code",
        "client_id": "notes-web",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid notes",
        "state": "state-1",
        "nonce": generate_token(16),
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return "/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def redirect_params(response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)


def code_for(http, passwords, url: str, username: str = "alice") -> str:
    callback = sign_in_with_password(http, url, username, passwords[username])
    return parse_qs(urlsplit(callback).query)["code"][0]


def redeem(http, code: str, verifier: str, redirect_uri: str = REDIRECT_URI, **extra: str):
    return http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": "notes-web",
            "code_verifier": verifier,
            **extra,
        },
    )


# --- PKCE ---


def test_request_without_pkce_is_refused_at_the_authorization_endpoint(http, passwords):
    url = authorize_query(code_challenge=None, code_challenge_method=None)
    params = redirect_params(http.get(url))  # no login page: straight back with an error
    assert params["error"] == ["invalid_request"]
    assert "PKCE" in params["error_description"][0]
    # Posting the login form directly does not get a code either.
    answer = http.post(
        url, data={"username": "alice", "password": passwords["alice"], "decision": "approve"}
    )
    assert "code" not in redirect_params(answer)


@pytest.mark.parametrize("method", ["plain", None, "S512"])
def test_only_s256_is_accepted(http, method):
    url = authorize_query(code_challenge="x" * 43, code_challenge_method=method)
    params = redirect_params(http.get(url))
    assert params["error"] == ["invalid_request"]


def test_wrong_code_verifier_is_invalid_grant(http, relying_party, passwords):
    pending = relying_party.begin()
    code = code_for(http, passwords, pending.authorization_url)
    wrong = redeem(http, code, generate_token(48))
    assert wrong.status_code == 400
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["error"] == "invalid_grant"
    assert "access_token" not in wrong.text
    missing = redeem(http, code, "")
    assert missing.json()["error"] == "invalid_request"
    # The verifier that belongs to the request still works: the code was not spent.
    assert redeem(http, code, pending.code_verifier).status_code == 200


# --- one-time codes ---


def test_reused_code_is_refused_and_revokes_what_it_issued(http, relying_party, passwords):
    pending = relying_party.begin()
    code = code_for(http, passwords, pending.authorization_url)
    first = redeem(http, code, pending.code_verifier)
    assert first.status_code == 200
    token = first.json()["access_token"]
    assert http.get("/api/notes", headers=bearer(token)).status_code == 200

    second = redeem(http, code, pending.code_verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    revoked = http.get("/api/notes", headers=bearer(token))
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]


def test_expired_code_is_refused(serve, passwords):
    served = serve(code_seconds=0)
    with httpx.Client(base_url=served.url) as http:
        rp = RelyingParty(
            http,
            ProviderMetadata.discover(http, served.url),
            client_id="notes-web",
            redirect_uri=REDIRECT_URI,
        )
        pending = rp.begin()
        code = code_for(http, passwords, pending.authorization_url)
        time.sleep(1.05)  # codes expire on second boundaries
        assert redeem(http, code, pending.code_verifier).json()["error"] == "invalid_grant"


# --- redirect URIs and clients ---


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "https://client.example.test/callback/../evil",
        "https://client.example.test/callback?next=x",
        "https://client.example.test/callback/",
        "http://client.example.test/callback",
        None,
    ],
)
def test_unregistered_redirect_uri_is_shown_an_error_never_redirected_to(http, redirect_uri):
    response = http.get(authorize_query(redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] == "invalid_request"


def test_redirect_uri_must_match_at_the_token_endpoint(http, relying_party, passwords):
    pending = relying_party.begin()
    code = code_for(http, passwords, pending.authorization_url)
    other = redeem(http, code, pending.code_verifier, redirect_uri=OTHER_APP.redirect_uris[0])
    assert other.json()["error"] == "invalid_grant"


def test_unknown_client_is_refused_without_redirect(http):
    response = http.get(authorize_query(client_id="nobody"))
    assert response.status_code == 400 and "location" not in response.headers
    assert response.json()["error"] == "invalid_client"


def test_code_issued_to_one_client_cannot_be_redeemed_by_another(http, relying_party, passwords):
    pending = relying_party.begin()
    code = code_for(http, passwords, pending.authorization_url)
    stolen = redeem(http, code, pending.code_verifier, client_id="other-app")
    assert stolen.json()["error"] == "invalid_grant"


def test_scope_the_client_may_not_have_is_refused(http):
    params = redirect_params(
        http.get(
            authorize_query(
                client_id="other-app", redirect_uri=OTHER_APP.redirect_uris[0], scope="openid notes"
            )
        )
    )
    assert params["error"] == ["invalid_scope"]


# --- grants OAuth 2.1 removed ---


def test_implicit_flow_is_not_supported(http):
    params = redirect_params(http.get(authorize_query(response_type="token")))
    assert params["error"] == ["unsupported_response_type"]
    assert "access_token" not in params


def test_password_grant_is_not_supported(http, passwords):
    response = http.post(
        "/token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": passwords["alice"],
            "client_id": "notes-web",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_repeated_parameters_are_refused(http):
    url = authorize_query() + "&redirect_uri=" + "https%3A%2F%2Fevil.example%2Fcb"
    response = http.get(url)
    assert response.status_code == 400 and "location" not in response.headers


# --- nonce and state ---


def test_nonce_is_required_and_single_use(http, relying_party, passwords):
    params = redirect_params(http.get(authorize_query(nonce=None)))
    assert params["error"] == ["invalid_request"]

    pending = relying_party.begin()
    code_for(http, passwords, pending.authorization_url)
    replay = http.get(pending.authorization_url)  # the same nonce again
    assert redirect_params(replay)["error"] == ["invalid_request"]


def test_client_detects_state_mismatch_before_redeeming(http, relying_party, passwords):
    mine, forged = relying_party.begin(), relying_party.begin()
    # An attacker's callback (a code for the attacker's own session) lands in this browser.
    callback = sign_in_with_password(http, forged.authorization_url, "bob", passwords["bob"])
    with pytest.raises(LoginFailed, match="state"):
        relying_party.complete(mine, callback)
    # The code was never sent to the token endpoint: its owner can still redeem it.
    assert relying_party.complete(forged, callback).id_claims["preferred_username"] == "bob"


def test_client_refuses_a_callback_from_another_issuer(http, relying_party, passwords):
    pending = relying_party.begin()
    callback = sign_in_with_password(http, pending.authorization_url, "alice", passwords["alice"])
    mixed_up = callback.replace("iss=http", "iss=https%3A%2F%2Fevil.example%2Fhttp")
    with pytest.raises(LoginFailed, match="issuer"):
        relying_party.complete(pending, mixed_up)


def test_client_refuses_a_token_smuggled_in_the_fragment(relying_party):
    pending = relying_party.begin()
    with pytest.raises(LoginFailed, match="fragment"):
        relying_party.complete(pending, f"{REDIRECT_URI}#access_token=x&state={pending.state}")


# --- ID token validation by the client ---


def signed_id_token(served, **claim_overrides):
    now = int(time.time())
    claims = {
        "iss": served.url,
        "aud": ["notes-web"],
        "sub": "someone",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
    }
    claims.update(claim_overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    key = served.app.state.signing_key
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def test_id_token_checks(served, relying_party):
    assert relying_party.validate_id_token(signed_id_token(served), nonce="n-1")["sub"] == "someone"
    refused = {
        "nonce mismatch": (signed_id_token(served), "n-2"),
        "no nonce": (signed_id_token(served, nonce=None), "n-1"),
        "expired": (signed_id_token(served, exp=int(time.time()) - 60), "n-1"),
        "other audience": (signed_id_token(served, aud=["other-app"]), "n-1"),
        "other issuer": (signed_id_token(served, iss="https://evil.example"), "n-1"),
    }
    for reason, (token, nonce) in refused.items():
        with pytest.raises(LoginFailed):
            relying_party.validate_id_token(token, nonce=nonce)
            pytest.fail(reason)


def test_tampered_or_foreign_id_tokens_are_refused(served, relying_party):
    token = signed_id_token(served)
    header, payload, signature = token.split(".")
    other = signed_id_token(served, sub="admin").split(".")[1]
    with pytest.raises(LoginFailed):
        relying_party.validate_id_token(f"{header}.{other}.{signature}", nonce="n-1")
    stranger = ECKey.generate_key("P-256", auto_kid=True)
    foreign = jwt.encode(
        {"alg": "ES256", "kid": served.app.state.signing_key.kid},
        {
            "iss": served.url,
            "aud": ["notes-web"],
            "sub": "x",
            "nonce": "n-1",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        stranger,
    )
    with pytest.raises(LoginFailed):
        relying_party.validate_id_token(foreign, nonce="n-1")
    with pytest.raises(LoginFailed):
        relying_party.validate_id_token(f"{header.replace('RVMy', 'bm9u')}.{payload}.", nonce="n-1")


# --- access tokens at the resource API ---


def test_token_for_another_audience_is_refused(http, served, sign_in):
    signed_in = sign_in("alice")
    other_api = AccessTokenGenerator(
        served.url, served.app.state.signing_key, "https://api.example.test/billing", 300
    )
    with served.app.state.sessions() as db:
        alice = db.scalars(select(User).where(User.username == "alice")).one()
    token = other_api.mint(NOTES_WEB, alice, "openid notes")
    response = http.get("/api/notes", headers=bearer(token))
    assert response.status_code == 401
    assert "aud" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert http.get("/api/notes", headers=bearer(signed_in.access_token)).status_code == 200


def test_id_token_is_not_an_access_token(http, sign_in):
    signed_in = sign_in("alice")
    response = http.get("/api/notes", headers=bearer(signed_in.token["id_token"]))
    assert response.status_code == 401
    assert "at+jwt" in response.json()["detail"]


def test_token_without_the_scope_gets_403_insufficient_scope(serve, passwords):
    served = serve()
    with httpx.Client(base_url=served.url) as http:
        rp = RelyingParty(
            http,
            ProviderMetadata.discover(http, served.url),
            client_id="other-app",
            redirect_uri=OTHER_APP.redirect_uris[0],
            scope="openid profile",
        )
        pending = rp.begin()
        callback = sign_in_with_password(
            http, pending.authorization_url, "alice", passwords["alice"]
        )
        token = rp.complete(pending, callback).access_token
        response = http.get("/api/notes", headers=bearer(token))
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
        assert http.get("/userinfo", headers=bearer(token)).status_code == 200
