"""Shared fixtures; also makes ``import passkey_login`` work however pytest is started.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.

Apps are served for real by uvicorn on 127.0.0.1 (a free port) and called with httpx.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from passkey_login.client_flows import register_account  # noqa: E402
from passkey_login.server import create_app  # noqa: E402
from passkey_login.settings import DEFAULT_ORIGIN, Settings  # noqa: E402
from passkey_login.soft_authenticator import SoftAuthenticator  # noqa: E402


def load_example_module(name: str) -> Any:
    """Import app.py or contract.py (or tests/served_app.py) under a unique name: every
    example has one."""
    spec = importlib.util.spec_from_file_location(
        f"passkey_login_{Path(name).name}", EXAMPLE_DIR / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served_app = load_example_module("tests/served_app")


@dataclass
class Served:
    app: FastAPI
    url: str
    settings: Settings


class Servers:
    """Starts apps on free loopback ports and stops them all at the end."""

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root
        self.running: list[Any] = []  # served_app.LiveServer

    def start(self, app: FastAPI | None = None, **overrides: Any) -> Served:
        if app is None:
            data_dir = self.data_root / f"server{len(self.running)}"
            app = create_app(replace(Settings(data_dir=data_dir), **overrides))
        live = served_app.LiveServer(app, log_level="warning")
        self.running.append(live.start())
        return Served(app, live.url, app.state.settings)

    def stop_all(self) -> None:
        for live in self.running:
            live.stop()


@pytest.fixture(scope="session")
def contract() -> Any:
    return load_example_module("contract")


@pytest.fixture(scope="session")
def example_module() -> Callable[[str], Any]:
    return load_example_module


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """serve(**settings_overrides): a fresh app of the test's own."""
    servers = Servers(tmp_path)
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One app per test module; tests use fresh usernames, so they do not collide."""
    servers = Servers(tmp_path_factory.mktemp("served"))
    yield servers.start()
    servers.stop_all()


@pytest.fixture(scope="module")
def http(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


@dataclass
class Account:
    username: str
    user_id: int
    token: str
    authenticator: SoftAuthenticator

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


_usernames = itertools.count(1)


@pytest.fixture
def new_account(http: httpx.Client) -> Callable[[], Account]:
    """new_account(): a freshly registered user with one passkey on its own authenticator."""

    def register() -> Account:
        username = f"user{next(_usernames)}"
        authenticator = SoftAuthenticator()
        response = register_account(http, authenticator, username, origin=DEFAULT_ORIGIN)
        assert response.status_code == 201, response.text
        body = response.json()
        return Account(username, body["user_id"], body["access_token"], authenticator)

    return register


@pytest.fixture(scope="module")
def contract_server(contract: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """contract.make_app served on a free loopback port, as the course suite serves it."""
    servers = Servers(tmp_path_factory.mktemp("contract"))
    yield servers.start(contract.make_app(tmp_path_factory.mktemp("work")))
    servers.stop_all()
