"""Logging in through POST /v1/login (JSON) for the tests in this folder.

The example's top-level conftest.py still logs in through the OAuth password grant this
example no longer has (``POST /v1/token``); these fixtures of the same names override
its ``log_in``, ``alice`` and ``bob`` for every test here (and for the fixtures that use
them, such as ``make_task``). Once that conftest posts ``{"username", "password"}`` to
/v1/login itself, this file can go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

LogIn = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def log_in(passwords: dict[str, str]) -> LogIn:
    async def login(
        client: httpx.AsyncClient, username: str, password: str | None = None
    ) -> dict[str, str]:
        response = await client.post(
            "/v1/login",
            json={
                "username": username,
                "password": passwords[username] if password is None else password,
            },
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login


@pytest.fixture
async def alice(client: httpx.AsyncClient, log_in: LogIn) -> dict[str, str]:
    return await log_in(client, "alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient, log_in: LogIn) -> dict[str, str]:
    return await log_in(client, "bob")
