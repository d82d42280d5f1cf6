"""Rate limits: RateLimit-* headers on every response, 429 with Retry-After when spent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_per_user_limit(new_app, log_in, client_for) -> None:
    app = new_app(rate_limit="3/minute")
    async with client_for(app) as client:
        alice = await log_in(client, "alice")
        remaining = []
        for _ in range(3):
            response = await client.get("/v1/tasks", headers=alice)
            assert response.status_code == 200
            assert response.headers["RateLimit-Limit"] == "3"
            assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
            remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert remaining == [2, 1, 0]

        blocked = await client.get("/v1/tasks", headers=alice)
        assert blocked.status_code == 429
        assert blocked.headers["content-type"] == "application/problem+json"
        assert blocked.json()["type"].endswith("/rate-limited")
        assert 0 < int(blocked.headers["Retry-After"]) <= 60
        assert blocked.headers["RateLimit-Remaining"] == "0"
        # Conditional and error responses are counted and labelled too.
        assert (await client.get("/v1/tasks/1", headers=alice)).status_code == 429

        # Per user: bob has his own budget.
        bob = await log_in(client, "bob")
        assert (await client.get("/v1/tasks", headers=bob)).status_code == 200


async def test_login_is_limited_per_client_address(new_app, client_for) -> None:
    app = new_app(auth_rate_limit="2/minute")
    async with client_for(app) as client:
        form = {"grant_type": "password", "username": "alice", "password": "guess-1234567"}
        for _ in range(2):
            assert (await client.post("/v1/token", data=form)).status_code == 400
        guessing = await client.post("/v1/token", data=form)
        assert guessing.status_code == 429
        assert "Retry-After" in guessing.headers
        # Even the right password waits: the limit is on attempts, not failures.
        right = await client.post("/v1/token", data={**form, "password": "irrelevant"})
        assert right.status_code == 429


def test_settings_refuse_a_malformed_limit(tmp_path) -> None:
    from task_api.settings import Settings

    with pytest.raises(ValueError, match="rate_limit"):
        Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", rate_limit="lots")


def test_settings_from_environment() -> None:
    from task_api.settings import Settings

    settings = Settings.from_env(
        {
            "DATABASE_URL": "sqlite:///x.db",
            "TASK_API_RATE_LIMIT": "5/second",
            "TASK_API_MAX_BODY_BYTES": "2048",
        }
    )
    assert (settings.database_url, settings.rate_limit, settings.max_body_bytes) == (
        "sqlite:///x.db",
        "5/second",
        2048,
    )
    assert Settings.from_env({}).database_url.endswith("task_api/tasks.db")
    with pytest.raises(ValueError, match="TASK_API_MAX_BODY_BYTES"):
        Settings.from_env({"TASK_API_MAX_BODY_BYTES": "lots"})
