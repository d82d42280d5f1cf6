"""Login throttling under attack: one address spraying many accounts, many addresses guessing
one account, the right password while locked, unknown accounts, and a spoofed
X-Forwarded-For. Client addresses are set in the ASGI scope (`client`), which is where
uvicorn puts the peer's address, or a trusted proxy's X-Forwarded-For.
"""

from __future__ import annotations

import threading

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

LIMIT_PER_MINUTE = 20  # Settings.login_limits_per_address: "20/minute;200/hour"
FREE_FAILURES = 5  # Settings.login_backoff
WRONG = "not the password at all"


class Network:
    """Serves `app` so that each request seems to come from `self.host`."""

    def __init__(self, app, serve) -> None:
        self.app = app
        self.host = "192.0.2.1"
        self.client = serve(self)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (self.host, 50_000)}
        await self.app(scope, receive, send)

    def login(self, username: str, password: str, host: str, **kwargs):
        self.host = host
        return self.client.post(
            "/auth/login", json={"username": username, "password": password}, **kwargs
        )


@pytest.fixture
def network(app, serve) -> Network:
    return Network(app, serve)


def address(n: int) -> str:
    return f"198.51.100.{n % 250 + 1}" if n < 250 else f"203.0.113.{n % 250 + 1}"


def throttled(client, response) -> int:
    """Assert a 429 problem with a Retry-After in whole seconds; return the seconds."""
    body = client.problem(response, 429)
    assert body["detail"] == "Too many login attempts; try again later."
    return int(response.headers["retry-after"])


def test_credential_stuffing_from_one_address_is_stopped_by_the_address_limit(network, password):
    client = network.client
    for name in ("alice", "bob"):
        client.register(name)
    # A leaked list: a different account each time, so no account ever reaches its backoff.
    for n in range(LIMIT_PER_MINUTE):
        name = ("alice", "bob")[n] if n < 2 else f"victim{n}"
        client.problem(network.login(name, WRONG, host="192.0.2.66"), 401)
    refused = network.login("carol", WRONG, host="192.0.2.66")
    assert 1 <= throttled(client, refused) <= 60
    # Even a correct pair is refused from that address now ...
    throttled(client, network.login("alice", password, host="192.0.2.66"))
    # ... while the same account from another address is fine: the limit is per address,
    # and the refused attempts never counted against alice's account.
    for _ in range(FREE_FAILURES + 3):
        network.login("alice", WRONG, host="192.0.2.66")
    assert network.login("alice", password, host="192.0.2.7").status_code == 200


def test_one_account_from_many_addresses_is_stopped_by_the_backoff(network, clock):
    client = network.client
    client.register("alice")
    attempts = iter(range(1000))  # a botnet: every guess from a fresh address

    def guess():
        return network.login("alice", WRONG, host=address(next(attempts)))

    for _ in range(FREE_FAILURES):
        client.problem(guess(), 401)
    waits = []
    for _ in range(9):
        waits.append(throttled(client, guess()))  # locked: refused without a guess
        assert throttled(client, guess()) == waits[-1]  # refused tries do not extend it
        clock.advance(waits[-1])
        client.problem(guess(), 401)  # one more guess allowed, and it doubles the lock
    assert waits == [10, 20, 40, 80, 160, 320, 640, 900, 900]  # capped at 15 minutes


def test_the_right_password_is_refused_while_the_account_is_locked(network, clock, password):
    client = network.client
    client.register("alice")
    for n in range(FREE_FAILURES):
        network.login("alice", WRONG, host=address(n))
    wrong = network.login("alice", WRONG, host=address(10))
    right = network.login("alice", password, host=address(11))
    assert throttled(client, right) == throttled(client, wrong) == 10
    assert wrong.json() == right.json()  # nothing tells the attacker the guess was right
    assert "access_token" not in right.text
    clock.advance(10)
    assert network.login("alice", password, host=address(12)).status_code == 200


def test_a_success_resets_the_count(network, password):
    client = network.client
    client.register("alice")
    for n in range(FREE_FAILURES - 1):
        client.problem(network.login("alice", WRONG, host=address(n)), 401)
    assert network.login("alice", password, host=address(20)).status_code == 200
    # Counting on from 4 would lock after the next failure; from 0 it takes five.
    for n in range(FREE_FAILURES):
        client.problem(network.login("alice", WRONG, host=address(30 + n)), 401)
    throttled(client, network.login("alice", password, host=address(40)))


def test_a_run_of_failures_is_forgotten_after_a_day(network, clock, settings):
    client = network.client
    client.register("alice")
    for n in range(FREE_FAILURES - 1):
        network.login("alice", WRONG, host=address(n))
    clock.advance(settings.login_backoff.forget_after_seconds)
    for n in range(FREE_FAILURES):
        client.problem(network.login("alice", WRONG, host=address(10 + n)), 401)
    throttled(client, network.login("alice", WRONG, host=address(20)))


def test_an_unknown_account_gets_exactly_the_answers_a_real_one_gets(network, clock, password):
    """Status, body and headers, step by step: no 429 (or its absence) gives a name away."""
    network.client.register("alice")

    def story(username: str, first_host: int) -> list[tuple[int, dict, dict]]:
        hosts = iter(range(first_host, first_host + 100))
        answers = []
        for step in ["guess"] * (FREE_FAILURES + 2) + ["wait"] + ["guess"] * 2:
            if step == "wait":
                clock.advance(10)
                continue
            response = network.login(username, password + "?", host=address(next(hosts)))
            headers = {k: v for k, v in response.headers.items() if k != "date"}
            answers.append((response.status_code, response.json(), headers))
        return answers

    real, made_up = story("alice", 0), story("mallory", 100)
    assert [status for status, _, _ in real] == [401] * FREE_FAILURES + [429, 429, 401, 429]
    assert real == made_up


def test_parallel_guesses_cannot_slip_past_the_count(app, serve):
    """Each attempt is counted before its password is checked, atomically: of 12 guesses
    fired at once, only the free ones get to be verified."""
    serve(app).register("alice")
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def guess() -> None:
        with serve(app) as own_client:
            barrier.wait()
            statuses.append(own_client.login("alice", WRONG).status_code)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * FREE_FAILURES + [429] * (12 - FREE_FAILURES)


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(app, serve):
    """Behind a proxy the server takes the client address from X-Forwarded-For, but only
    when the peer is a proxy it trusts (uvicorn --forwarded-allow-ips; here its middleware
    with trusted_hosts). Anyone else rotating the header still hits the limit."""
    network = Network(ProxyHeadersMiddleware(app, trusted_hosts=["10.0.0.1"]), serve)

    def spray(peer: str, count: int) -> list[int]:
        return [
            network.login(
                f"user{n}", WRONG, host=peer, headers={"X-Forwarded-For": address(n)}
            ).status_code
            for n in range(count)
        ]

    assert spray("192.0.2.99", LIMIT_PER_MINUTE + 1) == [401] * LIMIT_PER_MINUTE + [429]
    assert spray("10.0.0.1", LIMIT_PER_MINUTE + 5) == [401] * (LIMIT_PER_MINUTE + 5)


def test_openapi_declares_the_429_and_its_retry_after(client):
    login = client.get("/openapi.json").json()["paths"]["/auth/login"]["post"]
    too_many = login["responses"]["429"]
    assert "application/problem+json" in too_many["content"]
    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
