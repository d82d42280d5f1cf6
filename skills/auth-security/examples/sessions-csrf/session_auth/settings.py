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


# OWASP Password Storage Cheat Sheet, argon2id, first of its equivalent minimums (the
# passwords-argon2 example explains the choice for a 1-2 GB host).
OWASP_MINIMUM = Argon2Parameters(memory_kib=19_456, time_cost=2, parallelism=1)

PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 1024

# The `__Host-` prefix makes the browser refuse the cookie unless it is Secure, has Path=/
# and no Domain: no subdomain (or a man in the middle on plain http) can set or overwrite it.
SESSION_COOKIE = "__Host-session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///session_auth.db"
    # The one origin (scheme://host[:port], exactly as browsers send it in `Origin`) whose
    # pages may change state here. Everything else is cross-site and refused.
    origin: str = "https://localhost:8000"
    argon2: Argon2Parameters = OWASP_MINIMUM
    hashing_slots: int = 4
    # OWASP Session Management Cheat Sheet: 15-30 minutes idle for a low-risk application,
    # and an absolute limit of a working day, after which the user logs in again.
    idle_timeout_seconds: int = 30 * 60
    absolute_lifetime_seconds: int = 8 * 60 * 60
    max_body_bytes: int = 16_384
    clock: Callable[[], float] = field(default=time.time)
