"""Short-lived session tokens issued after a passkey sign-in (joserfc, HS256 pinned).

The app both issues and checks them, so a symmetric key suffices; a 256-bit random key is
generated on first start and kept in the data directory. Decoding names the one accepted
algorithm, which is what defeats ``alg: none`` and algorithm-confusion tokens.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

TOKEN_ALG = "HS256"
TOKEN_TYP = "at+jwt"
AUDIENCE = "passkey-login-api"
CLOCK_SKEW_SECONDS = 5


def load_or_create_token_key(path: Path) -> OctKey:
    if path.exists():
        return OctKey.import_key(json.loads(path.read_text()))
    key = OctKey.generate_key(256, auto_kid=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from birth
    with os.fdopen(fd, "w") as file:
        json.dump(key.as_dict(private=True), file)
    return key


def issue_token(
    key: OctKey, *, issuer: str, user_id: int, lifetime_seconds: int, now: int | None = None
) -> str:
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
        "jti": secrets.token_urlsafe(12),
        "amr": ["hwk", "user"],  # RFC 8176: key possession + user verification (passkey)
    }
    return jwt.encode({"alg": TOKEN_ALG, "typ": TOKEN_TYP, "kid": key.kid}, claims, key)


class InvalidToken(Exception):
    pass


def verify_token(value: str, key: OctKey, *, issuer: str) -> int:
    """The user id the token is for, or InvalidToken."""
    try:
        token = jwt.decode(value, key, algorithms=[TOKEN_ALG])
    except (JoseError, ValueError) as exc:
        raise InvalidToken("The token is malformed or its signature is invalid.") from exc
    if token.header.get("typ") != TOKEN_TYP:
        raise InvalidToken("The token is not an access token.")
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": AUDIENCE},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise InvalidToken(f"The token was refused: {exc.description}") from exc
    subject = token.claims["sub"]
    if not isinstance(subject, str) or not subject.isdigit():
        raise InvalidToken("The token's subject is malformed.")
    return int(subject)
