"""The client side of a model endpoint: timeouts, retries, a breaker, and a fallback router.

Everything here is what the *caller* decides, because only the caller knows how long its
user will wait: per-attempt timeouts (httpx), a retry policy (tenacity) that repeats only
what is safe to repeat and honours ``Retry-After``, the circuit breaker of
``routing_breaker``, and `Router`, which tries the primary and answers from a fallback
server, a cached answer or a degraded message when the primary cannot answer in time.
`run_schedule` drives a client through a fault schedule and records each request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import tenacity
from routing_breaker import CircuitBreaker, CircuitOpenError

CHAT_PATH = "/v1/chat/completions"


# region timeouts
def chat_client(base_url: str, *, connect=0.5, read=1.0, api_key: str | None = None):
    """An httpx client with explicit budgets: `connect` to open the TCP connection, `read`
    between bytes of the answer (not for the whole answer), write and pool as connect."""
    timeout = httpx.Timeout(connect, read=read, write=connect, pool=connect)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(base_url=base_url, timeout=timeout, headers=headers)


def chat_body(prompt: str, *, model="tiny-transformer", max_tokens=8) -> dict:
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }


def send_chat(client: httpx.Client, body: dict, *, timeout: float | None = None) -> str:
    """One attempt: the answer's text, or an exception (httpx's, or HTTPStatusError).

    TIMEOUT, when given, caps every phase of this attempt: what is left of the caller's
    total budget (httpx has no total deadline of its own)."""
    extra = {"timeout": httpx.Timeout(timeout)} if timeout is not None else {}
    response = client.post(CHAT_PATH, json=body, **extra)
    response.raise_for_status()
    return response.json()["choices"][0]["message"]["content"]


# endregion


# region retry-policy
RETRY_STATUSES = {429, 502, 503, 504}  # the server asks to come back later, or a proxy failed


def is_retryable(exc: BaseException) -> bool:
    """Repeat only what can succeed next time and does no harm twice.

    Transport errors (refused, dropped, timed out) and 429/502/503/504 are retried: a chat
    completion has no side effect, so a repeat costs compute, not correctness. Any other
    4xx is the request's fault (400 empty prompt, 422 unknown field, 401 key): the same
    bytes get the same answer, so retrying only adds load. A POST that creates something
    would be retried only with an idempotency key the server deduplicates on.
    """
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in RETRY_STATUSES
    return isinstance(exc, httpx.TransportError)


def is_endpoint_failure(exc: BaseException) -> bool:
    """What the breaker counts: the endpoint failing or overloaded, not a wrong request."""
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status == 429
    return isinstance(exc, httpx.TransportError)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """What the server asked for: retry-after-ms first (OpenAI's), then Retry-After seconds."""
    for name, scale in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) / scale)
            except ValueError:
                continue  # an HTTP-date: exercise 1
    return None


class wait_retry_after(tenacity.wait.wait_base):
    """Wait what Retry-After says when the failure carries it, else the fallback backoff."""

    def __init__(self, fallback: tenacity.wait.wait_base) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception()
        if isinstance(exc, httpx.HTTPStatusError):
            asked = retry_after_seconds(exc.response.headers)
            if asked is not None:
                return asked
        return self.fallback(retry_state)


def retry_policy(*, attempts=3, deadline=1.0, initial=0.01, max_wait=0.2) -> tenacity.Retrying:
    """At most ATTEMPTS tries and DEADLINE seconds in all: exponential backoff from
    INITIAL seconds with as much jitter, capped at MAX_WAIT; Retry-After when given. A wait
    that would cross the deadline stops instead (stop_before_delay sees the next sleep)."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_retryable),
        wait=wait_retry_after(
            tenacity.wait_exponential_jitter(initial=initial, max=max_wait, jitter=initial)
        ),
        stop=tenacity.stop_after_attempt(attempts) | tenacity.stop_before_delay(deadline),
        reraise=True,  # the caller sees the last real error, not tenacity's RetryError
    )


def call_with_retries(policy: tenacity.Retrying, attempt: Callable[[float], str], deadline):
    """Run ATTEMPT(remaining_seconds) under POLICY; each try gets what is left of DEADLINE."""
    started = time.perf_counter()
    return policy(lambda: attempt(max(0.001, deadline - (time.perf_counter() - started))))


# endregion


# region router
@dataclass
class Routed:
    """One routed request, as the caller saw it."""

    prompt: str
    text: str
    served_by: str  # "primary", "fallback", "cache", "degraded" or "error" (no router)
    latency_s: float
    primary_attempts: int = 0
    breaker: str = ""
    error: str = ""


DEGRADED = "The assistant is busy right now; please try again in a minute."


@dataclass
class Router:
    """Primary first, behind a breaker and a retry budget; then the fallback; then a cached
    answer to the same prompt; then a degraded message. It never raises."""

    primary: httpx.Client
    fallback: httpx.Client
    breaker: CircuitBreaker
    attempts: int = 3  # tries at the primary per request
    primary_budget: float = 0.3  # seconds for all of them
    fallback_budget: float = 1.0
    cache_size: int = 256
    cache: OrderedDict = field(default_factory=OrderedDict)

    def chat(self, prompt: str, **body) -> Routed:
        started, request = time.perf_counter(), chat_body(prompt, **body)
        attempts = [0]

        def through_breaker(remaining: float) -> str:
            attempts[0] += 1
            return self.breaker.call(send_chat, self.primary, request, timeout=remaining)

        served_by, error = "primary", ""
        try:
            policy = retry_policy(attempts=self.attempts, deadline=self.primary_budget)
            text = call_with_retries(policy, through_breaker, self.primary_budget)
        except (CircuitOpenError, httpx.HTTPError) as exc:
            attempts[0] -= isinstance(exc, CircuitOpenError)  # refused: nothing was sent
            error = describe_error(exc)
            if not (isinstance(exc, CircuitOpenError) or is_endpoint_failure(exc)):
                # The request is wrong (a 400, a 422): every server would say the same.
                served_by, text = "rejected", ""
            else:
                served_by, text, error = self._fall_back(prompt, request, error)
        if served_by in ("primary", "fallback"):
            self._remember(prompt, text)
        latency = time.perf_counter() - started
        return Routed(prompt, text, served_by, latency, attempts[0], self.breaker.state, error)

    def _fall_back(self, prompt: str, request: dict, error: str) -> tuple[str, str, str]:
        try:
            return (
                "fallback",
                send_chat(self.fallback, request, timeout=self.fallback_budget),
                error,
            )
        except httpx.HTTPError as exc:
            error += f"; fallback: {describe_error(exc)}"
        if prompt in self.cache:
            return "cache", self.cache[prompt], error
        return "degraded", DEGRADED, error

    def _remember(self, prompt: str, text: str) -> None:
        self.cache[prompt] = text
        self.cache.move_to_end(prompt)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)


def describe_error(exc: BaseException) -> str:
    """A status code, or the transport error's name; both ways a dropped connection shows."""
    if isinstance(exc, httpx.HTTPStatusError):
        return str(exc.response.status_code)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        # A server that closes with no response: httpx sees the close (RemoteProtocolError),
        # or a reset (ReadError) when the close came before the server read all the request.
        return "connection dropped"
    return type(exc).__name__


def direct(client: httpx.Client, prompt: str, **body) -> Routed:
    """No router: one attempt at one server; an error is an error."""
    started = time.perf_counter()
    try:
        text, served_by, error = send_chat(client, chat_body(prompt, **body)), "primary", ""
    except httpx.HTTPError as exc:
        text, served_by, error = "", "error", describe_error(exc)
    return Routed(prompt, text, served_by, time.perf_counter() - started, 1, "", error)


# endregion


# region schedule
@dataclass(frozen=True)
class Phase:
    name: str
    requests: int
    faults: dict  # FaultInjector.set(**faults) on the primary for this phase


def run_schedule(send: Callable[[str], Routed], injector, schedule, prompts, *, pace=0.0):
    """Send one request after another through SEND while the primary's faults follow
    SCHEDULE; PACE seconds between request starts (a steady client). One row per request."""
    rows, number = [], 0
    for phase in schedule:
        injector.heal()
        injector.set(**phase.faults)
        for _ in range(phase.requests):
            started = time.perf_counter()
            routed = send(prompts[number % len(prompts)])
            rows.append({"n": number, "phase": phase.name, "at": started, **routed.__dict__})
            number += 1
            if pace:
                time.sleep(max(0.0, pace - (time.perf_counter() - started)))
    injector.heal()
    return rows


# endregion
