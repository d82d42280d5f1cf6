"""Login throttling, attacked: per address across accounts, per account across addresses.

Client addresses are simulated with the ASGI scope's ``client`` (``httpx.ASGITransport(
client=...)``), which is what uvicorn puts there: the TCP peer, or, behind a proxy it was
told to trust, the address from X-Forwarded-For (the last test).
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from task_api.login_throttle import LoginThrottle
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

pytestmark = pytest.mark.anyio

# Long enough that no lock expires while a test runs.
MINUTE_LOCK = {"login_backoff_seconds": 60, "login_max_backoff_seconds": 900}


async def post_login(app, address: str, username: str, password: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post("/v1/login", json={"username": username, "password": password})


def problem_type(response: httpx.Response) -> str:
    return response.json()["type"].rsplit("/", 1)[-1]


def test_backoff_doubles_after_the_free_failures_up_to_the_cap() -> None:
    throttle = LoginThrottle(free_failures=5, base_seconds=1, max_seconds=900)
    waits = [throttle.wait_after(failures) for failures in range(1, 19)]
    assert waits == [0] * 5 + [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert throttle.wait_after(10**6) == 900


async def test_credential_stuffing_from_one_address_is_stopped_per_address(new_app) -> None:
    app = new_app(auth_rate_limit="5/minute", login_free_failures=100)
    answers = [await post_login(app, "203.0.113.7", f"user{n}", "Winter2026!") for n in range(12)]
    assert [r.status_code for r in answers] == [401] * 5 + [429] * 7
    assert {problem_type(r) for r in answers[5:]} == {"rate-limited"}
    assert all(0 < int(r.headers["Retry-After"]) <= 60 for r in answers[5:])
    # The limit is on that address, not on login as a whole.
    assert (await post_login(app, "198.51.100.1", "user1", "Winter2026!")).status_code == 401


async def test_one_account_guessed_from_many_addresses_is_stopped_per_account(
    new_app, passwords
) -> None:
    app = new_app(login_free_failures=3, **MINUTE_LOCK)
    answers = [
        await post_login(app, f"198.51.100.{n}", "alice", f"guess {n}") for n in range(1, 11)
    ]
    # Three free failures; the fourth attempt is checked and opens a 60 s lock.
    assert [r.status_code for r in answers] == [401] * 4 + [429] * 6
    assert {problem_type(r) for r in answers[4:]} == {"login-throttled"}
    assert {r.headers["Retry-After"] for r in answers[4:]} <= {"59", "60"}
    # Refused without looking at the password: the right one waits too.
    right = await post_login(app, "192.0.2.200", "alice", passwords["alice"])
    assert right.status_code == 429 and problem_type(right) == "login-throttled"
    # The lock is alice's alone: bob logs in from the very same addresses.
    bob = await post_login(app, "198.51.100.5", "bob", passwords["bob"])
    assert bob.status_code == 200


async def test_concurrent_guesses_cannot_slip_in_before_the_count(new_app) -> None:
    app = new_app(login_free_failures=3, **MINUTE_LOCK)
    answers = await asyncio.gather(
        *(post_login(app, f"198.51.100.{n}", "alice", f"guess {n}") for n in range(1, 21))
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [401] * 4 + [429] * 16


def comparable(response: httpx.Response) -> tuple[int, dict, dict]:
    """Status, body and headers, with the seconds-to-wait (which ticks) taken out."""
    body = response.json()
    if "detail" in body:
        body["detail"] = re.sub(r"\d+ s\b", "N s", body["detail"])
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in {"retry-after", "content-length", "date"}
    }
    return response.status_code, body, headers


async def test_an_unknown_username_is_answered_exactly_like_a_real_one(new_app, passwords) -> None:
    app = new_app(login_free_failures=3, **MINUTE_LOCK)
    real, unknown = [], []
    # Interleaved, each attempt from an address of its own: both sequences see the same
    # per-address counts and the same clock.
    for n in range(1, 8):
        real.append(await post_login(app, f"198.51.100.{n}", "alice", f"guess {n}"))
        unknown.append(await post_login(app, f"203.0.113.{n}", "mallory", f"guess {n}"))
    real.append(await post_login(app, "198.51.100.99", "alice", passwords["alice"]))
    unknown.append(await post_login(app, "203.0.113.99", "mallory", passwords["alice"]))

    assert [r.status_code for r in real] == [401] * 4 + [429] * 4
    for mine, theirs in zip(real, unknown, strict=True):
        assert comparable(mine) == comparable(theirs)
        assert ("retry-after" in mine.headers) == ("retry-after" in theirs.headers)
        if "retry-after" in mine.headers:
            assert abs(int(mine.headers["retry-after"]) - int(theirs.headers["retry-after"])) <= 1


async def test_success_resets_the_failure_count(new_app, passwords) -> None:
    app = new_app(login_free_failures=3, **MINUTE_LOCK)
    address = iter(f"198.51.100.{n}" for n in range(1, 50))
    for _ in range(2):
        assert (await post_login(app, next(address), "alice", "wrong")).status_code == 401
    assert (await post_login(app, next(address), "alice", passwords["alice"])).status_code == 200
    # Counted from zero again: three free failures, the fourth opens the lock, the
    # fifth is refused. Without the reset the second of these would already be.
    statuses = [
        (await post_login(app, next(address), "alice", "wrong")).status_code for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


async def test_the_lock_ends_and_then_doubles(new_app, passwords) -> None:
    # Real time: the counters live in the limits library's storage, which keeps its
    # own clock. 1 s and 2 s locks keep the test short.
    app = new_app(login_free_failures=1, login_backoff_seconds=1, login_max_backoff_seconds=60)
    assert (await post_login(app, "198.51.100.1", "alice", "wrong")).status_code == 401
    assert (await post_login(app, "198.51.100.2", "alice", "wrong")).status_code == 401
    locked = await post_login(app, "198.51.100.3", "alice", passwords["alice"])
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "1"
    await asyncio.sleep(1.1)
    assert (await post_login(app, "198.51.100.4", "alice", "wrong")).status_code == 401
    doubled = await post_login(app, "198.51.100.5", "alice", passwords["alice"])
    assert doubled.status_code == 429 and doubled.headers["Retry-After"] == "2"
    await asyncio.sleep(2.1)
    assert (await post_login(app, "198.51.100.6", "alice", passwords["alice"])).status_code == 200


async def test_an_ipv6_host_cannot_rotate_through_its_64(new_app) -> None:
    app = new_app(auth_rate_limit="2/minute")
    first = [await post_login(app, f"2001:db8::{n}", f"u{n}", "x") for n in (1, 2, 3)]
    assert [r.status_code for r in first] == [401, 401, 429]
    # Another /64 is another client.
    assert (await post_login(app, "2001:db8:0:1::1", "u4", "x")).status_code == 401


async def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(new_app) -> None:
    # What `uvicorn --proxy-headers --forwarded-allow-ips=10.0.0.1` installs: the
    # client address is taken from X-Forwarded-For only when 10.0.0.1 sent it.
    app = new_app(auth_rate_limit="1/minute")
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="10.0.0.1")

    async def attempt(peer: str, forwarded_for: str) -> int:
        transport = httpx.ASGITransport(app=proxied, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.post(
                "/v1/login",
                json={"username": "alice", "password": "x"},
                headers={"X-Forwarded-For": forwarded_for},
            )
            return response.status_code

    # Two clients behind the proxy: a budget each.
    assert await attempt("10.0.0.1", "198.51.100.1") == 401
    assert await attempt("10.0.0.1", "198.51.100.2") == 401
    assert await attempt("10.0.0.1", "198.51.100.1") == 429
    # Anyone else's X-Forwarded-For is ignored: the untrusted peer is the client.
    assert await attempt("192.0.2.66", "198.51.100.3") == 401
    assert await attempt("192.0.2.66", "198.51.100.4") == 429
