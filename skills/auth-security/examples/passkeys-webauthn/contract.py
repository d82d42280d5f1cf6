"""Hooks the course's API contract suite uses to drive this example (see README)."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from passkey_login.client_flows import add_passkey, register_account, sign_in
from passkey_login.db import User
from passkey_login.server import create_app
from passkey_login.settings import DEFAULT_ORIGIN, Settings
from passkey_login.soft_authenticator import SoftAuthenticator
from passkey_login.tokens import issue_token
from sqlalchemy import select

API_CONTRACT = "bearer-jwt-v1"  # opts in to the course's API contract suite
USERS: tuple[str, str] = ("alice", "bob")
MAX_BODY_BYTES: int = 16_384
WRITE_OPERATION: tuple[str, str] = ("POST", "/v1/credentials/options")

# One software authenticator per (server, user): the "devices" holding the passkeys.
AUTHENTICATORS: dict[tuple[str, str], SoftAuthenticator] = {}


def make_app(work_dir: Path) -> FastAPI:
    """A fresh app (SQLite file and token key under work_dir). USERS are registered on
    first use by access_token, through the API, as a browser would register them."""
    return create_app(Settings(data_dir=Path(work_dir), max_body_bytes=MAX_BODY_BYTES))


def _authenticator(client: httpx.Client, username: str) -> SoftAuthenticator:
    return AUTHENTICATORS.setdefault((str(client.base_url), username), SoftAuthenticator())


def access_token(client: httpx.Client, username: str) -> str:
    """Register ``username`` with a passkey if the server does not know them, then sign in."""
    authenticator = _authenticator(client, username)
    known = client.post("/v1/registration/options", json={"username": username})
    if known.status_code == 200:
        register_account(client, authenticator, username, origin=DEFAULT_ORIGIN).raise_for_status()
    elif known.status_code != 409:  # 409: already registered
        known.raise_for_status()
    response = sign_in(client, authenticator, username, origin=DEFAULT_ORIGIN)
    response.raise_for_status()
    return response.json()["access_token"]


def expired_access_token(app: FastAPI, username: str) -> str:
    """Issued by the app's own function and key, with a lifetime ten minutes in the past."""
    settings: Settings = app.state.settings
    with app.state.sessions() as db:
        user_id = db.scalars(select(User.id).where(User.username == username)).one()
    return issue_token(
        app.state.token_key, issuer=settings.issuer, user_id=user_id, lifetime_seconds=-600
    )


def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
    """A passkey named ``label``, on a new device, for the token's user; the path to it.

    (An authenticator refuses a second passkey for an account it already holds one for:
    the server lists the existing ones in excludeCredentials.)"""
    response = add_passkey(client, SoftAuthenticator(), token, label, origin=DEFAULT_ORIGIN)
    response.raise_for_status()
    return response.headers["location"]


def valid_write_body() -> dict:
    return {"nickname": "Work laptop"}
