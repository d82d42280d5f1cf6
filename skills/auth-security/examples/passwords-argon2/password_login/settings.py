"""Every knob in one place, with the production values as defaults."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost parameters; `memory_kib` is KiB, as in the hash string's `m=`."""

    memory_kib: int
    time_cost: int
    parallelism: int


# OWASP Password Storage Cheat Sheet, argon2id, first of its equivalent minimums:
# m=19 MiB, t=2, p=1. About 40 ms a hash on one core of the machine this was checked on.
# RFC 9106's second recommended option (m=64 MiB, t=3, p=4) costs 3.4x the memory per
# login, and a server on a 1-2 GB host must fit `hashing_slots` of these side by side.
OWASP_MINIMUM = Argon2Parameters(memory_kib=19_456, time_cost=2, parallelism=1)
RFC_9106_LOW_MEMORY = Argon2Parameters(memory_kib=65_536, time_cost=3, parallelism=4)


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

PASSWORD_MIN_CHARS = 12
# Long enough for any passphrase or password manager; short enough that nobody can make the
# server hash a megabyte per request (the body limit caps it again at the transport).
PASSWORD_MAX_CHARS = 1024


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///password_login.db"
    argon2: Argon2Parameters = OWASP_MINIMUM
    # At most this many hashes at once, so memory peaks at hashing_slots * m (4 * 19 MiB),
    # not at the thread pool's 40 * m when a burst of logins arrives.
    hashing_slots: int = 4
    access_token_ttl_seconds: int = 15 * 60
    # Clock skew tolerated on exp/nbf/iat between this issuer and its verifiers.
    leeway_seconds: int = 30
    issuer: str = "password-login-example"
    audience: str = "password-login-api"
    max_body_bytes: int = 16_384
    # Every login attempt from one client address counts (it also caps the argon2 work one
    # address can cause); generous, because offices and carrier NAT share an address.
    login_limits_per_address: str = "20/minute;200/hour"
    # Where those windows live: "memory://" is per process; "redis://host:6379" is shared.
    rate_limit_storage_uri: str = "memory://"
    login_backoff: BackoffPolicy = LOGIN_BACKOFF
    # HMAC key for the access tokens; None generates a fresh 256-bit one per app.
    signing_key: bytes | None = None
    clock: Callable[[], float] = field(default=time.time)
