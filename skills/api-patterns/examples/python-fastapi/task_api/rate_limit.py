"""Rate limiting with the ``limits`` library: a moving window, per user or per client IP.

Headers follow the IETF draft "RateLimit header fields for HTTP"
(draft-ietf-httpapi-ratelimit-headers-10): two structured fields (RFC 9651), each a list
of policies named by a quoted string,

    RateLimit-Policy: "per-user";q=120;w=60     quota q requests per window w seconds
    RateLimit: "per-user";r=117;t=42            r requests left, t seconds until one frees

on every response of a limited operation; a 429 adds ``Retry-After`` (RFC 9110). Drafts
up to -06 used three fields instead (``RateLimit-Limit``, ``-Remaining``, ``-Reset``),
still widely deployed; a client reads whichever it gets.

The storage is in process memory: right for one process, wrong for several replicas,
which need a shared store (``limits`` speaks Redis, Memcached, MongoDB: change the
storage URI, keep the code).
"""

from __future__ import annotations

import math
import time

import limits
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from task_api.problems import ProblemError


class RateLimit:
    def __init__(self, limit: str, policy: str) -> None:
        self.item = limits.parse(limit)
        # The policy name is both the counters' namespace and the name clients see in
        # the headers; it is sent as an sf-string, so keep it to plain ASCII.
        self.policy = policy
        # A moving window has no burst at the window boundary (a fixed window lets a
        # client spend its budget twice in a row across the edge).
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str) -> dict[str, str]:
        """Count one request for ``key``; return the headers, or raise a 429 problem."""
        allowed = self.limiter.hit(self.item, self.policy, key)
        stats = self.limiter.get_window_stats(self.item, self.policy, key)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Policy": f'"{self.policy}";q={self.item.amount};w={self.item.get_expiry()}',
            "RateLimit": f'"{self.policy}";r={max(0, stats.remaining)};t={reset}',
        }
        if not allowed:
            raise ProblemError(
                429,
                f"More than {self.item.amount} requests in {self.item.get_expiry()} s; "
                f"retry in {reset} s.",
                type_="rate-limited",
                title="Too many requests",
                headers={**headers, "Retry-After": str(reset)},
            )
        return headers
