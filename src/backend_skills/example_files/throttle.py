"""Login throttling: a rate limit per client address and a backoff per account.

Two attacks, two counters. Credential stuffing tries leaked pairs for many accounts from one
address: the per-address limit (`limits`, a moving window) stops it. A botnet guessing one
account from thousands of addresses passes any per-address limit: the per-account backoff
stops that. Both are checked before the password is, so a refused attempt costs no argon2
run, and a locked account refuses even the right password (or the answer would confirm it).

The account counter is keyed by the username as typed, whether or not it exists: an unknown
name locks exactly like a real one, so a 429 says nothing about which accounts exist.

Where the state lives:
- per address: `limits` storage (memory here; `redis://...` when several processes serve),
  because a fixed-rate window is exactly what it implements, and losing it on a restart
  costs an attacker's minute, not an account;
- per account: a `login_failures` row in the application's database, because exponential
  backoff needs a failure count and a lock time (not a window count), the row must outlive
  restarts and be shared by every replica (the users table already is), and the
  application's injectable clock drives it, so the tests move time instead of sleeping.
"""

from __future__ import annotations

import math
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from .db import LoginFailure
from .settings import BackoffPolicy


def lock_seconds(policy: BackoffPolicy, failures: int) -> int:
    """How long the account stays locked after `failures` failures in a row."""
    if failures < policy.free_failures:
        return 0
    # Capped before the power too: 2 ** 10_000 is a big int nobody needs to compute.
    doublings = min(failures - policy.free_failures, 32)
    return min(policy.base_seconds * 2**doublings, policy.max_seconds)


class LoginThrottle:
    def __init__(self, per_address: str, storage_uri: str, backoff: BackoffPolicy) -> None:
        self._address_limits = parse_many(per_address)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.backoff = backoff

    def address_wait(self, address: str) -> int | None:
        """Count one attempt from `address`; the seconds to wait if it is over a limit."""
        for limit in self._address_limits:
            if not self._limiter.hit(limit, "login-address", address):
                reset_at, _ = self._limiter.get_window_stats(limit, "login-address", address)
                # limits keeps its own time (time.time), so its reset time is read against it.
                return max(1, math.ceil(reset_at - time.time()))
        return None

    def claim_attempt(self, session: Session, username: str, now: int) -> int | None:
        """Count an attempt for `username` before its password is checked.

        Returns the seconds to wait if the account is locked (nothing is counted then), or
        None: go ahead. Counting first, as a failure that a success later erases, closes the
        race where many parallel guesses all pass the check before any of them is recorded.
        """
        forgotten = LoginFailure.last_failure_at <= now - self.backoff.forget_after_seconds
        # One atomic upsert: the row is only touched while it is not locked. (PostgreSQL's
        # dialect has the same insert().on_conflict_do_update.)
        upsert = (
            insert(LoginFailure)
            .values(username=username, failures=1, last_failure_at=now, locked_until=0)
            .on_conflict_do_update(
                index_elements=[LoginFailure.username],
                set_={
                    "failures": case((forgotten, 1), else_=LoginFailure.failures + 1),
                    "last_failure_at": now,
                },
                where=LoginFailure.locked_until <= now,
            )
            .returning(LoginFailure.failures)
        )
        failures = session.scalar(upsert)
        if failures is None:  # the WHERE refused: locked
            locked_until = session.scalars(
                select(LoginFailure.locked_until).where(LoginFailure.username == username)
            ).one()
            session.rollback()
            return max(1, locked_until - now)
        lock = lock_seconds(self.backoff, failures)
        if lock:
            # Still inside the upsert's transaction, which holds the write lock.
            session.execute(
                update(LoginFailure)
                .where(LoginFailure.username == username)
                .values(locked_until=now + lock)
            )
        session.commit()
        return None

    def succeeded(self, session: Session, username: str) -> None:
        """The right password: the account's count starts again."""
        session.execute(delete(LoginFailure).where(LoginFailure.username == username))
        session.commit()
