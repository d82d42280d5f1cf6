"""Shared fixtures; also makes ``import access_control`` work however pytest is started.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
The API tests serve the app with a real uvicorn on 127.0.0.1 (port 0) in a thread and
talk to it with httpx, as a client would.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import httpx
import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from access_control.api import Services, create_app  # noqa: E402
from access_control.seed import demo_password  # noqa: E402
from access_control.settings import Settings  # noqa: E402
from argon2 import PasswordHasher, profiles  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402


def load_example_module(name: str) -> ModuleType:
    """Import this folder's ``contract.py`` or ``app.py`` under a unique module name: other
    examples have files with the same names, and ``sys.modules`` keeps whichever came first."""
    spec = importlib.util.spec_from_file_location(
        f"access_control_example_{Path(name).name}", EXAMPLE_DIR / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served_app = load_example_module("tests/served_app")


@pytest.fixture(scope="session")
def contract() -> ModuleType:
    return load_example_module("contract")


@pytest.fixture(scope="session")
def example_module_loader() -> Callable[[str], ModuleType]:
    return load_example_module


# A Wednesday, 10:00 UTC: inside the ABAC rule's office hours.
OFFICE_HOURS = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


class FixedClock:
    """A clock the tests move by hand (token expiry, office hours)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)


# Tests only: argon2's cheapest parameters keep seeding and logins fast.
CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, seeded once; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("template") / "access_control.db"
    services = Services(Settings(database_url=f"sqlite:///{path}", password_hasher=CHEAP_HASHER))
    services.initialize_database()
    services.engine.dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def settings(tmp_path: Path, clock: FixedClock, seeded_database: Path) -> Settings:
    database = tmp_path / "access_control.db"
    shutil.copyfile(seeded_database, database)
    return Settings(database_url=f"sqlite:///{database}", clock=clock, password_hasher=CHEAP_HASHER)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = Services(settings)
    services.initialize_database()
    yield services
    services.engine.dispose()


@pytest.fixture
def session(services: Services) -> Iterator[Session]:
    with services.session_factory() as session:
        yield session


class ServedApp:
    """The app on a real uvicorn (127.0.0.1, a free port), with an httpx client bound to it."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.live = served_app.LiveServer(app, log_level="warning")
        self.client: httpx.Client

    def __enter__(self) -> ServedApp:
        self.live.start(timeout=15)
        self.client = httpx.Client(base_url=self.live.url, timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.live.stop()

    @property
    def services(self) -> Services:
        return self.app.state.services

    def token(self, username: str) -> str:
        response = self.client.post(
            "/v1/auth/token", json={"username": username, "password": demo_password(username)}
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def as_user(self, username: str) -> Callable[..., httpx.Response]:
        """``call = served.as_user("alice"); call("GET", "/v1/documents")``."""
        authorization = {"Authorization": f"Bearer {self.token(username)}"}

        def call(
            method: str, path: str, headers: dict[str, str] | None = None, **kwargs: object
        ) -> httpx.Response:
            return self.client.request(
                method,
                path,
                headers=(headers or {}) | authorization,
                **kwargs,  # type: ignore[arg-type]
            )

        return call


@pytest.fixture
def served(settings: Settings) -> Iterator[ServedApp]:
    with ServedApp(create_app(settings)) as served:
        yield served
