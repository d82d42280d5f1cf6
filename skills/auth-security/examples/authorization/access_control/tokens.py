"""Short-lived access tokens: JWTs signed with HS256 by joserfc.

The algorithm is pinned on both sides. ``decode`` is given ``algorithms=["HS256"]``, so a
token whose header says ``none``, ``RS256`` or anything else is refused before any
signature maths, which closes the classic "alg: none" and algorithm-confusion holes.
The key is 256 random bits generated when the app starts; tokens die with the process,
which is acceptable for tokens that live five minutes (use a key from a secret store
and rotate it by ``kid`` when several processes must accept each other's tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Any reason to refuse a token: malformed, wrong algorithm, bad signature, expired."""


class TokenService:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        lifetime: timedelta,
        clock: Callable[[], datetime],
        key: OctKey | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.clock = clock
        self.key = key or OctKey.generate_key(256)

    def issue(self, user_id: int, *, issued_at: datetime | None = None) -> str:
        now = issued_at or self.clock()
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
        }
        return jwt.encode(
            {"alg": ALGORITHM, "typ": "JWT"}, claims, self.key, algorithms=[ALGORITHM]
        )

    def verify(self, token: str) -> int:
        """The user id the token was issued to, or InvalidToken."""
        try:
            decoded = jwt.decode(token, self.key, algorithms=[ALGORITHM])
            registry = jwt.JWTClaimsRegistry(
                now=int(self.clock().timestamp()),
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                sub={"essential": True},
                exp={"essential": True},
            )
            registry.validate(decoded.claims)
            return int(decoded.claims["sub"])
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            # ValueError/TypeError: garbage that is not even a JWS (bad base64, odd JSON).
            raise InvalidToken(str(exc) or type(exc).__name__) from exc
