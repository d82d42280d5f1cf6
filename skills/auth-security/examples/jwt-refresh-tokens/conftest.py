"""Fixtures: a real uvicorn on 127.0.0.1, a fresh app and SQLite file per test, a fake clock.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
"""

from __future__ import annotations

import importlib.util
import shutil
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from token_auth.api import create_app  # noqa: E402
from token_auth.db import Base, make_engine  # noqa: E402
from token_auth.settings import Settings  # noqa: E402

# Test modules get these through fixtures, never `from conftest import ...`: another example
# in the same pytest run has a conftest (and a contract.py) too, and sys.modules has one slot.


def load_example_module(path: str) -> ModuleType:
    """Import a file of this folder under a name no other example uses."""
    spec = importlib.util.spec_from_file_location(
        f"token_auth_{Path(path).stem}", EXAMPLE_DIR / path
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served_app = load_example_module("tests/served_app.py")

PASSWORD = "correct horse battery staple"
SSL_CONTEXT = ssl.create_default_context()


class FakeClock:
    """Injected as Settings.clock: tests move time instead of sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def live_server() -> Iterator[tuple[str, served_app.MountedApp]]:
    """One real uvicorn for the whole session, serving the app the current test mounted."""
    mounted = served_app.MountedApp()
    with served_app.LiveServer(mounted, lifespan="off", log_level="critical") as server:
        yield server.url, mounted


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with the schema, made once: copying a file is faster than CREATE
    TABLE with its fsyncs, per test."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def settings(tmp_path: Path, clock: FakeClock, schema_template: Path) -> Settings:
    database = tmp_path / "token_auth.db"
    shutil.copyfile(schema_template, database)
    return Settings(
        database_url=f"sqlite:///{database}",
        # Cheap hashes: these tests are about tokens (the defaults are checked on their own).
        argon2_memory_kib=64,
        argon2_time_cost=1,
        clock=clock,
    )


@pytest.fixture
def build_app():
    """build_app(settings) -> a fresh app with its tables created; disposed after the test."""
    apps: list[FastAPI] = []

    def _build(settings: Settings) -> FastAPI:
        app = create_app(settings)
        Base.metadata.create_all(app.state.engine)  # lifespan is off in the shared server
        apps.append(app)
        return app

    yield _build
    for app in apps:
        app.state.engine.dispose()


@pytest.fixture
def app(build_app, settings: Settings) -> FastAPI:
    return build_app(settings)


@pytest.fixture
def password() -> str:
    """The password ApiClient.register and .login use unless told otherwise."""
    return PASSWORD


@pytest.fixture(scope="session")
def contract() -> ModuleType:
    """This example's contract.py, imported under a name no other example uses."""
    return load_example_module("contract.py")


class ApiClient(httpx.Client):
    """httpx.Client for one served app, plus the steps most tests repeat."""

    def register(self, username: str, password: str = PASSWORD) -> dict:
        response = self.post("/users", json={"username": username, "password": password})
        assert response.status_code == 201, response.text
        return response.json()

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/auth/login", json={"username": username, "password": password})

    def tokens_for(self, username: str, password: str = PASSWORD) -> dict:
        """Register-free login; returns the token pair."""
        response = self.login(username, password)
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str) -> httpx.Response:
        return self.post("/auth/refresh", json={"refresh_token": refresh_token})

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    def problem(response: httpx.Response, status: int) -> dict:
        """Assert an RFC 9457 problem with this status and return its body."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert {"type", "title", "detail", "instance"} <= body.keys()
        assert "Traceback" not in response.text
        return body


@pytest.fixture
def serve(live_server: tuple[str, served_app.MountedApp]):
    """serve(app) -> an ApiClient talking to that app over real HTTP."""
    url, mounted = live_server
    clients: list[ApiClient] = []

    def _serve(app: FastAPI) -> ApiClient:
        mounted.app = app
        # A shared SSL context: httpx otherwise loads the CA bundle per client (~0.1 s),
        # for plain http on 127.0.0.1 that never uses it.
        client = ApiClient(base_url=url, timeout=10, verify=SSL_CONTEXT)
        clients.append(client)
        return client

    yield _serve
    for client in clients:
        client.close()
    mounted.app = None


@pytest.fixture
def client(serve, app: FastAPI) -> ApiClient:
    return serve(app)
