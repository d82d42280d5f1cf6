"""Shared fixtures; also makes ``import oauth_pkce`` work however pytest is started.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.

Each test gets a fresh app served for real by uvicorn on 127.0.0.1 (a free port), and its
issuer is that URL, so discovery, redirects and token checks run as in production.
"""

from __future__ import annotations

import importlib.util
import secrets
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
from oauth_pkce.client import ProviderMetadata, RelyingParty, SignedIn, sign_in_with_password  # noqa: E402
from oauth_pkce.server import create_app  # noqa: E402
from oauth_pkce.settings import NOTES_WEB, Settings  # noqa: E402


@dataclass
class Served:
    app: FastAPI
    url: str
    settings: Settings


@pytest.fixture(scope="session")
def passwords() -> dict[str, str]:
    return {"alice": secrets.token_urlsafe(16), "bob": secrets.token_urlsafe(16)}


def load_example_module(name: str) -> Any:
    """Import app.py or contract.py (or tests/served_app.py) under a unique name: every
    example has one."""
    spec = importlib.util.spec_from_file_location(
        f"oauth_pkce_{Path(name).name}", EXAMPLE_DIR / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served_app = load_example_module("tests/served_app")


@pytest.fixture(scope="session")
def contract() -> Any:
    return load_example_module("contract")


@pytest.fixture(scope="session")
def example_module() -> Callable[[str], Any]:
    return load_example_module


class Servers:
    """Starts apps on free loopback ports and stops them all at the end."""

    def __init__(self, data_root: Path, passwords: dict[str, str]) -> None:
        self.data_root = data_root
        self.passwords = passwords
        self.running: list[Any] = []  # served_app.LiveServer

    def start(self, make_app: Callable[[str], FastAPI] | None = None, **overrides: Any) -> Served:
        sock = served_app.loopback_socket()  # the port is known before the app: it is the issuer
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        if make_app is None:
            settings = replace(
                Settings(
                    data_dir=self.data_root / f"server{len(self.running)}",
                    issuer=url,
                    seed_users=dict(self.passwords),
                ),
                **overrides,
            )
            app = create_app(settings)
        else:
            app = make_app(url)
            settings = app.state.settings
        live = served_app.LiveServer(app, sock=sock, log_level="warning", lifespan="on")
        self.running.append(live.start())
        return Served(app, url, settings)

    def stop_all(self) -> None:
        for live in self.running:
            live.stop()


@pytest.fixture
def serve(tmp_path: Path, passwords: dict[str, str]) -> Iterator[Callable[..., Served]]:
    """serve(**settings_overrides): a fresh app of the test's own on a free loopback port;
    serve(make_app=f) serves f(url) instead."""
    servers = Servers(tmp_path, passwords)
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="module")
def serve_for_module(
    tmp_path_factory: pytest.TempPathFactory, passwords: dict[str, str]
) -> Iterator[Callable[..., Served]]:
    """Like ``serve``, for module-scoped fixtures: the apps live until the module ends."""
    servers = Servers(tmp_path_factory.mktemp("module"), passwords)
    yield servers.start
    servers.stop_all()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, passwords: dict[str, str]) -> Iterator[Served]:
    """One app per test module (tests that need a clean one call ``serve``)."""
    servers = Servers(tmp_path_factory.mktemp("served"), passwords)
    yield servers.start()
    servers.stop_all()


@pytest.fixture(scope="module")
def http(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def relying_party(http: httpx.Client, served: Served) -> RelyingParty:
    return RelyingParty(
        http,
        ProviderMetadata.discover(http, served.url),
        client_id=NOTES_WEB.client_id,
        redirect_uri=NOTES_WEB.redirect_uris[0],
    )


@pytest.fixture(scope="module")
def sign_in(
    http: httpx.Client, relying_party: RelyingParty, passwords: dict[str, str]
) -> Callable[[str], SignedIn]:
    """sign_in("alice"): the whole code + PKCE flow, as the notes-web client runs it."""

    def run(username: str) -> SignedIn:
        pending = relying_party.begin()
        callback = sign_in_with_password(
            http, pending.authorization_url, username, passwords[username]
        )
        return relying_party.complete(pending, callback)

    return run


@pytest.fixture(scope="module")
def contract_server(contract: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """contract.make_app served on a free loopback port, as the course suite serves it."""
    servers = Servers(tmp_path_factory.mktemp("contract"), {})
    work_dir = tmp_path_factory.mktemp("work")
    yield servers.start(make_app=lambda url: contract.make_app(work_dir))
    servers.stop_all()
