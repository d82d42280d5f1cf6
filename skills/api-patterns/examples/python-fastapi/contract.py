"""Hooks the course's API contract suite uses to drive this example (see README)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from task_api.accounts import create_user
from task_api.main import create_app
from task_api.models import User
from task_api.settings import Settings

API_CONTRACT = "bearer-jwt-v1"  # opts in to the course's API contract suite
USERS: tuple[str, str] = ("alice", "bob")
MAX_BODY_BYTES: int = 65_536
WRITE_OPERATION: tuple[str, str] = ("POST", "/v1/tasks")

# Random per process: no password that looks real is written down anywhere.
_PASSWORDS = {username: secrets.token_urlsafe(18) for username in USERS}


def make_app(work_dir: Path) -> FastAPI:
    """A fresh ASGI app whose state (SQLite file, keys) lives under work_dir; seeds USERS."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{work_dir / 'tasks.db'}",
        max_body_bytes=MAX_BODY_BYTES,
        # The suite sends many requests from one address; the limits themselves are
        # tested in tests/test_task_api_rate_limit.py.
        rate_limit="100000/minute",
        auth_rate_limit="10000/minute",
    )
    app = create_app(settings)
    services = app.state.services
    with services.sessions() as session:
        for username in USERS:
            create_user(session, services.passwords, username, _PASSWORDS[username])
    return app


def access_token(client: httpx.Client, username: str) -> str:
    """A valid bearer access token for a seeded user, through POST /v1/login."""
    response = client.post(
        "/v1/login", json={"username": username, "password": _PASSWORDS[username]}
    )
    response.raise_for_status()
    return response.json()["access_token"]


def expired_access_token(app: FastAPI, username: str) -> str:
    """A token exactly like the app issues, signed with the app's real key, but expired."""
    services = app.state.services
    with services.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise LookupError(f"no user {username!r}")
    # Issued two hours ago: expired far beyond the verifier's clock-skew leeway.
    claims = services.tokens.claims_for(str(user_id), int(time.time()) - 7200)
    return services.tokens.sign(claims)


def create_owned_object(client: httpx.Client, token: str, label: str) -> str:
    """Create a task whose title and notes include ``label``; return the path that reads it."""
    response = client.post(
        "/v1/tasks",
        json={"title": f"task {label}", "notes": f"notes about {label}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return response.headers["Location"]


def valid_write_body() -> dict:
    """A body WRITE_OPERATION accepts (201) for a seeded user."""
    return {"title": "Write the report", "notes": "first draft", "status": "todo", "priority": 2}
