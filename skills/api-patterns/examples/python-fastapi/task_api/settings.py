"""Settings, read once from environment variables, with defaults that are safe to run.

Nothing secret has a default: the token signing key and the cursor key are generated when
the app starts (see ``security.py`` and ``pagination.py``), so tokens and cursors stop
working when the process restarts. A service with several replicas loads shared keys
from a secret store instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import limits

PASSWORD_PROFILES = ("rfc9106-low-memory", "cheapest-insecure-for-tests")


def default_database_url() -> str:
    # A file in the system temp directory: the service runs from a read-only checkout,
    # and nothing is written into the source tree.
    folder = Path(tempfile.gettempdir()) / "task_api"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'tasks.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    # JWT access tokens: who issues them, who they are for, how long they live.
    token_issuer: str = "https://task-api.example"
    token_audience: str = "task-api"
    access_token_seconds: int = 900
    # Requests per window, in the `limits` notation ("120/minute", "10 per second").
    rate_limit: str = "120/minute"
    # Login and sign-up, per client address (an IPv6 /64): one address guessing
    # across many accounts.
    auth_rate_limit: str = "10/minute"
    # Per username (login_throttle.py): many addresses guessing one account. After
    # this many failures, attempts are spaced 1, 2, 4, ... seconds apart, at most 15 min.
    login_free_failures: int = 5
    login_backoff_seconds: int = 1
    login_max_backoff_seconds: int = 900
    # Bodies larger than this get 413 before the application reads them.
    max_body_bytes: int = 65_536
    # argon2id parameters; the cheap profile exists only to keep test suites fast.
    password_profile: str = "rfc9106-low-memory"

    def __post_init__(self) -> None:
        for name in ("rate_limit", "auth_rate_limit"):
            value = getattr(self, name)
            try:
                limits.parse(value)
            except ValueError:
                raise ValueError(f"{name}: not a rate limit like '120/minute': {value!r}") from None
        if self.password_profile not in PASSWORD_PROFILES:
            raise ValueError(f"password_profile must be one of {PASSWORD_PROFILES}")
        if self.max_body_bytes < 1024:
            raise ValueError("max_body_bytes must be at least 1024")
        if not 30 <= self.access_token_seconds <= 3600:
            raise ValueError("access_token_seconds must be between 30 and 3600")
        if self.login_free_failures < 1:
            raise ValueError("login_free_failures must be at least 1")
        if not 1 <= self.login_backoff_seconds <= self.login_max_backoff_seconds:
            raise ValueError("need 1 <= login_backoff_seconds <= login_max_backoff_seconds")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from TASK_API_* variables (DATABASE_URL for the database)."""
        env = os.environ if environ is None else environ
        overrides: dict[str, str | int] = {}
        for field, variable, convert in (
            ("token_issuer", "TASK_API_TOKEN_ISSUER", str),
            ("token_audience", "TASK_API_TOKEN_AUDIENCE", str),
            ("access_token_seconds", "TASK_API_ACCESS_TOKEN_SECONDS", int),
            ("rate_limit", "TASK_API_RATE_LIMIT", str),
            ("auth_rate_limit", "TASK_API_AUTH_RATE_LIMIT", str),
            ("login_free_failures", "TASK_API_LOGIN_FREE_FAILURES", int),
            ("login_backoff_seconds", "TASK_API_LOGIN_BACKOFF_SECONDS", int),
            ("login_max_backoff_seconds", "TASK_API_LOGIN_MAX_BACKOFF_SECONDS", int),
            ("max_body_bytes", "TASK_API_MAX_BODY_BYTES", int),
            ("password_profile", "TASK_API_PASSWORD_PROFILE", str),
        ):
            if variable in env:
                try:
                    overrides[field] = convert(env[variable])
                except ValueError:
                    raise ValueError(f"{variable}: not a valid {convert.__name__}") from None
        database_url = env.get("DATABASE_URL") or default_database_url()
        return cls(database_url=database_url, **overrides)
