"""Every known way to get a forged or misused JWT accepted, tried and refused with a 401.

Attack tokens are built like an attacker would: by hand as base64url JSON (alg none, HMAC
with the public key) or with joserfc and a key of the attacker's own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey
from token_auth.access_tokens import ALGORITHM


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict, dict]:
    def decode(segment: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    header, payload, _ = token.split(".")
    return decode(header), decode(payload)


def hs256(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


@pytest.fixture
def pair(client) -> dict:
    client.register("alice")
    return client.tokens_for("alice")


@pytest.fixture
def real_key(app) -> OKPKey:
    """The app's private signing key: for tokens that are correctly signed but wrong."""
    return app.state.access_tokens.keys.current


def sign(key: OKPKey, header: dict, claims: dict) -> str:
    return jwt.encode({"alg": ALGORITHM, **header}, claims, key, algorithms=[ALGORITHM])


def sign_by_hand(key: OKPKey, header: dict, claims: dict) -> str:
    """Ed25519 over any header at all, even one joserfc refuses to write."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    return f"{signing_input}.{b64url(key.get_op_key('sign').sign(signing_input.encode()))}"


def assert_rejected(client, token: str, case: object = None) -> None:
    response = client.get("/notes", headers=client.bearer(token))
    assert response.status_code == 401, (case, response.text)
    client.problem(response, 401)
    assert (
        response.headers["www-authenticate"] == 'Bearer realm="token-auth", error="invalid_token"'
    )


def test_the_genuine_token_works(client, pair):
    header, claims = parts(pair["access_token"])
    assert header["alg"] == "Ed25519" and header["typ"] == "at+jwt" and header["kid"]
    assert {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid"} <= claims.keys()
    assert client.get("/notes", headers=client.bearer(pair["access_token"])).status_code == 200


def test_no_token_is_401_with_a_bearer_challenge(client, pair):
    response = client.get("/notes")
    client.problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="token-auth"'


MALFORMED = [
    "abc",
    "a.b.c",
    "a.b",
    "...",
    "e30.e30.e30",
    "eyJhbGciOiJFZDI1NTE5In0.e30.",
    "x" * 4000,
]


def test_malformed_tokens_are_401(client, pair):
    for token in MALFORMED:
        assert_rejected(client, token, token[:40])


def test_the_refresh_token_is_not_an_access_token(client, pair):
    assert_rejected(client, pair["refresh_token"])


def test_alg_none_is_401(client, pair):
    header, claims = parts(pair["access_token"])
    signature = pair["access_token"].split(".")[2]
    for alg in ("none", "None", "NONE", "nOnE"):
        unsigned = f"{b64url_json({**header, 'alg': alg})}.{b64url_json(claims)}."
        assert_rejected(client, unsigned, alg)
        # Keeping the real signature does not help either.
        assert_rejected(client, unsigned + signature, alg)


def test_key_confusion_hs256_signed_with_the_public_key_is_401(client, pair, app):
    """The classic: a verifier that lets the token pick HS256 would use the public key,
    which everyone can download, as the HMAC secret."""
    header, claims = parts(pair["access_token"])
    jwk = app.state.access_tokens.keys.jwks()["keys"][0]
    public = OKPKey.import_key(jwk).get_op_key("verify")
    secrets_an_attacker_has = [
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        json.dumps(jwk).encode(),
        jwk["x"].encode(),
    ]
    for secret in secrets_an_attacker_has:
        assert_rejected(client, hs256({**header, "alg": "HS256"}, claims, secret))


def test_a_token_signed_by_another_key_under_the_real_kid_is_401(client, pair):
    header, claims = parts(pair["access_token"])
    attacker = OKPKey.generate_key("Ed25519")
    assert_rejected(client, sign(attacker, {"kid": header["kid"], "typ": "at+jwt"}, claims))


def test_a_token_signed_by_another_key_with_its_own_kid_is_401(client, pair):
    _, claims = parts(pair["access_token"])
    attacker = OKPKey.generate_key("Ed25519", auto_kid=True)
    assert_rejected(client, sign(attacker, {"kid": attacker.kid, "typ": "at+jwt"}, claims))


def test_another_asymmetric_algorithm_is_401(client, pair):
    header, claims = parts(pair["access_token"])
    es256 = ECKey.generate_key("P-256")
    token = jwt.encode(
        {"alg": "ES256", "kid": header["kid"], "typ": "at+jwt"}, claims, es256, algorithms=["ES256"]
    )
    assert_rejected(client, token)


def test_kid_must_name_a_published_key(client, pair, real_key):
    header, claims = parts(pair["access_token"])
    without_kid = {k: v for k, v in header.items() if k != "kid"}
    for case in ({**header, "kid": "no-such-key"}, without_kid, {**header, "kid": 7}):
        assert_rejected(client, sign_by_hand(real_key, case, claims), case)


def test_a_jwt_that_is_not_an_access_token_is_401(client, pair, real_key):
    """An ID token signed by the same key (typ JWT) must not open the API."""
    header, claims = parts(pair["access_token"])
    for typ in ("JWT", "jwt", "id_token+jwt", None):
        new_header = {"alg": ALGORITHM, "kid": header["kid"]} | ({"typ": typ} if typ else {})
        token = jwt.encode(new_header, claims, real_key, algorithms=[ALGORITHM], default_type=None)
        assert_rejected(client, token, typ)


def test_an_id_token_shaped_token_is_401_even_with_the_access_typ(client, pair, real_key):
    header, claims = parts(pair["access_token"])
    id_token_claims = {**claims, "aud": "some-client-id", "nonce": "n-0S6_WzA2Mj"}
    assert_rejected(
        client, sign(real_key, {"kid": header["kid"], "typ": "at+jwt"}, id_token_claims)
    )


def test_the_hand_signer_makes_tokens_the_app_accepts(client, pair, real_key):
    # So the tokens above fail for the reason each test names, not for being hand-made.
    header, claims = parts(pair["access_token"])
    token = sign_by_hand(real_key, header, claims)
    assert client.get("/notes", headers=client.bearer(token)).status_code == 200


def test_application_at_jwt_is_the_same_type(client, pair, real_key):
    header, claims = parts(pair["access_token"])
    token = sign(real_key, {"kid": header["kid"], "typ": "application/at+jwt"}, claims)
    assert client.get("/notes", headers=client.bearer(token)).status_code == 200


WRONG_CLAIMS = [
    ("iss", "https://evil.example"),
    ("aud", "another-api"),
    ("aud", ["another-api"]),
    ("exp", 1_800_000_000 - 3600),
    ("nbf", 1_800_000_000 + 3600),
    ("iat", 1_800_000_000 + 3600),
    ("exp", "never"),
    ("sub", "not-a-number"),
    ("sid", 42),
]


def test_wrong_claims_signed_with_the_real_key_are_401(client, pair, real_key):
    header, claims = parts(pair["access_token"])
    for claim, value in WRONG_CLAIMS:
        token = sign(real_key, {"kid": header["kid"], "typ": "at+jwt"}, {**claims, claim: value})
        assert_rejected(client, token, (claim, value))


def test_missing_claims_are_401(client, pair, real_key):
    header, claims = parts(pair["access_token"])
    for claim in ("iss", "aud", "sub", "exp", "nbf", "iat", "jti", "sid"):
        incomplete = {name: value for name, value in claims.items() if name != claim}
        token = sign(real_key, {"kid": header["kid"], "typ": "at+jwt"}, incomplete)
        assert_rejected(client, token, claim)


def test_a_changed_payload_breaks_the_signature(client, pair):
    header, claims = parts(pair["access_token"])
    signature = pair["access_token"].split(".")[2]
    tampered = f"{b64url_json(header)}.{b64url_json({**claims, 'sub': '2'})}.{signature}"
    assert_rejected(client, tampered)


def test_expiry_and_not_before_allow_only_the_leeway(client, pair, clock, settings):
    token = pair["access_token"]
    ttl, leeway = settings.access_token_ttl_seconds, settings.leeway_seconds
    clock.advance(ttl + leeway - 1)
    assert client.get("/notes", headers=client.bearer(token)).status_code == 200
    clock.advance(2)
    assert_rejected(client, token)


def test_a_token_from_slightly_in_the_future_is_accepted_within_leeway(
    client, pair, real_key, settings
):
    header, claims = parts(pair["access_token"])
    skew = settings.leeway_seconds - 5
    ahead = {**claims, "iat": claims["iat"] + skew, "nbf": claims["nbf"] + skew}
    token = sign(real_key, {"kid": header["kid"], "typ": "at+jwt"}, ahead)
    assert client.get("/notes", headers=client.bearer(token)).status_code == 200


def test_jwks_publishes_public_keys_only_and_a_resource_server_can_verify_with_it(client, pair):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    jwks = response.json()
    (key,) = jwks["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "Ed25519"
    assert key["use"] == "sig" and "d" not in key

    # What another service does: fetch the JWKS, then verify locally, algorithm pinned.
    header, _ = parts(pair["access_token"])
    assert header["kid"] == key["kid"]
    decoded = jwt.decode(pair["access_token"], KeySet.import_key_set(jwks), algorithms=["Ed25519"])
    assert decoded.claims["aud"] == "token-auth-api"


def test_key_rotation_keeps_old_tokens_valid_until_the_old_key_is_retired(client, pair, app):
    keys = app.state.access_tokens.keys
    old_kid = parts(pair["access_token"])[0]["kid"]
    new_kid = keys.rotate()

    assert [key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]] == [
        new_kid,
        old_kid,
    ]
    fresh = client.tokens_for("alice")["access_token"]
    assert parts(fresh)[0]["kid"] == new_kid
    for token in (pair["access_token"], fresh):
        assert client.get("/notes", headers=client.bearer(token)).status_code == 200

    keys.retire(old_kid)
    assert_rejected(client, pair["access_token"])
    assert client.get("/notes", headers=client.bearer(fresh)).status_code == 200
    with pytest.raises(ValueError, match="currently signs"):
        keys.retire(new_kid)
