"""Rate limiting with the ``limits`` library: a moving window, per user or per client IP.

Headers follow the IETF draft "RateLimit header fields for HTTP"
(draft-ietf-httpapi-ratelimit-headers-07): ``RateLimit-Limit``, ``RateLimit-Remaining``
and ``RateLimit-Reset`` (seconds until the window frees a request), on every response
of a limited operation; a 429 adds ``Retry-After`` (RFC 9110).

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
    def __init__(self, limit: str, namespace: str) -> None:
        self.item = limits.parse(limit)
        self.namespace = namespace
        # A moving window has no burst at the window boundary (a fixed window lets a
        # client spend its budget twice in a row across the edge).
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str) -> dict[str, str]:
        """Count one request for ``key``; return the headers, or raise a 429 problem."""
        allowed = self.limiter.hit(self.item, self.namespace, key)
        stats = self.limiter.get_window_stats(self.item, self.namespace, key)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(max(0, stats.remaining)),
            "RateLimit-Reset": str(reset),
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
