"""What the authorization server is configured with: its name, its clients, its lifetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from authlib.oauth2.rfc6749 import ClientMixin, scope_to_list

DEFAULT_ISSUER = "https://auth.example.test"
DEFAULT_API_AUDIENCE = "https://api.example.test/notes"


@dataclass(frozen=True)
class RegisteredClient(ClientMixin):
    """A public client (a browser app or a native app): no secret, so PKCE is its proof.

    Authlib asks the client object every policy question; each answer here is the strict
    OAuth 2.1 one.
    """

    client_id: str
    redirect_uris: tuple[str, ...]
    allowed_scopes: frozenset[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # No default: every authorization request names its redirect_uri, matched exactly.
        return None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison: no prefix, no wildcard, no "same host" leniency.
        return redirect_uri in self.redirect_uris

    def get_allowed_scope(self, scope: str | None) -> str | None:
        requested = scope_to_list(scope) or []
        if not requested or not set(requested) <= self.allowed_scopes:
            return None  # Authlib answers invalid_scope
        return " ".join(requested)

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # a public client has none

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"  # no implicit flow

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"  # no password grant, no refresh tokens


NOTES_WEB = RegisteredClient(
    client_id="notes-web",
    redirect_uris=("https://client.example.test/callback",),
    allowed_scopes=frozenset({"openid", "profile", "notes"}),
)
OTHER_APP = RegisteredClient(
    client_id="other-app",
    redirect_uris=("https://other.example.test/callback",),
    allowed_scopes=frozenset({"openid", "profile"}),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    issuer: str = DEFAULT_ISSUER
    api_audience: str = DEFAULT_API_AUDIENCE
    clients: tuple[RegisteredClient, ...] = (NOTES_WEB, OTHER_APP)
    # username -> password, hashed and stored at start-up (demo accounts; never in code).
    seed_users: dict[str, str] = field(default_factory=dict)
    access_token_seconds: int = 300
    id_token_seconds: int = 300
    code_seconds: int = 60
    max_body_bytes: int = 16_384

    @property
    def database_path(self) -> Path:
        return self.data_dir / "oauth.db"

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "signing-key.jwk.json"
