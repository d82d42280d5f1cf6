"""Every knob in one place, with the production values as defaults."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BackoffPolicy:
    """Per-account login backoff: the lock after each failure in a row, in seconds."""

    free_failures: int  # this many failures in a row cost nothing (typos, a caps lock) ...
    base_seconds: int  # ... then the account locks this long, doubling with each failure ...
    max_seconds: int  # ... up to this cap, so an attacker cannot lock the owner out for days
    forget_after_seconds: int  # a run of failures this old starts again from zero


# 5 free failures, then 10 s, 20 s, 40 s ... 15 min: at the cap about 100 guesses a day,
# within NIST SP 800-63B's "no more than 100 consecutive failed attempts".
LOGIN_BACKOFF = BackoffPolicy(
    free_failures=5, base_seconds=10, max_seconds=15 * 60, forget_after_seconds=24 * 3600
)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///token_auth.db"
    # argon2id at OWASP's minimum (m=19 MiB, t=2, p=1); see the passwords-argon2 example.
    argon2_memory_kib: int = 19_456
    argon2_time_cost: int = 2
    # Access tokens cannot be revoked (nobody asks the database), so they live minutes.
    access_token_ttl_seconds: int = 5 * 60
    # A refresh token unused this long dies (a laptop left in a drawer) ...
    refresh_idle_ttl_seconds: int = 7 * 24 * 3600
    # ... and a login session ends after this however busy it is: then the password again.
    refresh_absolute_ttl_seconds: int = 30 * 24 * 3600
    leeway_seconds: int = 30
    issuer: str = "token-auth-example"
    audience: str = "token-auth-api"
    max_body_bytes: int = 16_384
    # Every login attempt from one client address counts (it also caps the argon2 work one
    # address can cause); generous, because offices and carrier NAT share an address.
    login_limits_per_address: str = "20/minute;200/hour"
    # Where those windows live: "memory://" is per process; "redis://host:6379" is shared.
    rate_limit_storage_uri: str = "memory://"
    login_backoff: BackoffPolicy = LOGIN_BACKOFF
    clock: Callable[[], float] = field(default=time.time)
