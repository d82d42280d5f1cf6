"""Registration and authentication ceremonies on py_webauthn, with server-side challenges.

py_webauthn verifies the cryptography and the WebAuthn rules it can see (challenge, origin,
RP ID hash, flags, counter, signature). What it cannot see is the relying party's job,
done here:

* challenges are stored server-side, expire, and are consumed before verification, so
  each can be answered once whatever the outcome;
* the credential must be one we registered, owned by the user the ceremony was for, and
  the returned user handle must be that user's;
* the new signature counter is stored, so a cloned authenticator shows up as a counter
  that did not grow;
* user verification (PIN, biometric) is required in both ceremonies: a passkey replaces
  the password, so it must be two factors in one (possession + the user).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .db import Ceremony, Credential, User
from .settings import Settings

SUPPORTED_ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,  # Windows Hello still uses RS256
]


class CeremonyFailed(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _new_ceremony(db: Session, settings: Settings, **fields: Any) -> str:
    ceremony_id = secrets.token_urlsafe(24)
    db.add(
        Ceremony(
            id=ceremony_id,
            expires_at=int(time.time()) + settings.ceremony_seconds,
            used_at=None,
            **fields,
        )
    )
    db.commit()
    return ceremony_id


def _consume(db: Session, ceremony_id: str, kind: str, user_id: int | None = None) -> Ceremony:
    """Mark the ceremony used (committed) before anything is verified: single use."""
    now = int(time.time())
    conditions = [
        Ceremony.id == ceremony_id,
        Ceremony.kind == kind,
        Ceremony.used_at.is_(None),
        Ceremony.expires_at > now,
    ]
    if user_id is not None:
        conditions.append(Ceremony.user_id == user_id)
    claimed = db.execute(update(Ceremony).where(*conditions).values(used_at=now))
    db.commit()
    if claimed.rowcount != 1:
        raise CeremonyFailed(400, "Unknown, expired or already used ceremony; start again.")
    ceremony = db.get(Ceremony, ceremony_id)
    assert ceremony is not None
    return ceremony


def _registration_options(
    settings: Settings, *, username: str, display_name: str, user_handle: bytes, exclude: list
) -> Any:
    return generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.rp_name,
        user_name=username,
        user_id=user_handle,
        user_display_name=display_name,
        timeout=settings.ceremony_seconds * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,  # a passkey: discoverable
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=exclude,
        supported_pub_key_algs=SUPPORTED_ALGORITHMS,
    )


def start_registration(
    db: Session, settings: Settings, *, username: str, display_name: str, nickname: str
) -> tuple[str, dict[str, Any]]:
    """A new account: it exists only once its first passkey verifies."""
    if db.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise CeremonyFailed(409, "That username is taken.")
    user_handle = secrets.token_bytes(32)
    options = _registration_options(
        settings, username=username, display_name=display_name, user_handle=user_handle, exclude=[]
    )
    ceremony_id = _new_ceremony(
        db,
        settings,
        kind="register",
        challenge=options.challenge,
        username=username,
        display_name=display_name,
        user_handle=user_handle,
        nickname=nickname,
    )
    return ceremony_id, json.loads(options_to_json(options))


def start_adding(
    db: Session, settings: Settings, user: User, nickname: str
) -> tuple[str, dict[str, Any]]:
    """Another passkey for a signed-in user; the ones they have are excluded."""
    options = _registration_options(
        settings,
        username=user.username,
        display_name=user.display_name,
        user_handle=user.user_handle,
        exclude=[PublicKeyCredentialDescriptor(id=c.credential_id) for c in user.credentials],
    )
    ceremony_id = _new_ceremony(
        db, settings, kind="add", challenge=options.challenge, user_id=user.id, nickname=nickname
    )
    return ceremony_id, json.loads(options_to_json(options))


def finish_registration(
    db: Session,
    settings: Settings,
    ceremony_id: str,
    credential: dict[str, Any],
    *,
    user: User | None = None,
) -> Credential:
    """Verify the authenticator's answer; store the passkey (and the account, if new)."""
    ceremony = _consume(db, ceremony_id, "add" if user else "register", user.id if user else None)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=ceremony.challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=list(settings.origins),
            require_user_verification=True,
            supported_pub_key_algs=SUPPORTED_ALGORITHMS,
        )
    except (WebAuthnException, ValueError) as exc:
        raise CeremonyFailed(400, f"The passkey was not accepted: {exc}") from None
    taken = select(Credential.id).where(Credential.credential_id == verified.credential_id)
    if db.scalars(taken).first() is not None:
        raise CeremonyFailed(409, "That passkey is already registered.")
    if user is None:
        if db.scalars(select(User.id).where(User.username == ceremony.username)).first():
            raise CeremonyFailed(409, "That username is taken.")  # registered meanwhile
        assert ceremony.username and ceremony.display_name and ceremony.user_handle
        user = User(
            username=ceremony.username,
            display_name=ceremony.display_name,
            user_handle=ceremony.user_handle,
        )
        db.add(user)
    stored = Credential(
        user=user,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
        nickname=ceremony.nickname or "Passkey",
        created_at=int(time.time()),
        last_used_at=None,
    )
    db.add(stored)
    db.commit()
    return stored


def start_authentication(
    db: Session, settings: Settings, username: str | None
) -> tuple[str, dict[str, Any]]:
    """Options for navigator.credentials.get().

    Without a username the browser offers the user's passkeys for this RP (usernameless).
    With one, only that user's passkeys are allowed; an unknown username gets the same
    shape of answer (an empty list), so the endpoint is not a "does this user exist" oracle
    by status code.
    """
    user = (
        db.scalars(select(User).where(User.username == username)).one_or_none()
        if username
        else None
    )
    allow = (
        [PublicKeyCredentialDescriptor(id=c.credential_id) for c in user.credentials]
        if user
        else []
    )
    options = generate_authentication_options(
        rp_id=settings.rp_id,
        timeout=settings.ceremony_seconds * 1000,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    ceremony_id = _new_ceremony(
        db,
        settings,
        kind="authenticate",
        challenge=options.challenge,
        user_id=user.id if user else None,
        username=username,
    )
    return ceremony_id, json.loads(options_to_json(options))


def finish_authentication(
    db: Session, settings: Settings, ceremony_id: str, credential: dict[str, Any]
) -> User:
    ceremony = _consume(db, ceremony_id, "authenticate")
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError) as exc:
        raise CeremonyFailed(400, f"The sign-in response is malformed: {exc}") from None
    stored = db.scalars(
        select(Credential).where(Credential.credential_id == parsed.raw_id)
    ).one_or_none()
    if stored is None:
        raise CeremonyFailed(400, "Unknown passkey.")
    if ceremony.username and (ceremony.user_id is None or stored.user_id != ceremony.user_id):
        raise CeremonyFailed(400, "This passkey belongs to another account.")
    handle = parsed.response.user_handle
    if handle is not None and not hmac.compare_digest(handle, stored.user.user_handle):
        raise CeremonyFailed(400, "The user handle does not match the passkey's account.")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=ceremony.challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=list(settings.origins),
            credential_public_key=stored.public_key,
            credential_current_sign_count=stored.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError) as exc:
        raise CeremonyFailed(400, f"The sign-in was not accepted: {exc}") from None
    stored.sign_count = verified.new_sign_count
    stored.backed_up = verified.credential_backed_up
    stored.last_used_at = int(time.time())
    db.commit()
    return stored.user
