"""Fixtures: no network beyond loopback in any test, and the example's folder on sys.path.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Tests get everything through fixtures, never `from conftest import ...`: other examples
have a conftest too, and sys.modules has one slot for the name.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))


def load_example_module(path: str) -> ModuleType:
    """Import a file of this folder under a name no other example uses."""
    spec = importlib.util.spec_from_file_location(
        f"inference_server_{Path(path).stem}", EXAMPLE_DIR / path
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


served_app = load_example_module("tests/served_app.py")
network_guard = load_example_module("tests/network_guard.py")


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    """Every test runs with connections and name look-ups beyond loopback refused."""
    with network_guard.NetworkGuard():
        yield


@pytest.fixture(scope="session")
def model():
    """The tiny transformer, trained once for the session (a few seconds)."""
    from inference_server.tiny_transformer import TinyTransformer

    return TinyTransformer.train()


@pytest.fixture(scope="session")
def embedder():
    """wordllama's shipped weights, loaded once, offline."""
    from inference_server.embeddings import WordLlamaEmbedder

    return WordLlamaEmbedder()


def wait_ready(url: str, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while httpx.get(url + "/ready").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not become ready in {timeout} s")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def serve(model, embedder):
    """serve(**settings) -> the URL of a real uvicorn on 127.0.0.1 serving a ready app."""
    from inference_server.app import Settings, create_app

    servers = []

    def _serve(**settings) -> str:
        app = create_app(Settings(**settings), model=model, embedder=embedder)
        server = served_app.LiveServer(app, log_level="warning").start()
        servers.append(server)
        wait_ready(server.url)
        return server.url

    yield _serve
    for server in servers:
        server.stop()


@pytest.fixture
def start_server() -> Iterator:
    """start_server(app) -> the URL of a real uvicorn serving APP, stopped after the test."""
    servers = []

    def _start(app) -> str:
        servers.append(served_app.LiveServer(app, log_level="warning").start())
        return servers[-1].url

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server_url(serve) -> str:
    """One server with default settings for the tests that only read."""
    return serve()
