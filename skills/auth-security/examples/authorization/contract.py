"""Hooks the course's API contract suite uses to drive this example (see README)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from access_control.api import Services, create_app
from access_control.models import User
from access_control.seed import demo_password
from access_control.settings import MAX_BODY_BYTES as _MAX_BODY_BYTES
from access_control.settings import Settings
from fastapi import FastAPI
from sqlalchemy import select

API_CONTRACT = "bearer-jwt-v1"  # opts in to the course's API contract suite
# Two seeded users in different organizations: neither can see the other's documents.
USERS: tuple[str, str] = ("alice", "bob")
MAX_BODY_BYTES: int = _MAX_BODY_BYTES

WRITE_OPERATION: tuple[str, str] = ("POST", "/v1/documents")


def make_app(work_dir: Path) -> FastAPI:
    """A fresh app whose SQLite file lives under work_dir, seeded before it is returned."""
    app = create_app(Settings(database_url=f"sqlite:///{Path(work_dir) / 'access_control.db'}"))
    app.state.services.initialize_database()  # the lifespan repeats it harmlessly
    return app


def access_token(client: httpx.Client, username: str) -> str:
    response = client.post(
        "/v1/auth/token", json={"username": username, "password": demo_password(username)}
    )
    response.raise_for_status()
    return response.json()["access_token"]


def expired_access_token(app: FastAPI, username: str) -> str:
    """Signed with the app's own key, issued long enough ago to have expired."""
    services: Services = app.state.services
    with services.session_factory() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise ValueError(f"no seeded user {username!r}")
    issued_at = services.settings.clock() - services.settings.token_lifetime - timedelta(hours=1)
    return services.tokens.issue(user_id, issued_at=issued_at)


def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
    response = client.post(
        "/v1/documents",
        json={"title": label, "body": f"Private notes: {label}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return f"/v1/documents/{response.json()['id']}"


def valid_write_body() -> dict:
    return {"title": "Contract check", "body": "Written by the contract suite."}
