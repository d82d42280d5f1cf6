"""Passwords (argon2id) and access tokens (JWT, ES256, RFC 9068 ``at+jwt``).

Verification pins everything an attacker could otherwise choose: the algorithm list is
``["ES256"]`` (so ``alg: none`` and HS256-with-the-public-key are refused), the key is
ours, the ``typ`` header must be ``at+jwt``, and ``iss``, ``aud``, ``sub``, ``iat`` and
``exp`` are all required and checked.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
TOKEN_TYPE = "at+jwt"
# Clock skew tolerated between this service and its clients' clocks.
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the message is safe to show the client."""


def make_password_hasher(profile: str) -> argon2.PasswordHasher:
    if profile == "cheapest-insecure-for-tests":
        return argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    # RFC 9106's second recommendation: argon2id, t=3, 64 MiB, p=4 (about 0.1 s here).
    return argon2.PasswordHasher.from_parameters(argon2.profiles.RFC_9106_LOW_MEMORY)


class PasswordCheck:
    """Hash and verify passwords; an unknown user costs as much time as a wrong password."""

    def __init__(self, hasher: argon2.PasswordHasher) -> None:
        self.hasher = hasher
        # Verified against when the username does not exist, so response time does not
        # tell an attacker which usernames are registered.
        self._dummy_hash = hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash or self._dummy_hash, password) and (
                stored_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenService:
    """Issues and verifies this service's access tokens with one ES256 key pair."""

    def __init__(self, issuer: str, audience: str, lifetime_seconds: int) -> None:
        self.issuer = issuer
        self.audience = audience
        self.lifetime_seconds = lifetime_seconds
        # Generated per process: nothing secret lives in code or config files.
        self.key = ECKey.generate_key("P-256", auto_kid=True)

    def claims_for(self, subject: str, issued_at: int) -> dict[str, Any]:
        return {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": issued_at,
            "exp": issued_at + self.lifetime_seconds,
            "jti": secrets.token_urlsafe(12),
        }

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": ALGORITHM, "typ": TOKEN_TYPE, "kid": self.key.kid}
        return jwt.encode(header, claims, self.key, algorithms=[ALGORITHM])

    def issue(self, subject: str) -> IssuedToken:
        claims = self.claims_for(subject, int(time.time()))
        return IssuedToken(self.sign(claims), self.lifetime_seconds)

    def verify(self, token: str) -> str:
        """Return the subject of a valid token; raise InvalidToken otherwise."""
        try:
            decoded = jwt.decode(token, self.key, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidToken("the access token is malformed or its signature is invalid") from exc
        if decoded.header.get("typ") != TOKEN_TYPE:
            raise InvalidToken("not an access token")
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            iat={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise InvalidToken(f"the access token is not valid: {exc.error}") from exc
        return str(decoded.claims["sub"])
