"""Fixtures: the embedder once per session, embedders that count or fail, a fresh copy of
the sample docs and a fresh store per test, a snapshot of a store's state, and no network.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Tests get everything through fixtures, never `from conftest import ...`: other examples
have a conftest too, and sys.modules has one slot for the name.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

from document_ingestion.embeddings import default_embedder  # noqa: E402
from document_ingestion.pipeline import IngestionPipeline  # noqa: E402


def _load_network_guard():
    """tests/network_guard.py (a checked copy of the course's guard), under its own name."""
    path = EXAMPLE_DIR / "tests" / "network_guard.py"
    spec = importlib.util.spec_from_file_location("document_ingestion_network_guard", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


network_guard = _load_network_guard()


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    """Every test runs with connections and name look-ups beyond loopback refused."""
    with network_guard.NetworkGuard():
        yield


@pytest.fixture(scope="session")
def embedder():
    """The course's default embedder (wordllama, offline), loaded once."""
    return default_embedder()


class Crash(BaseException):
    """Stands in for the process dying: not an Exception, so nothing catches it."""


class TestEmbedder:
    """Wraps the real embedder: counts what it embeds, and fails when told to.

    - ``reject``: a text containing this marker makes the call raise ValueError;
    - ``fail_from_call``: the Nth call and every later one raise (``crash=True``: Crash).
    """

    __test__ = False  # not a test class, whatever its name

    def __init__(
        self,
        inner,
        *,
        reject: str | None = None,
        fail_from_call: int | None = None,
        crash: bool = False,
    ) -> None:
        self.inner, self.reject = inner, reject
        self.fail_from_call, self.crash = fail_from_call, crash
        self.name, self.dimensions = inner.name, inner.dimensions
        self.calls: list[list[str]] = []

    @property
    def texts(self) -> list[str]:
        """Every text embedded successfully, in order."""
        return [text for call in self.calls for text in call]

    def embed(self, texts: list[str]) -> np.ndarray:
        number = len(self.calls) + 1
        if self.fail_from_call is not None and number >= self.fail_from_call:
            self.calls.append([])
            if self.crash:
                raise Crash(f"process killed during embed call {number}")
            raise RuntimeError(f"embedding service unavailable (call {number})")
        if self.reject and any(self.reject in text for text in texts):
            raise ValueError("the model rejects this input")
        vectors = self.inner.embed(texts)
        self.calls.append(list(texts))
        return vectors


@pytest.fixture
def crash_type() -> type[BaseException]:
    return Crash


@pytest.fixture
def make_embedder(embedder) -> Callable[..., TestEmbedder]:
    """make_embedder(reject=..., fail_from_call=..., crash=...) -> a TestEmbedder."""
    return lambda **options: TestEmbedder(embedder, **options)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the shipped docs/ that a test may edit."""
    return Path(shutil.copytree(EXAMPLE_DIR / "docs", tmp_path / "docs"))


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def make_pipeline(store_dir: Path, embedder) -> Iterator[Callable[..., IngestionPipeline]]:
    """make_pipeline(embedder=None, store=None, **settings): closed after the test."""
    opened: list[IngestionPipeline] = []

    def _make(embedder_=None, store: Path | None = None, **settings) -> IngestionPipeline:
        pipeline = IngestionPipeline(store or store_dir, embedder_ or embedder, **settings)
        opened.append(pipeline)
        return pipeline

    yield _make
    for pipeline in opened:
        pipeline.close()


@pytest.fixture
def snapshot() -> Callable[[IngestionPipeline], dict]:
    """The state of a store a test can compare: manifest rows and Chroma's records."""

    def _snapshot(pipeline: IngestionPipeline) -> dict:
        records = pipeline.store.collection.get(include=["documents", "metadatas"])
        return {
            "documents": pipeline.manifest.documents(),
            "chunks": pipeline.manifest.chunks(),
            "dead_letters": sorted(pipeline.manifest.dead_letters()),
            "store": sorted(
                zip(records["ids"], records["documents"], records["metadatas"], strict=True),
                key=lambda record: record[0],
            ),
        }

    return _snapshot
