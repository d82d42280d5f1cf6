"""Everything an app instance needs to know, passed in rather than read from globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from access_control.models import utc_now
from access_control.rebac import DEFAULT_MAX_DEPTH

# Bodies larger than this get 413 (README and contract.py state the same number).
MAX_BODY_BYTES = 16_384


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///access_control.db"
    token_lifetime: timedelta = timedelta(minutes=5)
    token_issuer: str = "access-control-example"
    token_audience: str = "access-control-example"
    max_body_bytes: int = MAX_BODY_BYTES
    max_relation_depth: int = DEFAULT_MAX_DEPTH
    seed_demo_data: bool = True
    # The clock drives token expiry and the ABAC office-hours rule; tests pin it.
    clock: Callable[[], datetime] = utc_now
    # argon2id with the library's RFC 9106 "low memory" profile; tests pass a cheap one.
    password_hasher: PasswordHasher = field(default_factory=PasswordHasher)
