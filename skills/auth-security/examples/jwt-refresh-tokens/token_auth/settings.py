"""Every knob in one place, with the production values as defaults."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


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
    clock: Callable[[], float] = field(default=time.time)
