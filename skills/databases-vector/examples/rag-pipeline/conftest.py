"""Fixtures: the course embedder once per session, a fresh corpus copy and store per test,
a real uvicorn on 127.0.0.1, a fake OpenAI-compatible model server, and no network.

The repository runs pytest from its root with --import-mode=importlib, where this
example's own ``pythonpath`` setting does not apply, so the folder is put on sys.path here.
Tests get everything through fixtures, never `from conftest import ...`: other examples
have a conftest too, and sys.modules has one slot for the name.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
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
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse, StreamingResponse  # noqa: E402
from rag_pipeline.api import create_app  # noqa: E402
from rag_pipeline.embeddings import default_embedder  # noqa: E402
from rag_pipeline.evaluation import load_questions  # noqa: E402
from rag_pipeline.pipeline import RagPipeline  # noqa: E402
from rag_pipeline.settings import Settings  # noqa: E402

SSL_CONTEXT = ssl.create_default_context()


def load_example_module(path: str) -> ModuleType:
    """Import a file of this folder under a name no other example uses."""
    spec = importlib.util.spec_from_file_location(
        f"rag_pipeline_{Path(path).stem}", EXAMPLE_DIR / path
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
def embedder():
    """The course's default embedder (wordllama, offline), loaded once."""
    return default_embedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the shipped handbook that a test may edit."""
    return Path(shutil.copytree(EXAMPLE_DIR / "handbook", tmp_path / "handbook"))


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(corpus=corpus, store=tmp_path / "store.db")


@pytest.fixture
def pipeline(settings: Settings, embedder) -> RagPipeline:
    return RagPipeline(settings, embedder)


@pytest.fixture(scope="session")
def labelled_questions() -> dict:
    return load_questions()


@pytest.fixture(scope="session")
def live_server() -> Iterator[tuple[str, served_app.MountedApp]]:
    """One real uvicorn for the session, serving the app the current test mounted."""
    mounted = served_app.MountedApp()
    with served_app.LiveServer(mounted, lifespan="off", log_level="critical") as server:
        yield server.url, mounted


class ApiClient(httpx.Client):
    """httpx.Client for the served app, plus the checks most tests repeat."""

    def events(self, body: dict) -> list[tuple[str, object]]:
        """POST /ask/stream and parse its server-sent events into (event, data)."""
        with self.stream("POST", "/ask/stream", json=body) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            return parse_sse(response.iter_lines())

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


def parse_sse(lines: Iterator[str]) -> list[tuple[str, object]]:
    events: list[tuple[str, object]] = []
    event, data = "message", []
    for line in lines:
        if not line:
            if data:
                events.append((event, json.loads("\n".join(data))))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].strip())
    return events


@pytest.fixture
def serve(live_server):
    """serve(app) -> an ApiClient talking to that app over real HTTP on 127.0.0.1."""
    url, mounted = live_server
    clients: list[ApiClient] = []

    def _serve(app) -> ApiClient:
        mounted.app = app
        client = ApiClient(base_url=url, timeout=30, verify=SSL_CONTEXT)
        clients.append(client)
        return client

    yield _serve
    for client in clients:
        client.close()
    mounted.app = None


@pytest.fixture
def client(serve, settings: Settings, embedder) -> ApiClient:
    """The API with the offline extractive generator."""
    return serve(create_app(settings, embedder=embedder))


class FakeModelServer:
    """A tiny OpenAI-compatible /v1/chat/completions on 127.0.0.1, for the tests only.

    It answers REPLY (by default: the first sentence of passage [1], cited), whole or as
    SSE chunks of three characters, so citation markers arrive split across chunks. It
    records every request; STATUS other than 200 makes it fail.
    """

    def __init__(self) -> None:
        self.reply: str | None = None
        self.status = 200
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.url = ""

    def reply_for(self, messages: list[dict]) -> str:
        if self.reply is not None:
            return self.reply
        passage = messages[-1]["content"].split("[1] ", 1)[1].split("\n", 2)[1]
        return passage.split(". ")[0] + " [1]."

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def completions(request: Request):
            body = await request.json()
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            if self.status != 200:
                return JSONResponse({"error": {"message": "boom"}}, status_code=self.status)
            text = self.reply_for(body["messages"])
            if not body.get("stream"):
                message = {"role": "assistant", "content": text}
                return {"object": "chat.completion", "choices": [{"index": 0, "message": message}]}

            def chunks() -> Iterator[str]:
                first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
                yield f"data: {json.dumps(first)}\n\n"
                for start in range(0, len(text), 3):
                    delta = {
                        "choices": [{"index": 0, "delta": {"content": text[start : start + 3]}}]
                    }
                    yield f"data: {json.dumps(delta)}\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(chunks(), media_type="text/event-stream")

        return app


@pytest.fixture(scope="session")
def fake_model_server() -> Iterator[FakeModelServer]:
    fake = FakeModelServer()
    with served_app.LiveServer(fake.app(), lifespan="off", log_level="critical") as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def model_server(fake_model_server: FakeModelServer) -> FakeModelServer:
    """The fake model server, reset for this test."""
    fake_model_server.reply, fake_model_server.status = None, 200
    fake_model_server.requests.clear()
    fake_model_server.headers.clear()
    return fake_model_server


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
