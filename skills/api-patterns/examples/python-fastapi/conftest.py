"""Shared fixtures; also makes ``import task_api`` work however pytest is started.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from task_api.accounts import create_user  # noqa: E402
from task_api.main import create_app  # noqa: E402
from task_api.settings import Settings  # noqa: E402

# Generated per run; the tests never need to know them, only to log in with them.
PASSWORDS = {name: secrets.token_urlsafe(18) for name in ("alice", "bob")}


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'tasks.db'}",
        # Real argon2id, cheapest parameters: the tests log in hundreds of times.
        "password_profile": "cheapest-insecure-for-tests",
        "rate_limit": "10000/minute",
        "auth_rate_limit": "10000/minute",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def seeded_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    services = app.state.services
    with services.sessions() as session:
        for username, password in PASSWORDS.items():
            create_user(session, services.passwords, username, password)
    return app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return seeded_app(make_settings(tmp_path))


@pytest.fixture
def new_app(tmp_path: Path) -> Callable[..., FastAPI]:
    """Another app with its own database and keys, and settings overridden."""
    count = 0

    def make(**overrides: object) -> FastAPI:
        nonlocal count
        count += 1
        folder = tmp_path / f"app{count}"
        folder.mkdir()
        return seeded_app(make_settings(folder, **overrides))

    return make


@pytest.fixture
def passwords() -> dict[str, str]:
    # A fixture rather than an import: with --import-mode=importlib, conftest.py is not
    # importable from the test files as the same module object.
    return PASSWORDS


@pytest.fixture
def log_in() -> Callable[..., Awaitable[dict[str, str]]]:
    return login


@pytest.fixture
def client_for() -> Callable[..., httpx.AsyncClient]:
    """``async with client_for(app) as client:`` for apps other than the default one."""
    return asgi_client


def asgi_client(app: FastAPI, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    # In process, no socket: httpx hands each request straight to the ASGI app.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as async_client:
        yield async_client


async def login(
    client: httpx.AsyncClient, username: str, password: str | None = None
) -> dict[str, str]:
    # The example's first-party JSON login (not OAuth: see README).
    response = await client.post(
        "/v1/login",
        json={
            "username": username,
            "password": PASSWORDS[username] if password is None else password,
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client, "alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client, "bob")


@pytest.fixture
def make_task(client: httpx.AsyncClient, alice: dict[str, str]) -> Callable[..., Awaitable[dict]]:
    async def make(headers: dict[str, str] | None = None, **fields: object) -> dict:
        body = {"title": "a task", **fields}
        response = await client.post("/v1/tasks", json=body, headers=headers or alice)
        assert response.status_code == 201, response.text
        return response.json()

    return make
