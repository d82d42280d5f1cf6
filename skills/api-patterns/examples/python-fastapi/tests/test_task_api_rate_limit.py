"""Rate limits: RateLimit-Policy and RateLimit on every response, 429 with Retry-After.

The fields are checked by parsing them as RFC 9651 structured fields (a List of String
items with Integer parameters), the syntax of draft-ietf-httpapi-ratelimit-headers-10.
"""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.anyio

# RFC 9651 subset: sf-string items (printable ASCII, \" and \\ escapes) whose parameters
# are lowercase keys with sf-integer values, members separated by "," and optional spaces
# (the policy names here hold no comma, so splitting on one is safe).
_STRING = r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"'
_PARAMS = r"((?:;[a-z*][a-z0-9_.*-]*=-?[0-9]{1,15})*)"
_MEMBER = re.compile(_STRING + _PARAMS)


def parse_policy_list(value: str) -> dict[str, dict[str, int]]:
    """{policy name: {parameter: integer}}; AssertionError unless the field is valid."""
    policies: dict[str, dict[str, int]] = {}
    for raw in value.split(","):
        match = _MEMBER.fullmatch(raw.strip(" "))
        assert match, f"not a structured-field list member: {raw!r} in {value!r}"
        name = re.sub(r"\\(.)", r"\1", match[1])
        params = {}
        for param in match[2].split(";")[1:]:
            key, number = param.split("=")
            params[key] = int(number)
        policies[name] = params
    return policies


def test_the_parser_refuses_the_older_drafts_syntax() -> None:
    assert parse_policy_list('"per-user";q=3;w=60') == {"per-user": {"q": 3, "w": 60}}
    assert parse_policy_list('"a";r=1;t=2, "b";r=0') == {"a": {"r": 1, "t": 2}, "b": {"r": 0}}
    for invalid in ("3", "per-user;q=3", '"per-user";q=3.5', '"x";q="3"', '"x" q=3'):
        with pytest.raises(AssertionError):
            parse_policy_list(invalid)


def rate_limit_fields(response: httpx.Response) -> tuple[dict[str, int], dict[str, int]]:
    """The single policy a response describes: (RateLimit-Policy params, RateLimit params)."""
    assert not any(
        name.lower().startswith("ratelimit-") and name.lower() != "ratelimit-policy"
        for name in response.headers
    ), "draft-06 fields (RateLimit-Limit ...) sent"
    policy = parse_policy_list(response.headers["RateLimit-Policy"])
    state = parse_policy_list(response.headers["RateLimit"])
    assert list(policy) == list(state) and len(policy) == 1, (policy, state)
    name = next(iter(policy))
    assert set(policy[name]) == {"q", "w"} and set(state[name]) == {"r", "t"}
    return policy[name], state[name]


async def test_per_user_limit(new_app, log_in, client_for) -> None:
    app = new_app(rate_limit="3/minute")
    async with client_for(app) as client:
        alice = await log_in(client, "alice")
        remaining = []
        for _ in range(3):
            response = await client.get("/v1/tasks", headers=alice)
            assert response.status_code == 200
            assert response.headers["RateLimit-Policy"] == '"per-user";q=3;w=60'
            policy, state = rate_limit_fields(response)
            assert policy == {"q": 3, "w": 60}
            assert 0 < state["t"] <= 60
            remaining.append(state["r"])
        assert remaining == [2, 1, 0]

        blocked = await client.get("/v1/tasks", headers=alice)
        assert blocked.status_code == 429
        assert blocked.headers["content-type"] == "application/problem+json"
        assert blocked.json()["type"].endswith("/rate-limited")
        retry_after = int(blocked.headers["Retry-After"])
        assert 0 < retry_after <= 60
        _, state = rate_limit_fields(blocked)
        assert state["r"] == 0 and state["t"] == retry_after
        # Conditional and error responses are counted and labelled too.
        not_found = await client.get("/v1/tasks/1", headers=alice)
        assert not_found.status_code == 429
        rate_limit_fields(not_found)

        # Per user: bob has his own budget.
        bob = await log_in(client, "bob")
        assert (await client.get("/v1/tasks", headers=bob)).status_code == 200


async def test_login_is_limited_per_client_address(new_app, client_for) -> None:
    app = new_app(auth_rate_limit="2/minute")
    async with client_for(app) as client:
        guess = {"username": "alice", "password": "guess-1234567"}
        first = await client.post("/v1/login", json=guess)
        assert first.status_code == 401
        assert rate_limit_fields(first) == ({"q": 2, "w": 60}, {"r": 1, "t": 60})
        assert first.headers["RateLimit-Policy"] == '"per-ip";q=2;w=60'
        assert (await client.post("/v1/login", json=guess)).status_code == 401
        guessing = await client.post("/v1/login", json=guess)
        assert guessing.status_code == 429
        assert guessing.json()["type"].endswith("/rate-limited")
        assert "Retry-After" in guessing.headers
        # Even the right password waits: the limit is on attempts, not failures.
        right = await client.post("/v1/login", json={**guess, "password": "irrelevant"})
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
