"""Hooks the course's API contract suite uses to drive this example (see README)."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
from fastapi import FastAPI
from oauth_pkce.client import ProviderMetadata, RelyingParty, sign_in_with_password
from oauth_pkce.db import User
from oauth_pkce.server import create_app
from oauth_pkce.settings import NOTES_WEB, Settings
from oauth_pkce.tokens import AccessTokenGenerator
from sqlalchemy import select

API_CONTRACT = "bearer-jwt-v1"  # opts in to the course's API contract suite
USERS: tuple[str, str] = ("alice", "bob")
MAX_BODY_BYTES: int = 16_384
WRITE_OPERATION: tuple[str, str] = ("POST", "/api/notes")

# Generated per process: the hooks know them, the code base does not.
PASSWORDS: dict[str, str] = {name: secrets.token_urlsafe(16) for name in USERS}
ISSUER = "https://auth.example.test"


def make_app(work_dir: Path) -> FastAPI:
    """A fresh app whose SQLite file and signing key live under work_dir; seeds USERS."""
    return create_app(
        Settings(
            data_dir=Path(work_dir),
            issuer=ISSUER,
            seed_users=dict(PASSWORDS),
            max_body_bytes=MAX_BODY_BYTES,
        )
    )


def access_token(client: httpx.Client, username: str) -> str:
    """The authorization code flow with PKCE, as the notes-web client runs it, over client.

    The contract suite serves the app on a random loopback port, so the endpoints are
    addressed by path on ``client``; the issuer stays the name the tokens carry.
    """
    relying_party = RelyingParty(
        client,
        ProviderMetadata.at_paths(ISSUER),
        client_id=NOTES_WEB.client_id,
        redirect_uri=NOTES_WEB.redirect_uris[0],
    )
    pending = relying_party.begin()
    callback = sign_in_with_password(
        client, pending.authorization_url, username, PASSWORDS[username]
    )
    return relying_party.complete(pending, callback).access_token


def expired_access_token(app: FastAPI, username: str) -> str:
    """Minted by the app's own generator and key, with a lifetime ten minutes in the past."""
    with app.state.sessions() as db:
        user = db.scalars(select(User).where(User.username == username)).one()
    generator = AccessTokenGenerator(
        ISSUER, app.state.signing_key, app.state.settings.api_audience, -600
    )
    return generator.mint(NOTES_WEB, user, "openid profile notes")


def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
    response = client.post(
        "/api/notes",
        json={"title": label, "body": f"note {label}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return response.headers["location"]


def valid_write_body() -> dict:
    return {"title": "Shopping list", "body": "milk, eggs"}
