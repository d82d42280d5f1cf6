"""The software authenticator's output is what py_webauthn accepts from a real browser."""

from __future__ import annotations

import hashlib
import json

import cbor2
from passkey_login.soft_authenticator import (
    ATTESTED_CREDENTIAL_DATA,
    USER_PRESENT,
    USER_VERIFIED,
    SoftAuthenticator,
    b64url_decode,
)
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.structs import UserVerificationRequirement

RP_ID, ORIGIN = "example.test", "https://example.test"


def register(authenticator: SoftAuthenticator):
    options = generate_registration_options(rp_id=RP_ID, rp_name="Example", user_name="ada")
    credential = authenticator.create(json.loads(options_to_json(options)), origin=ORIGIN)
    return options, credential


def test_registration_json_has_the_browser_shape_and_verifies():
    options, credential = register(SoftAuthenticator())
    assert set(credential) == {
        "id",
        "rawId",
        "type",
        "authenticatorAttachment",
        "clientExtensionResults",
        "response",
    }
    parse_registration_credential_json(credential)  # the library's own parser accepts it
    verified = verify_registration_response(
        credential=credential,
        expected_challenge=options.challenge,
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
        require_user_verification=True,
    )
    assert verified.fmt == "none" and verified.user_verified and verified.sign_count == 0

    attestation = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))
    auth_data = attestation["authData"]
    assert auth_data[:32] == hashlib.sha256(RP_ID.encode()).digest()
    assert auth_data[32] == USER_PRESENT | USER_VERIFIED | ATTESTED_CREDENTIAL_DATA
    client_data = json.loads(b64url_decode(credential["response"]["clientDataJSON"]))
    assert client_data["type"] == "webauthn.create" and client_data["origin"] == ORIGIN


def test_assertions_verify_and_count_up():
    authenticator = SoftAuthenticator()
    _, credential = register(authenticator)
    public_key = verify_registration_response(
        credential=credential,
        expected_challenge=b64url_decode(
            json.loads(b64url_decode(credential["response"]["clientDataJSON"]))["challenge"]
        ),
        expected_rp_id=RP_ID,
        expected_origin=ORIGIN,
    ).credential_public_key
    count = 0
    for _ in range(3):
        options = generate_authentication_options(
            rp_id=RP_ID, user_verification=UserVerificationRequirement.REQUIRED
        )
        assertion = authenticator.get(json.loads(options_to_json(options)), origin=ORIGIN)
        parse_authentication_credential_json(assertion)
        verified = verify_authentication_response(
            credential=assertion,
            expected_challenge=options.challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            credential_public_key=public_key,
            credential_current_sign_count=count,
            require_user_verification=True,
        )
        assert verified.new_sign_count == count + 1
        count = verified.new_sign_count


def test_presence_only_authenticator_leaves_the_uv_flag_clear():
    _, credential = register(SoftAuthenticator(user_verifying=False))
    auth_data = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))["authData"]
    assert auth_data[32] & USER_VERIFIED == 0
