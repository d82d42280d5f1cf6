"""Hooks the course's API contract suite uses to drive this example (see README)."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from token_auth.api import create_app
from token_auth.db import Base, User
from token_auth.settings import Settings

API_CONTRACT = "bearer-jwt-v1"  # opts in to the course's API contract suite
USERS: tuple[str, str] = ("alice", "bob")
MAX_BODY_BYTES: int = Settings.max_body_bytes

WRITE_OPERATION: tuple[str, str] = ("POST", "/notes")


def demo_password(username: str) -> str:
    """The seeded users' passwords: demo values for tests, not secrets."""
    return f"{username}-demo-passphrase"


def make_app(work_dir: Path) -> FastAPI:
    """A fresh ASGI app whose state (SQLite file, keys) lives under work_dir; seeds USERS."""
    app = create_app(Settings(database_url=f"sqlite:///{Path(work_dir) / 'token_auth.db'}"))
    Base.metadata.create_all(app.state.engine)
    now = int(app.state.settings.clock())
    with app.state.session_factory() as session:
        for username in USERS:
            password_hash = app.state.passwords.hash(demo_password(username))
            session.add(User(username=username, password_hash=password_hash, created_at=now))
        session.commit()
    return app


def access_token(client: httpx.Client, username: str) -> str:
    """A valid bearer access token for a seeded user, through POST /auth/login."""
    response = client.post(
        "/auth/login", json={"username": username, "password": demo_password(username)}
    )
    response.raise_for_status()
    return response.json()["access_token"]


def expired_access_token(app: FastAPI, username: str) -> str:
    """A token exactly like the app issues, signed with the app's real key, but expired."""
    with app.state.session_factory() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    tokens = app.state.access_tokens
    issued_at = int(app.state.settings.clock()) - tokens.ttl_seconds - 3600
    return tokens.issue(user_id, secrets.token_hex(16), issued_at=issued_at)


def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
    response = client.post(
        "/notes",
        json={"title": label, "body": f"note body: {label}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return f"/notes/{response.json()['id']}"


def valid_write_body() -> dict:
    return {"title": "Groceries", "body": "oat milk, coffee"}
