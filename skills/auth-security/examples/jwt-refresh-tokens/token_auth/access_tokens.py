"""Access tokens: Ed25519-signed JWTs (RFC 9068 profile) that any service can verify with
the public keys published at /.well-known/jwks.json.

Verification trusts nothing in the token before the signature is checked, and decides the
algorithm itself: `alg` comes from the attacker, the allowed list comes from us.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

# RFC 9864's fully specified name for EdDSA over Ed25519 (the older "EdDSA" is deprecated).
ALGORITHM = "Ed25519"
ALLOWED_ALGORITHMS = [ALGORITHM]
# RFC 9068: access tokens say what they are in the header, so an ID token (typ JWT) or any
# other JWT signed by the same key cannot be replayed as one.
ACCESS_TOKEN_TYPE = "at+jwt"
ACCEPTED_TYPES = {"at+jwt", "application/at+jwt"}


class InvalidToken(Exception):
    """Any reason an access token is refused; the client is only ever told 401."""


class SigningKeys:
    """The private keys this service signs with; the newest signs, all verify.

    Rotation: `rotate()` adds a key and signs with it from then on; the old public key stays
    in the JWKS until every token it signed has expired (access TTL + leeway), then
    `retire(kid)` removes it and tokens with that kid get 401.
    """

    def __init__(self) -> None:
        self._keys: list[OKPKey] = []
        self.rotate()

    def rotate(self) -> str:
        key = OKPKey.generate_key(
            "Ed25519", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True
        )
        self._keys.insert(0, key)
        return key.kid  # the RFC 7638 thumbprint: stable, and derived from the key itself

    def retire(self, kid: str) -> None:
        if kid == self.current.kid:
            raise ValueError("cannot retire the key that currently signs")
        self._keys = [key for key in self._keys if key.kid != kid]

    @property
    def current(self) -> OKPKey:
        return self._keys[0]

    def public_key(self, kid: str) -> OKPKey:
        for key in self._keys:
            if key.kid == kid:
                return OKPKey.import_key(key.as_dict(private=False))
        raise InvalidToken("unknown kid")

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [dict(key.as_dict(private=False)) for key in self._keys]}


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str


class AccessTokens:
    def __init__(
        self,
        keys: SigningKeys,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        leeway_seconds: int,
        clock: Callable[[], float],
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        essential = {"essential": True}
        self._claims_rules = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=leeway_seconds,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub=essential,
            exp=essential,
            iat=essential,
            nbf=essential,
            jti=essential,
            sid=essential,
        )

    def issue(self, user_id: int, session_id: str, *, issued_at: int | None = None) -> str:
        now = int(self._clock()) if issued_at is None else issued_at
        key = self.keys.current
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_urlsafe(16),
            "sid": session_id,
        }
        return jwt.encode(header, claims, key, algorithms=ALLOWED_ALGORITHMS)

    def verify(self, token: str) -> AccessClaims:
        try:
            # Read the header only to choose the key; nothing in it is trusted yet.
            header = jws.extract_compact(token.encode()).headers()
            if str(header.get("typ", "")).lower() not in ACCEPTED_TYPES:
                raise InvalidToken("not an access token")
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise InvalidToken("no kid")
            decoded = jwt.decode(token, self.keys.public_key(kid), algorithms=ALLOWED_ALGORITHMS)
            self._claims_rules.validate(decoded.claims)
            user_id = int(decoded.claims["sub"])
            session_id = decoded.claims["sid"]
        except (JoseError, ValueError, TypeError, UnicodeError) as error:
            raise InvalidToken(str(error)) from error
        if not isinstance(session_id, str):
            raise InvalidToken("sid is not a string")
        return AccessClaims(user_id=user_id, session_id=session_id)
