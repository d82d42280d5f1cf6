"""Hooks the course's API contract suite uses to drive this example (see README)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from password_login import accounts
from password_login.api import create_app
from password_login.db import Base
from password_login.settings import Settings

API_CONTRACT = "bearer-jwt-v1"  # opts in to the course's API contract suite
USERS: tuple[str, str] = ("alice", "bob")
MAX_BODY_BYTES: int = Settings.max_body_bytes

WRITE_OPERATION: tuple[str, str] = ("PATCH", "/users/alice")


def demo_password(username: str) -> str:
    """The seeded users' passwords: demo values for tests, not secrets."""
    return f"{username}-demo-passphrase"


def make_app(work_dir: Path) -> FastAPI:
    """A fresh ASGI app whose state (SQLite file, keys) lives under work_dir; seeds USERS."""
    app = create_app(Settings(database_url=f"sqlite:///{Path(work_dir) / 'password_login.db'}"))
    Base.metadata.create_all(app.state.engine)
    now = int(app.state.settings.clock())
    with app.state.session_factory() as session:
        for username in USERS:
            accounts.register(
                session,
                app.state.passwords,
                now,
                username=username,
                email=f"{username}@example.com",
                password=demo_password(username),
            )
    return app


def access_token(client: httpx.Client, username: str) -> str:
    """A valid bearer access token for a seeded user, through POST /login."""
    response = client.post(
        "/login", json={"username": username, "password": demo_password(username)}
    )
    response.raise_for_status()
    return response.json()["access_token"]


def expired_access_token(app: FastAPI, username: str) -> str:
    """A token exactly like the app issues, signed with the app's real key, but expired."""
    tokens = app.state.tokens
    issued_at = int(app.state.settings.clock()) - tokens.ttl_seconds - 3600
    return tokens.issue(username, issued_at=issued_at)


def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
    """The object a user owns here is their profile: put `label` in its display name."""
    path = f"/users/{_subject(token)}"
    response = client.patch(
        path, json={"display_name": label}, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    return path


def valid_write_body() -> dict:
    return {"display_name": "Alice Liddell"}


def _subject(token: str) -> str:
    # Reading (not verifying) our own token's payload: the client already trusts it.
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
