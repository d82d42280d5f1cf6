"""Authlib's authorization server, wired to FastAPI through a small request adapter.

Authlib ships server integrations for Flask and Django only. Its core needs three things
from a framework, all here: an ``OAuth2Request`` built from the HTTP request
(``AdaptedRequest``), a way to turn ``(status, body, headers)`` into a response
(``handle_response``), and storage callbacks (the grant's ``*_authorization_code`` methods,
``save_token``). The policy is OAuth 2.1's:

* authorization code grant only (no implicit, no password grant), public clients, PKCE with
  S256 required *at the authorization endpoint* (``CodeChallenge(required=True)`` alone only
  checks at the token endpoint, so a request without a challenge would get a code);
* redirect URIs compared exactly, checked before anything is redirected;
* one-time codes: a second use is refused and revokes the tokens the first use issued;
* OpenID Connect: a nonce is required and bound into the ID token;
* RFC 9207: every redirect back to the client carries ``iss`` (mix-up defence).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge
from authlib.oidc.core import OpenIDCode, UserInfo
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from .db import AuthorizationCode, IssuedToken, User
from .keys import SIGNING_ALG
from .settings import RegisteredClient, Settings
from .tokens import AccessTokenGenerator

# RFC 6749 3.1 and 3.2: no request or response parameter may appear twice.
SINGLE_VALUED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "code",
    "code_verifier",
)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def user_info(user: User, scope: str) -> UserInfo:
    """Claims about the user, limited to what the granted scopes allow."""
    claims = UserInfo(sub=user.subject, preferred_username=user.username, name=user.display_name)
    return claims.filter(scope)


class ParamsPayload(OAuth2Payload):
    """OAuth parameters from one place: the query (authorization) or the form (token)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            values[name].append(value)
        self._datalist = values
        self._data = {name: items[0] for name, items in values.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class AdaptedRequest(OAuth2Request):
    """What Authlib needs to know about one FastAPI request, plus its database session."""

    def __init__(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
        params_in: Literal["query", "form"],
        db: Session,
    ) -> None:
        super().__init__(method=method, uri=url, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        # The authorization endpoint reads its parameters from the query (the login form
        # posts only credentials); the token endpoint from the form body (RFC 6749 4.1.3).
        self.payload = ParamsPayload(query if params_in == "query" else form)
        self.db = db

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass
class OAuthResponse:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return dict(self.headers).get("Location")


class AuthorizationRejected(Exception):
    """The authorization request failed; ``response`` says how to answer."""

    def __init__(self, response: OAuthResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _s256_matches(code_verifier: str, code_challenge: str) -> bool:
    # Constant-time: the comparison must not reveal how much of a guess was right.
    return hmac.compare_digest(create_s256_code_challenge(code_verifier), code_challenge)


class S256CodeChallenge(CodeChallenge):
    """PKCE as OAuth 2.1 wants it: a challenge on every request, and S256 only.

    ``plain`` would send the verifier itself through the browser, and an absent method
    means ``plain`` (RFC 7636 4.3), so both are refused.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": _s256_matches}

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class PKCEAuthorizationCodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # public clients; PKCE binds the code to them

    @property
    def settings(self) -> Settings:
        return self.server.settings

    def save_authorization_code(self, code: str, request: AdaptedRequest) -> None:
        now = int(time.time())
        data = request.payload.data
        request.db.add(
            AuthorizationCode(
                code_hash=code_hash(code),
                client_id=request.client.get_client_id(),
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                auth_time=now,
                expires_at=now + self.settings.code_seconds,
            )
        )
        request.db.commit()

    def query_authorization_code(
        self, code: str, client: RegisteredClient
    ) -> AuthorizationCode | None:
        db: Session = self.request.db
        now = int(time.time())
        record = db.get(AuthorizationCode, code_hash(code))
        if record is None or record.client_id != client.get_client_id():
            return None
        if record.used_at is not None:
            # A second use means the code leaked: refuse it, and revoke what the first use
            # got (OAuth 2.1 4.1.3), since that may have been the attacker.
            record.replayed_at = now
            db.execute(
                update(IssuedToken)
                .where(IssuedToken.code_hash == record.code_hash, IssuedToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            db.commit()
            return None
        if record.expires_at <= now:
            return None
        return record

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User:
        db: Session = self.request.db
        # Claim the code atomically: of two concurrent exchanges, exactly one updates a row.
        claimed = db.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.code_hash == authorization_code.code_hash,
                AuthorizationCode.used_at.is_(None),
            )
            .values(used_at=int(time.time()))
        )
        if claimed.rowcount != 1:
            raise InvalidGrantError("The authorization code was already used.")
        user = db.get(User, authorization_code.user_id)
        assert user is not None  # foreign key
        return user

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Kept, marked used, until it expires: a replay must be recognised to be punished.
        return None


class NotesOpenIDCode(OpenIDCode):
    """ID tokens for the code flow: ES256 with the AS key, nonce required."""

    def __init__(self, settings: Settings, key: ECKey) -> None:
        super().__init__(require_nonce=True)
        self._settings = settings
        self._key = key

    def exists_nonce(self, nonce: str, request: AdaptedRequest) -> bool:
        return bool(
            request.db.scalar(
                select(
                    exists().where(
                        AuthorizationCode.client_id == request.payload.client_id,
                        AuthorizationCode.nonce == nonce,
                    )
                )
            )
        )

    def resolve_client_private_key(self, client: RegisteredClient) -> ECKey:
        return self._key

    def get_client_algorithm(self, client: RegisteredClient) -> str:
        return SIGNING_ALG

    def get_encode_header(self, client: RegisteredClient) -> dict[str, str]:
        return {"alg": SIGNING_ALG, "kid": self._key.kid, "typ": "JWT"}

    def get_client_claims(self, client: RegisteredClient) -> dict[str, Any]:
        return {
            "iss": self._settings.issuer,
            "aud": [client.get_client_id()],
            "exp": int(time.time()) + self._settings.id_token_seconds,
        }

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return user_info(user, scope)


class NotesAuthorizationServer(AuthorizationServer):
    def __init__(self, settings: Settings, key: ECKey) -> None:
        super().__init__(
            scopes_supported=sorted({s for c in settings.clients for s in c.allowed_scopes})
        )
        self.settings = settings
        self.key = key
        self._clients = {client.client_id: client for client in settings.clients}
        self.access_tokens = AccessTokenGenerator(
            settings.issuer, key, settings.api_audience, settings.access_token_seconds
        )
        self.register_token_generator("default", self.access_tokens)
        self.register_grant(
            PKCEAuthorizationCodeGrant,
            [S256CodeChallenge(required=True), NotesOpenIDCode(settings, key)],
        )

    # --- what Authlib asks of a framework integration ---

    def query_client(self, client_id: str) -> RegisteredClient | None:
        return self._clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: AdaptedRequest) -> None:
        claims = jwt.decode(token["access_token"], self.key, algorithms=[SIGNING_ALG]).claims
        code: AuthorizationCode = request.authorization_code
        request.db.refresh(code)  # a replay may have been seen meanwhile
        request.db.add(
            IssuedToken(
                jti=claims["jti"],
                code_hash=code.code_hash,
                user_id=request.user.id,
                expires_at=claims["exp"],
                revoked_at=int(time.time()) if code.replayed_at is not None else None,
            )
        )
        request.db.commit()

    def create_oauth2_request(self, request: AdaptedRequest) -> AdaptedRequest:
        return request  # the route built it already

    def handle_response(
        self, status: int, body: Any, headers: Iterable[tuple[str, str]]
    ) -> OAuthResponse:
        response = OAuthResponse(status, body, list(headers))
        if response.location:
            # RFC 9207: tell the client who answered, so it can detect a mix-up attack.
            location = add_params_to_uri(response.location, [("iss", self.settings.issuer)])
            response.headers = [("Location", location), ("Cache-Control", "no-store")]
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None  # no signal bus in this app

    # --- the two endpoints ---

    def begin_authorization(self, request: AdaptedRequest) -> AuthorizationCodeGrant:
        """Validate an authorization request, or raise AuthorizationRejected.

        Until client_id and redirect_uri are known good, errors are shown to the user,
        never redirected: redirecting to an unchecked URI is an open redirector.
        """
        self._refuse_repeated_parameters(request)
        payload = request.payload
        client = self.query_client(payload.client_id or "")
        if client is None:
            raise AuthorizationRejected(
                self.handle_error_response(request, InvalidClientError("Unknown client_id."))
            )
        if not payload.redirect_uri or not client.check_redirect_uri(payload.redirect_uri):
            error = InvalidRequestError("redirect_uri is missing or not registered, exactly.")
            raise AuthorizationRejected(self.handle_error_response(request, error))
        if payload.response_type != "code":
            error = UnsupportedResponseTypeError(
                "code", redirect_uri=payload.redirect_uri, state=payload.state
            )
            raise AuthorizationRejected(self.handle_error_response(request, error))
        try:
            return self.get_consent_grant(request, end_user=None)
        except OAuth2Error as error:
            raise AuthorizationRejected(self.handle_error_response(request, error)) from None

    def finish_authorization(
        self, request: AdaptedRequest, grant: AuthorizationCodeGrant, user: User | None
    ) -> OAuthResponse:
        """Redirect to the client with a code (user approved) or access_denied (user None)."""
        return self.create_authorization_response(request, grant_user=user, grant=grant)

    def token_response(self, request: AdaptedRequest) -> OAuthResponse:
        try:
            self._refuse_repeated_parameters(request)
        except AuthorizationRejected as rejected:
            return rejected.response
        return self.create_token_response(request)

    def _refuse_repeated_parameters(self, request: AdaptedRequest) -> None:
        repeated = [n for n in SINGLE_VALUED if len(request.payload.datalist.get(n, [])) > 1]
        if repeated:
            error = InvalidRequestError(f"Repeated parameter: {repeated[0]}.")
            raise AuthorizationRejected(self.handle_error_response(request, error))
