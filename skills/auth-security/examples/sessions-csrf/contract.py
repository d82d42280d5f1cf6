"""Hooks the course's checks use to build this example (see README).

This example authenticates with a session cookie, not a bearer token, so it does not opt
in to the bearer-token contract suite (no API_CONTRACT marker): its own tests attack the
cookie, CSRF and session lifecycle. `make_app` lets the course hold its OpenAPI document
to the api-patterns skill's design rules, as it does for every example.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from session_auth.api import create_app
from session_auth.settings import Settings


def make_app(work_dir: Path) -> FastAPI:
    """A fresh ASGI app whose SQLite file lives under work_dir."""
    return create_app(Settings(database_url=f"sqlite:///{Path(work_dir) / 'session_auth.db'}"))
