"""Short-lived access tokens: HS256 JWTs issued and verified by this one service (joserfc).

HS256 (a shared secret) fits because the issuer and the only verifier are the same process.
When other services must verify the tokens, sign with a private key and publish the public
one instead (see the jwt-refresh-tokens example).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

# Pinned: the verifier names the one algorithm it accepts, so the token's own `alg` header
# (which an attacker writes) cannot pick "none" or anything else.
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Any reason a bearer token is not accepted; callers answer 401 without saying which."""


class AccessTokens:
    def __init__(
        self,
        key: bytes | None,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        leeway_seconds: int,
        clock: Callable[[], float],
    ) -> None:
        self._key = OctKey.import_key(key if key is not None else secrets.token_bytes(32))
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._claims_rules = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=leeway_seconds,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )

    def issue(self, username: str, *, issued_at: int | None = None) -> str:
        now = int(self._clock()) if issued_at is None else issued_at
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": username,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> str:
        """The username the token was issued to, or InvalidToken."""
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            self._claims_rules.validate(decoded.claims)
        except (JoseError, ValueError) as error:
            raise InvalidToken(str(error)) from error
        subject = decoded.claims["sub"]
        if not isinstance(subject, str):
            raise InvalidToken("sub is not a string")
        return subject
