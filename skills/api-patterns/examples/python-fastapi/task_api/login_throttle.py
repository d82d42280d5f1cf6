"""Per-account login throttling: a failure counter with exponential backoff.

The per-IP limit (``auth_rate_limit`` in dependencies.py, on every login and sign-up)
stops one address from trying many accounts (credential stuffing, password spraying).
It cannot stop many addresses (a botnet, rotating proxies) from guessing one account;
this counter does. Each username's failed logins are counted: the first
``free_failures`` cost nothing; after that each attempt that is let through opens a
lock of ``base_seconds * 2**k`` seconds (k = 0, 1, 2, ..., capped at ``max_seconds``),
and while the lock lasts that username's logins are refused without looking at the
password, the right one included. A successful login clears the count.

No user enumeration: the counter is keyed by the username *as submitted*, whether or not
such an account exists, so an unknown name is counted, locked and answered exactly like
a real one (same status, body and headers).

An attempt is counted as a failure *before* the password is checked (and the count is
cleared if it succeeds), and the lock is taken by one atomic ``incr``: concurrent
guesses cannot all slip in before the first failure is recorded. The counters live in a
``limits`` storage: process memory here; several replicas share them by passing
``storage_from_string("redis://...")``.

A lock is also a lever for denial of service (anyone can keep a victim waiting), so the
wait is capped, and a count is forgotten FORGET_AFTER_SECONDS after its first failure.
"""

from __future__ import annotations

import math
import time

from limits.storage import MemoryStorage, Storage

FORGET_AFTER_SECONDS = 24 * 3600
# 2**30 seconds is decades: beyond this the cap has long applied.
_MAX_EXPONENT = 30


class LoginLocked(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"locked for {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    def __init__(
        self,
        free_failures: int,
        base_seconds: int,
        max_seconds: int,
        storage: Storage | None = None,
    ) -> None:
        self.free_failures = free_failures
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.storage = storage or MemoryStorage()

    @staticmethod
    def _keys(username: str) -> tuple[str, str]:
        return f"login-failures/{username}", f"login-lock/{username}"

    def wait_after(self, failures: int) -> int:
        """Seconds the attempt after ``failures`` failures must wait (0: free)."""
        if failures <= self.free_failures:
            return 0
        exponent = min(failures - self.free_failures - 1, _MAX_EXPONENT)
        return min(self.max_seconds, self.base_seconds * 2**exponent)

    def begin(self, username: str) -> None:
        """Count an attempt as a failure until ``succeeded``; raise LoginLocked to refuse it."""
        failures_key, lock_key = self._keys(username)
        failures = self.storage.incr(failures_key, FORGET_AFTER_SECONDS)
        wait = self.wait_after(failures)
        if wait == 0:
            return
        # The first to increment the lock counter opens the lock and is checked; everyone
        # else, until it expires, is refused.
        if self.storage.incr(lock_key, wait) == 1:
            return
        # A refused attempt learned nothing about the password: it does not count.
        self.storage.decr(failures_key)
        raise LoginLocked(max(1, math.ceil(self.storage.get_expiry(lock_key) - time.time())))

    def succeeded(self, username: str) -> None:
        for key in self._keys(username):
            self.storage.clear(key)
