"""Fixtures: the sample catalogue seeded once into a Chroma folder, copied per test that writes.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Test modules get what they need through fixtures, never `from conftest import ...`: other
examples in the same run have a conftest too, and sys.modules has one slot.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from fastapi.testclient import TestClient  # noqa: E402
from httpx import Response  # noqa: E402
from semantic_search.api import Settings, create_app  # noqa: E402


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLE_DIR


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chroma folder holding the sample catalogue, made once: embedding 80 texts and
    building the index is the slow part, copying the files is not."""
    path = tmp_path_factory.mktemp("seeded") / "chroma"
    with TestClient(create_app(Settings(data_dir=path))):
        pass  # start-up seeds the empty collection, shutdown closes the files
    return path


@pytest.fixture
def data_dir(seeded_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded folder, for a test that writes."""
    path = tmp_path / "chroma"
    shutil.copytree(seeded_dir, path)
    return path


@pytest.fixture
def open_client() -> Iterator[Callable[[Path], TestClient]]:
    """open_client(data_dir) -> a started app on that folder; stopped after the test."""
    started: list[TestClient] = []

    def _open(path: Path) -> TestClient:
        client = TestClient(create_app(Settings(data_dir=path)))
        client.__enter__()
        started.append(client)
        return client

    yield _open
    for client in reversed(started):
        client.__exit__(None, None, None)


@pytest.fixture
def client(open_client, data_dir: Path) -> TestClient:
    """The app on a private copy of the sample catalogue."""
    return open_client(data_dir)


@pytest.fixture(scope="session")
def catalogue(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app on the sample catalogue for the tests that only read."""
    path = tmp_path_factory.mktemp("catalogue") / "chroma"
    shutil.copytree(seeded_dir, path)
    with TestClient(create_app(Settings(data_dir=path))) as client:
        yield client


@pytest.fixture(scope="session")
def problem() -> Callable[[Response, int], dict]:
    """problem(response, status) asserts an RFC 9457 problem with that status; its body."""

    def _problem(response: Response, status: int) -> dict:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status
        assert {"type", "title", "detail", "instance"} <= body.keys()
        assert "Traceback" not in response.text
        return body

    return _problem
