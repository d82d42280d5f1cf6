"""Fixtures: no network beyond loopback, one real uvicorn for the session, a fresh store per test.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Tests get everything through fixtures, never `from conftest import ...`: other examples
have a conftest too, and sys.modules has one slot for the name.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import httpx
import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from metrics_dashboard.api import Settings, create_app  # noqa: E402
from metrics_dashboard.store import MetricsStore  # noqa: E402


def load_example_module(path: str) -> ModuleType:
    """Import a file of this folder under a name no other example uses."""
    spec = importlib.util.spec_from_file_location(
        f"metrics_dashboard_{Path(path).stem}", EXAMPLE_DIR / path
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served_app = load_example_module("tests/served_app.py")
network_guard = load_example_module("tests/network_guard.py")

# The tests' data starts here: a fixed instant, so every run writes the same points.
T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    """Every test runs with connections and name look-ups beyond loopback refused."""
    with network_guard.NetworkGuard():
        yield


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLE_DIR


@pytest.fixture(scope="session")
def t0() -> datetime:
    return T0


@pytest.fixture(scope="session")
def live_server() -> Iterator:
    """One uvicorn on 127.0.0.1 for the session; each test mounts its own app on it."""
    mounted = served_app.MountedApp()
    server = served_app.LiveServer(mounted, lifespan="off", log_level="warning").start()
    server.mounted = mounted
    yield server
    server.stop()


@pytest.fixture
def mount(live_server) -> Iterator[Callable[..., httpx.Client]]:
    """mount(store, **settings) -> an httpx client of a fresh app over STORE, served by the
    real uvicorn (the store stays reachable as client.store; its owner closes it)."""
    clients: list[httpx.Client] = []

    def _mount(store: MetricsStore, **settings) -> httpx.Client:
        config = Settings(db_path=store.path, **settings)
        live_server.mounted.app = create_app(config, store=store)
        client = httpx.Client(base_url=live_server.url, timeout=60)
        client.store = store
        clients.append(client)
        return client

    yield _mount
    live_server.mounted.app = None
    for client in clients:
        client.close()


@pytest.fixture
def serve(mount, tmp_path) -> Iterator[Callable[..., httpx.Client]]:
    """serve(**settings) -> a client of a fresh app on a DuckDB file of its own."""
    stores: list[MetricsStore] = []

    def _serve(**settings) -> httpx.Client:
        store = MetricsStore(
            tmp_path / f"metrics-{len(stores)}.duckdb",
            max_series=settings.get("max_series", Settings.max_series),
        )
        stores.append(store)
        return mount(store, **settings)

    yield _serve
    for store in stores:
        store.close()


@pytest.fixture
def api(serve) -> httpx.Client:
    """A client of a fresh app with default settings."""
    return serve()


@pytest.fixture(scope="module")
def module_store(tmp_path_factory) -> Iterator[MetricsStore]:
    """One store for a test module (opening a DuckDB file costs about 0.1 s)."""
    opened = MetricsStore(tmp_path_factory.mktemp("module") / "metrics.duckdb")
    yield opened
    opened.close()


@pytest.fixture
def shared_api(mount, module_store) -> httpx.Client:
    """A client of an app over the module's store: for tests that only read, or whose
    requests are refused before anything is written."""
    return mount(module_store)


@pytest.fixture
def store(tmp_path) -> Iterator[MetricsStore]:
    """A fresh store without HTTP, for tests of the SQL itself."""
    opened = MetricsStore(tmp_path / "store.duckdb")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def make_points() -> Callable[..., list[dict]]:
    """make_points(count, name=, labels=, start=, step_s=, value=) -> JSON-ready points, one
    every step_s seconds from start; value(i) gives the i-th value (default: a sawtooth)."""

    def _make(
        count: int,
        *,
        name: str = "cpu_usage",
        labels: dict[str, str] | None = None,
        start: datetime = T0,
        step_s: float = 10,
        value: Callable[[int], float] = lambda i: float(i % 60),
    ) -> list[dict]:
        return [
            {
                "name": name,
                "labels": labels if labels is not None else {"host": "web-01"},
                "ts": (start + timedelta(seconds=i * step_s)).isoformat().replace("+00:00", "Z"),
                "value": value(i),
            }
            for i in range(count)
        ]

    return _make


@pytest.fixture(scope="session")
def ingest() -> Callable[[httpx.Client, list[dict]], dict]:
    """ingest(client, points) -> the ingest result, in batches of at most 10,000."""

    def _ingest(client: httpx.Client, points: list[dict]) -> dict:
        totals: dict = {}
        for start in range(0, len(points), 10_000):
            response = client.post("/metrics", json={"points": points[start : start + 10_000]})
            assert response.status_code == 200, response.text
            for field, value in response.json().items():
                if isinstance(value, int):
                    totals[field] = totals.get(field, 0) + value
        return totals

    return _ingest


@pytest.fixture(scope="session")
def problem() -> Callable[[httpx.Response, int], dict]:
    """problem(response, status) asserts an RFC 9457 problem with that status; its body."""

    def _problem(response: httpx.Response, status: int) -> dict:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert {"type", "title", "detail", "instance"} <= body.keys()
        assert "Traceback" not in response.text
        return body

    return _problem
