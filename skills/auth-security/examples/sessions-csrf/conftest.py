"""Fixtures: a real uvicorn serving HTTPS on 127.0.0.1, a fresh app and SQLite file per
test, a fake clock, and "browsers" (httpx clients with their own cookie jars).

The session cookie is `Secure`, and httpx's cookie jar (the standard library's
http.cookiejar) honours that like a browser: it never sends such a cookie over plain http.
So the server speaks TLS, with a self-signed certificate made here at start-up (nothing is
downloaded), and the tests' cookie jars carry the cookie exactly as a browser would.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from session_auth.api import create_app  # noqa: E402
from session_auth.db import Base, make_engine  # noqa: E402
from session_auth.settings import CSRF_HEADER, SESSION_COOKIE, Argon2Parameters, Settings  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

# Test modules get these through fixtures, never `from conftest import ...`: another example
# in the same pytest run has a conftest too, and sys.modules has one slot.

# Cheap hashes: hashing cost is not what these tests are about (passwords-argon2 tests it).
FAST_ARGON2 = Argon2Parameters(memory_kib=64, time_cost=1, parallelism=1)
PASSWORD = "correct horse battery staple"
HOST = "127.0.0.1"


class FakeClock:
    """Injected as Settings.clock: tests move time instead of sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MountedApp:
    """The ASGI app uvicorn serves: forwards to whichever app the current test mounted."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no app mounted"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, valid for a day from now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="session")
def tls_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """What the clients verify the server with: that one certificate, nothing else."""
    return ssl.create_default_context(cafile=str(tls_files[0]))


@pytest.fixture(scope="session")
def live_server(tls_files: tuple[Path, Path]) -> Iterator[tuple[str, MountedApp]]:
    """One real uvicorn over TLS for the whole session (one per test costs ~0.2 s)."""
    mounted = MountedApp()
    cert_file, key_file = tls_files
    server = uvicorn.Server(
        uvicorn.Config(
            mounted,
            host=HOST,
            port=0,
            lifespan="off",
            log_level="critical",
            ssl_certfile=str(cert_file),
            ssl_keyfile=str(key_file),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"https://{HOST}:{port}", mounted
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with the schema, made once and copied per test."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def origin(live_server: tuple[str, MountedApp]) -> str:
    """The app's own origin: the served https URL, as a browser would send it."""
    return live_server[0]


@pytest.fixture
def settings(tmp_path: Path, clock: FakeClock, schema_template: Path, origin: str) -> Settings:
    database = tmp_path / "session_auth.db"
    shutil.copyfile(schema_template, database)
    return Settings(
        database_url=f"sqlite:///{database}", origin=origin, argon2=FAST_ARGON2, clock=clock
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
    """The password Browser.sign_up and .sign_in use unless told otherwise."""
    return PASSWORD


class Browser(httpx.Client):
    """One browser: its own cookie jar, and the CSRF token its page was given.

    `page(...)` sends a request the way this app's own page would (Origin of the app, the
    session's token in X-CSRF-Token); plain `post`/`get` send only what a test passes.
    """

    def __init__(self, *, origin: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.origin = origin
        self.csrf_token: str | None = None

    @property
    def session_id(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)

    def sign_up(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = self.post(
            "/users",
            json={"username": username, "password": password},
            headers={"Origin": self.origin},
        )
        assert response.status_code == 201, response.text
        return response

    def log_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = self.post(
            "/login",
            json={"username": username, "password": password},
            headers={"Origin": self.origin},
        )
        if response.status_code == 200:
            self.csrf_token = response.json()["csrf_token"]
        return response

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = self.log_in(username, password)
        assert response.status_code == 200, response.text
        return response

    def page_headers(self) -> dict[str, str]:
        headers = {"Origin": self.origin}
        if self.csrf_token is not None:
            headers[CSRF_HEADER] = self.csrf_token
        return headers

    def page(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {**self.page_headers(), **kwargs.pop("headers", {})}
        return self.request(method, path, headers=headers, **kwargs)

    def plant(self, session_id: str) -> None:
        """Put a session cookie in this browser's jar, as an attacker who can set cookies
        for the victim would."""
        self.cookies.set(SESSION_COOKIE, session_id, domain=HOST, path="/")

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
def serve(live_server: tuple[str, MountedApp], tls_context: ssl.SSLContext):
    """serve(app) -> a new Browser talking to that app over real HTTPS."""
    url, mounted = live_server
    browsers: list[Browser] = []

    def _serve(app: FastAPI) -> Browser:
        mounted.app = app
        browser = Browser(origin=url, base_url=url, timeout=10, verify=tls_context)
        browsers.append(browser)
        return browser

    yield _serve
    for browser in browsers:
        browser.close()
    mounted.app = None


@pytest.fixture
def browser(serve, app: FastAPI) -> Browser:
    return serve(app)


@pytest.fixture
def another_browser(serve, app: FastAPI) -> Browser:
    return serve(app)
