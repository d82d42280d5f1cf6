"""JWT access tokens (RFC 9068): minted by Authlib's generator, checked by the resource API.

The resource API trusts a token only if every one of these holds: signature by the AS key
with the one pinned algorithm, header ``typ: at+jwt`` (so an ID token, also signed by the
AS, is not an access token), ``iss`` is this AS, ``aud`` is this API, ``exp`` is in the
future, and the token was not revoked.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc6749 import ClientMixin, scope_to_list
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from .keys import SIGNING_ALG

ACCESS_TOKEN_TYP = "at+jwt"
# Seconds of clock skew tolerated between the AS and a resource server.
CLOCK_SKEW_SECONDS = 5


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """Authlib's RFC 9068 generator, told which key, which audience and which lifetime."""

    def __init__(self, issuer: str, key: ECKey, audience: str, lifetime_seconds: int) -> None:
        super().__init__(issuer=issuer, alg=SIGNING_ALG, expires_generator=lifetime_seconds)
        self._key = key
        self._audience = audience

    def get_jwks(self) -> ECKey:
        return self._key

    def get_audiences(self, client: ClientMixin, user: object, scope: str) -> str:
        # The API the token is for, not the client: a client must not replay it elsewhere.
        return self._audience

    def mint(self, client: ClientMixin, user: object, scope: str) -> str:
        """One access token outside the grant flow (tests and the contract hooks use it)."""
        return self.access_token_generator(client, "authorization_code", user, scope)


@dataclass(frozen=True)
class AccessToken:
    subject: str
    client_id: str
    scopes: frozenset[str]
    jti: str


class InvalidAccessToken(Exception):
    """Why a bearer token was refused (sent back as error_description)."""


def verify_access_token(value: str, key: ECKey, *, issuer: str, audience: str) -> AccessToken:
    try:
        token = jwt.decode(value, key, algorithms=[SIGNING_ALG])
    except (JoseError, ValueError) as exc:
        raise InvalidAccessToken("The token is malformed or its signature is invalid.") from exc
    if str(token.header.get("typ", "")).lower() not in (ACCESS_TOKEN_TYP, "application/at+jwt"):
        raise InvalidAccessToken("The token is not an access token (typ must be at+jwt).")
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        sub={"essential": True},
        client_id={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        raise InvalidAccessToken(f"The token was refused: {exc.description}") from exc
    return AccessToken(
        subject=token.claims["sub"],
        client_id=token.claims["client_id"],
        scopes=frozenset(scope_to_list(token.claims.get("scope")) or []),
        jti=token.claims["jti"],
    )
