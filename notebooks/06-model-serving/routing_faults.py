"""Faults on a real server: an ASGI middleware that makes an endpoint slow, overloaded or gone.

`FaultInjector` wraps any ASGI app (here the course's inference server) and, for the
requests under ``/v1/``, adds latency, answers 503 or 429 with ``Retry-After``, or drops
the connection without a response, each with the probability its `Faults` say. The
draws come from a seeded random generator, one draw per request, so the same requests
meet the same faults on every run. Faults switch at run time with `set` (the notebook's
fault schedule and the operator panel do), and every request is logged as the server
saw it: what was injected, the status sent and the client's retry counter, if it sends
one. So a client's retries are counted where they land, at the server.

Liveness and readiness (``/health``, ``/ready``) are left alone: the faults are the
model endpoint's, not the process's.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, replace

import httpx

from backend_skills.serve import ServedApp


# region faults
@dataclass(frozen=True)
class Faults:
    """What the endpoint does to each request; rates are probabilities per request."""

    errors: float = 0.0  # answered 503 Service Unavailable with Retry-After
    rate_limits: float = 0.0  # answered 429 Too Many Requests with Retry-After
    drops: float = 0.0  # the connection is closed before any response
    latency_ms: float = 0.0  # added to every request
    slow: float = 0.0  # share of requests that also wait slow_ms (a latency tail)
    slow_ms: float = 0.0
    retry_after_ms: int = 20  # what the 503 and 429 ask the client to wait

    def __post_init__(self) -> None:
        rates = (self.errors, self.rate_limits, self.drops, self.slow)
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates[:3]) > 1.0:
            raise ValueError(
                f"fault rates must be in 0..1 and errors+rate_limits+drops <= 1: {self}"
            )
        if min(self.latency_ms, self.slow_ms, self.retry_after_ms) < 0:
            raise ValueError(f"delays must not be negative: {self}")


HEALTHY = Faults()
# endregion


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    at: float  # time.perf_counter() when it arrived
    method: str
    path: str
    fault: str  # "none", "error", "rate-limit", "drop"
    slow: bool
    status: int | None  # None: dropped, no response
    retry_count: str | None  # the client's x-stainless-retry-count header (the openai SDK)


class FaultInjector:
    """ASGI middleware: ``FaultInjector(app, seed=0)``; ``injector.set(errors=0.3)``."""

    def __init__(self, app, *, seed: int = 0, prefix: str = "/v1/") -> None:
        self.app = app
        self.prefix = prefix
        self.faults = HEALTHY
        self.seen: list[Seen] = []
        self.reseed(seed)

    def set(self, faults: Faults | None = None, **changes) -> Faults:
        """Switch faults at run time: a whole `Faults`, or changes to the current one."""
        self.faults = replace(faults or self.faults, **changes)
        return self.faults

    def heal(self) -> None:
        self.faults = HEALTHY

    def reseed(self, seed: int) -> None:
        """Restart the draws (and the log), so a measurement starts from the same faults."""
        self.rng = random.Random(seed)
        self.seen = []

    def counts(self) -> Counter:
        """How many requests met each fault since the last reseed or `clear_log`."""
        return Counter(seen.fault for seen in self.seen)

    def clear_log(self) -> None:
        self.seen = []

    # region middleware
    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        faults = self.faults  # one consistent set for this request, even if set() runs now
        draw, slow = self.rng.random(), self.rng.random() < faults.slow
        if draw < faults.drops:
            fault = "drop"
        elif draw < faults.drops + faults.errors:
            fault = "error"
        elif draw < faults.drops + faults.errors + faults.rate_limits:
            fault = "rate-limit"
        else:
            fault = "none"
        delay_ms = faults.latency_ms + (faults.slow_ms if slow else 0.0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        retry_count = dict(scope["headers"]).get(b"x-stainless-retry-count")
        noted = False

        def note(status: int | None) -> None:
            # Logged before the client can see the outcome: the client may read the log the
            # moment its answer (or the closed connection) reaches it.
            nonlocal noted
            noted = True
            self.seen.append(
                Seen(
                    arrived,
                    scope["method"],
                    scope["path"],
                    fault,
                    slow,
                    status,
                    retry_count.decode() if retry_count else None,
                )
            )

        async def send_and_note(message) -> None:
            if message["type"] == "http.response.start":
                note(message["status"])
            await send(message)

        if fault == "drop":
            note(None)
            await drop_connection(receive, send)
        elif fault in ("error", "rate-limit"):
            await send_problem(send_and_note, scope, 503 if fault == "error" else 429, faults)
        else:
            await self.app(scope, receive, send_and_note)
        if not noted:  # the app ended without a response
            note(None)

    # endregion


# region responses
async def send_problem(send, scope, status: int, faults: Faults) -> None:
    """An RFC 9457 problem with Retry-After: whole seconds (the standard's form), and the
    milliseconds in retry-after-ms, the header Azure's services send and OpenAI's SDK reads
    first."""
    title = "Service Unavailable" if status == 503 else "Too Many Requests"
    body = json.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": f"injected fault: {title.lower()}",
            "instance": scope["path"],
        }
    ).encode()
    seconds = math.ceil(faults.retry_after_ms / 1000)
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(seconds).encode()),
        (b"retry-after-ms", str(faults.retry_after_ms).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def drop_connection(receive, send) -> None:
    """Close the TCP connection with no response, as a crashed process or a proxy would.

    ASGI has no message for this, so it reaches the transport of the uvicorn cycle that
    owns `send` (uvicorn's internals: checked on uvicorn 0.5x, both its HTTP parsers).
    Then it waits for the server to report the disconnect, so uvicorn sees a client that
    went away rather than an app that forgot to answer. Elsewhere: an error after the
    response started, which every server answers by closing the connection.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionAbortedError("injected fault: connection dropped")
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass


# endregion


# region servers
class FaultyServer:
    """A course server behind a FaultInjector, served on 127.0.0.1 until `stop`."""

    def __init__(self, name: str, app, *, seed: int) -> None:
        self.name = name
        self.injector = FaultInjector(app, seed=seed)
        self.served = ServedApp(self.injector)

    def start(self, *, ready_within: float = 15.0) -> FaultyServer:
        self.served.start()
        deadline = time.monotonic() + ready_within
        while httpx.get(self.url + "/ready", timeout=2).status_code != 200:
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.name} was not ready within {ready_within} s")
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        return self.served.url

    def stop(self) -> None:
        self.served.stop()


# endregion
