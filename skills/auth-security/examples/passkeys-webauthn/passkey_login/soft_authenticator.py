"""A software passkey: the browser and the authenticator of a WebAuthn ceremony, in Python.

It plays both parts a real sign-in involves:

* the **browser** writes ``clientDataJSON`` (ceremony type, the server's challenge, and the
  origin of the page that asked), and
* the **authenticator** keeps one ECDSA P-256 key per credential, writes
  ``authenticatorData`` (SHA-256 of the RP ID, flags, signature counter and, at
  registration, the new credential's id and COSE public key) and signs
  ``authenticatorData || SHA-256(clientDataJSON)``.

``create()`` and ``get()`` return the JSON a browser's ``PublicKeyCredential.toJSON()``
produces, ready to POST to the server. Attestation is ``"none"``: the authenticator does
not prove its make and model, which is what passkey providers send by default.

It checks nothing a browser would check (origin against RP ID, for instance), so tests
can send what a phishing page or a tampered client would; that is the server's job to
refuse. Use it for tests and demos only: the keys live in memory, unprotected.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

# authenticatorData flags (WebAuthn Level 3, 6.1)
USER_PRESENT = 0x01
USER_VERIFIED = 0x04
ATTESTED_CREDENTIAL_DATA = 0x40

ES256 = -7  # COSE algorithm identifier: ECDSA with SHA-256 on P-256


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


def cose_public_key(public_key: ec.EllipticCurvePublicKey) -> bytes:
    numbers = public_key.public_numbers()
    return cbor2.dumps(
        {
            1: 2,  # kty: EC2
            3: ES256,  # alg
            -1: 1,  # crv: P-256
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
    )


def client_data_json(ceremony: str, challenge: str, origin: str) -> bytes:
    """What the browser signs over: the ceremony type, the challenge and the page's origin."""
    return json.dumps(
        {"type": ceremony, "challenge": challenge, "origin": origin, "crossOrigin": False},
        separators=(",", ":"),
    ).encode()


class SoftAuthenticator:
    """A platform authenticator holding discoverable credentials (passkeys).

    ``user_verifying=False`` models an authenticator that only tests presence (a touch, no
    PIN or biometric); ``aaguid`` identifies the authenticator model (zeros: unknown).
    """

    def __init__(self, *, user_verifying: bool = True, aaguid: bytes = bytes(16)) -> None:
        self.user_verifying = user_verifying
        self.aaguid = aaguid
        self.credentials: list[SoftCredential] = []

    def create(
        self, options: dict[str, Any], *, origin: str, rp_id: str | None = None
    ) -> dict[str, Any]:
        """navigator.credentials.create(): a new credential for ``options["user"]``.

        ``rp_id`` overrides the RP ID hashed into authenticatorData (default: the one the
        options name, or the origin's host), as a page on another domain would.
        """
        if ES256 not in [param["alg"] for param in options["pubKeyCredParams"]]:
            raise ValueError("the server accepts no algorithm this authenticator has (ES256)")
        rp = rp_id or options["rp"].get("id") or urlsplit(origin).hostname or ""
        excluded = {b64url_decode(c["id"]) for c in options.get("excludeCredentials", [])}
        if any(c.credential_id in excluded for c in self.credentials):
            raise ValueError("InvalidStateError: a passkey for this account is already here")

        private_key = ec.generate_private_key(ec.SECP256R1())
        credential = SoftCredential(
            credential_id=secrets.token_bytes(32),
            private_key=private_key,
            rp_id=options["rp"].get("id") or rp,
            user_handle=b64url_decode(options["user"]["id"]),
        )
        self.credentials.append(credential)

        attested = (
            self.aaguid
            + len(credential.credential_id).to_bytes(2, "big")
            + credential.credential_id
            + cose_public_key(private_key.public_key())
        )
        auth_data = self._authenticator_data(rp, ATTESTED_CREDENTIAL_DATA, 0) + attested
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = client_data_json("webauthn.create", options["challenge"], origin)
        spki = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "authenticatorData": b64url(auth_data),
                "transports": ["internal"],
                "publicKey": b64url(spki),
                "publicKeyAlgorithm": ES256,
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str,
        rp_id: str | None = None,
        credential_id: bytes | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.get(): an assertion signed by one of the stored passkeys.

        With an empty ``allowCredentials`` (usernameless sign-in) the authenticator offers
        its passkeys for the RP; ``credential_id`` picks one, as the user would.
        """
        options_rp = options.get("rpId") or urlsplit(origin).hostname or ""
        allowed = {b64url_decode(c["id"]) for c in options.get("allowCredentials", [])}
        candidates = [
            c
            for c in self.credentials
            if c.rp_id == options_rp
            and (not allowed or c.credential_id in allowed)
            and (credential_id is None or c.credential_id == credential_id)
        ]
        if not candidates:
            raise LookupError("NotAllowedError: no passkey here for this request")
        credential = candidates[-1]
        credential.sign_count += 1

        auth_data = self._authenticator_data(rp_id or options_rp, 0, credential.sign_count)
        client_data = client_data_json("webauthn.get", options["challenge"], origin)
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
        }

    def clone(self) -> SoftAuthenticator:
        """A copy of every key and counter, as an attacker who extracted them would have."""
        copy = SoftAuthenticator(user_verifying=self.user_verifying, aaguid=self.aaguid)
        copy.credentials = [replace(c) for c in self.credentials]
        return copy

    def _authenticator_data(self, rp_id: str, extra_flags: int, sign_count: int) -> bytes:
        flags = USER_PRESENT | extra_flags
        if self.user_verifying:
            flags |= USER_VERIFIED
        return (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big")
        )
