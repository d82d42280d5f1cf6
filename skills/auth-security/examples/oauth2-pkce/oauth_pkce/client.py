"""The client (an OpenID Connect relying party) on Authlib's OAuth 2.0 client over httpx.

Authlib's ready-made ``authlib.integrations.httpx_client`` classes now target the
``httpx2`` package and emit a deprecation warning on import with ``httpx``. Their base,
``authlib.oauth2.OAuth2Client``, takes any session object instead, so here it drives a
plain ``httpx.Client``: a real server, or an in-process app through a test client. The
only glue is ``HttpxClientAuth``, which applies Authlib's client authentication to an
httpx request.

The client's own duties, each one a check the AS cannot do for it:

* ``state`` ties the callback to the request this browser started (login CSRF);
* ``iss`` in the callback names the AS that answered (RFC 9207, mix-up attacks);
* the PKCE ``code_verifier`` proves the redeemer of the code is the one who asked;
* the ID token's signature (from the JWKS), ``iss``, ``aud``, ``exp`` and ``nonce`` prove
  who signed in, for whom, and that the token is fresh and not replayed.
"""

from __future__ import annotations

import hmac
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2 import ClientAuth, OAuth2Client, OAuth2Error
from authlib.oauth2.rfc6749 import OAuth2Token
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ID_TOKEN_ALGORITHMS = ["ES256"]  # pinned: never "whatever the token header says"
CLOCK_SKEW_SECONDS = 5


class LoginFailed(Exception):
    """The sign-in could not be completed; the message says which check failed."""


class HttpxClientAuth(httpx.Auth, ClientAuth):
    """Authlib's client authentication (here "none": client_id in the body) for httpx."""

    requires_request_body = True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url, headers, body = self.prepare(
            request.method, str(request.url), httpx.Headers(request.headers), request.content
        )
        headers["Content-Length"] = str(len(body))
        yield httpx.Request(request.method, url, headers=headers, content=body)


class HttpxOAuth2Client(OAuth2Client):
    client_auth_class = HttpxClientAuth


@dataclass(frozen=True)
class ProviderMetadata:
    """Where the AS's endpoints are; from discovery, or configured by hand."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str

    @classmethod
    def discover(cls, http: httpx.Client, issuer: str) -> ProviderMetadata:
        response = http.get(f"{issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        document = response.json()
        # OIDC Discovery 4.3: the document must name the issuer it was fetched for.
        if document.get("issuer") != issuer:
            raise LoginFailed("The discovery document names another issuer.")
        if "S256" not in document.get("code_challenge_methods_supported", []):
            raise LoginFailed("The provider does not support PKCE with S256.")
        return cls(
            issuer=issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document["userinfo_endpoint"],
        )

    @classmethod
    def at_paths(cls, issuer: str) -> ProviderMetadata:
        """Endpoints addressed by path on a client already bound to the AS's address."""
        return cls(issuer, "/authorize", "/token", "/jwks.json", "/userinfo")


@dataclass(frozen=True)
class PendingLogin:
    """What the client keeps (in its session) between redirecting and the callback."""

    authorization_url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class SignedIn:
    token: OAuth2Token
    id_claims: dict[str, Any]

    @property
    def access_token(self) -> str:
        return self.token["access_token"]


class RelyingParty:
    def __init__(
        self,
        http: httpx.Client,
        provider: ProviderMetadata,
        *,
        client_id: str,
        redirect_uri: str,
        scope: str = "openid profile notes",
    ) -> None:
        self.http = http
        self.provider = provider
        self.client_id = client_id
        self.oauth = HttpxOAuth2Client(
            http,
            client_id=client_id,
            token_endpoint_auth_method="none",
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge_method="S256",
        )
        self._jwks: KeySet | None = None

    def begin(self) -> PendingLogin:
        code_verifier = generate_token(64)  # 64 of [A-Za-z0-9]: about 380 bits
        nonce = generate_token(32)
        url, state = self.oauth.create_authorization_url(
            self.provider.authorization_endpoint, code_verifier=code_verifier, nonce=nonce
        )
        return PendingLogin(url, state, nonce, code_verifier)

    def complete(self, pending: PendingLogin, callback_url: str) -> SignedIn:
        """Check the callback, redeem the code, validate the ID token."""
        parts = urlsplit(callback_url)
        if parts.fragment:
            # Authlib would read a fragment as an implicit-flow token; this client asked
            # for a code, so a token in the fragment is an injection attempt.
            raise LoginFailed("Unexpected fragment in the callback.")
        params = dict(parse_qsl(parts.query))
        if not hmac.compare_digest(params.get("state", ""), pending.state):
            raise LoginFailed("state does not match this browser's login (CSRF?).")
        if params.get("iss") != self.provider.issuer:
            raise LoginFailed("The callback comes from another issuer (mix-up?).")
        if "error" in params:
            raise LoginFailed(f"The provider refused: {params['error']}.")
        try:
            token = self.oauth.fetch_token(
                self.provider.token_endpoint,
                authorization_response=callback_url,
                state=pending.state,
                code_verifier=pending.code_verifier,
            )
        except OAuth2Error as exc:
            raise LoginFailed(f"The token request failed: {exc.error}.") from exc
        claims = self.validate_id_token(
            token["id_token"], nonce=pending.nonce, access_token=token["access_token"]
        )
        return SignedIn(token, claims)

    def validate_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        try:
            decoded = jwt.decode(id_token, self.jwks(), algorithms=ID_TOKEN_ALGORITHMS)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={
                    "iss": {"essential": True, "value": self.provider.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "nonce": {"essential": True},
                },
                params={"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
            )
            claims.validate(leeway=CLOCK_SKEW_SECONDS)
        except (JoseError, ValueError) as exc:
            raise LoginFailed(f"The ID token was refused: {exc}") from exc
        return dict(claims)

    def jwks(self) -> KeySet:
        if self._jwks is None:
            response = self.http.get(self.provider.jwks_uri)
            response.raise_for_status()
            self._jwks = KeySet.import_key_set(response.json())
        return self._jwks


def sign_in_with_password(
    http: httpx.Client, authorization_url: str, username: str, password: str
) -> str:
    """Play the browser: open the login page, submit the form, return the callback URL.

    The redirect to the client is not followed; a real browser would load it and the
    client's callback handler would call ``RelyingParty.complete`` with its URL.
    """
    page = http.get(authorization_url, follow_redirects=False)
    if page.status_code == 302:
        return page.headers["location"]  # an error the AS sent back to the client
    if page.status_code != 200:
        raise LoginFailed(f"The authorization request was refused ({page.status_code}).")
    answer = http.post(
        authorization_url,
        data={"username": username, "password": password, "decision": "approve"},
        follow_redirects=False,
    )
    if answer.status_code != 302:
        raise LoginFailed(f"Sign-in was refused ({answer.status_code}).")
    return answer.headers["location"]
