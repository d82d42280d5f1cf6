"""The example files that are the same by design: no drift, and the shared body limit holds.

The drift tests run on a scratch copy of the checkout (BACKEND_SKILLS_ROOT), so breaking
a copy never touches the real tree. The body-limit tests drive the canonical
body_limit.py through its ASGI interface, counting what it reads, and over a real uvicorn.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import FastAPI, Request

from backend_skills import example_copies
from backend_skills.findings import Collector
from backend_skills.paths import repo_root
from backend_skills.serve import ServedApp

BODY_LIMIT = "skills/auth-security/examples/oauth2-pkce/oauth_pkce/body_limit.py"
LIMIT = 1024


def errors() -> list[str]:
    out = Collector()
    example_copies.check(out)
    return [str(finding) for finding in out.findings]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of skills/ and the canonical files; BACKEND_SKILLS_ROOT points at it."""
    real = repo_root()
    shutil.copytree(
        real / "skills",
        tmp_path / "skills",
        ignore=shutil.ignore_patterns("node_modules", "__pycache__", ".venv"),
    )
    (tmp_path / "notebooks").symlink_to(real / "notebooks")
    shutil.copytree(  # example_files/ and the course modules that copies.yaml names
        real / "src/backend_skills",
        tmp_path / "src/backend_skills",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    monkeypatch.setenv("BACKEND_SKILLS_ROOT", str(tmp_path))
    repo_root.cache_clear()
    yield tmp_path
    repo_root.cache_clear()


def test_every_copy_in_the_checkout_matches_its_canonical_file():
    assert example_copies.copies(), "copies.yaml lists no copies"
    assert errors() == []


def test_every_canonical_file_has_copies_and_every_copy_is_distinct():
    listed = [entry.copy for entry in example_copies.copies()]
    assert len(listed) == len(set(listed))
    folder = example_copies.canonical_dir()
    entries = example_copies.copies()
    canonical = {entry.canonical.name for entry in entries if entry.canonical.parent == folder}
    on_disk = {path.name for path in folder.glob("*.py")}
    assert canonical == on_disk  # no canonical file that nothing copies, none unlisted
    # A course module named as canonical (`../embeddings.py`) is one the course imports and
    # examples copy: it must exist and stand alone, importing nothing of backend_skills.
    modules = {entry.canonical.resolve() for entry in entries if entry.canonical.parent != folder}
    assert modules, "copies.yaml names no course module"
    for module in modules:
        assert module.parent == folder.parent.resolve(), module
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        assert not {m for m in imported if m.split(".")[0] == "backend_skills"}, module


def test_an_edited_copy_is_reported_by_both_paths_and_sync_repairs_it(scratch: Path):
    edited = scratch / BODY_LIMIT
    edited.write_text(edited.read_text() + "\n# a local tweak\n")

    found = errors()
    assert len(found) == 1
    assert found[0].startswith(f"{BODY_LIMIT}: error:")
    assert "src/backend_skills/example_files/body_limit.py" in found[0]
    assert "backend-skills sync-examples" in found[0]

    assert example_copies.sync() == [edited]
    assert errors() == []
    assert example_copies.sync() == []  # nothing left to write


def test_a_missing_copy_is_reported_and_sync_writes_it(scratch: Path):
    missing = scratch / BODY_LIMIT
    missing.unlink()
    (found,) = errors()
    assert found.startswith(f"{BODY_LIMIT}: error: missing copy")
    assert example_copies.sync() == [missing]
    assert errors() == []


def test_lint_reports_drift_for_the_skill_that_owns_the_copy(scratch: Path):
    from backend_skills.lint import lint

    (scratch / BODY_LIMIT).write_text("drifted\n")
    assert "auth-security" in example_copies.owning_skills()
    messages = [str(finding) for finding in lint(["auth-security"])]
    assert any(message.startswith(BODY_LIMIT) for message in messages)


def test_cli_sync_examples_prints_what_it_rewrote(scratch: Path):
    (scratch / BODY_LIMIT).write_text("drifted\n")
    env_run = [sys.executable, "-m", "backend_skills.cli", "sync-examples"]
    first = subprocess.run(env_run, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert BODY_LIMIT in first.stdout
    second = subprocess.run(env_run, capture_output=True, text=True, check=False)
    assert second.returncode == 0 and BODY_LIMIT not in second.stdout


# --------------------------------------------------------------------------- body limit


@pytest.fixture(scope="module")
def body_limit() -> ModuleType:
    path = example_copies.PACKAGE_FILES / "body_limit.py"
    spec = importlib.util.spec_from_file_location("canonical_body_limit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Upload:
    """The server side of one request: its body in chunks, and how much the app pulled."""

    def __init__(self, body: bytes, chunk: int = 256) -> None:
        self.chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        self.pulled = 0
        self.read = 0
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        if self.pulled == len(self.chunks):
            return {"type": "http.disconnect"}
        chunk = self.chunks[self.pulled]
        self.pulled += 1
        self.read += len(chunk)
        more = self.pulled < len(self.chunks)
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def headers(self) -> dict[bytes, bytes]:
        return dict(self.sent[0]["headers"])


def scope_for(length: int | None, **extra: bytes) -> dict:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    headers += [(name.encode(), value) for name, value in extra.items()]
    return {"type": "http", "method": "POST", "path": "/notes", "headers": headers}


async def never_called(scope, receive, send):
    raise AssertionError("the app must not run for a declared body over the limit")


async def reads_everything(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def call(middleware, scope: dict, upload: Upload) -> None:
    asyncio.run(middleware(scope, upload.receive, upload.send))


def assert_413_problem(upload: Upload) -> dict:
    assert upload.sent[0]["status"] == 413
    assert upload.headers()[b"content-type"] == b"application/problem+json"
    problem = json.loads(upload.sent[1]["body"])
    assert problem == {
        "type": "about:blank",
        "title": "Content Too Large",
        "status": 413,
        "detail": f"The request body exceeds {LIMIT} bytes.",
        "instance": "/notes",
    }
    return problem


def test_a_declared_body_a_little_over_is_drained_and_the_connection_kept(body_limit):
    upload = Upload(b"x" * (LIMIT + 300))
    call(body_limit.BodySizeLimitMiddleware(never_called, LIMIT), scope_for(LIMIT + 300), upload)
    assert_413_problem(upload)
    assert upload.read == LIMIT + 300  # all of it, so the client is not reset
    assert b"connection" not in upload.headers()


def test_a_declared_body_far_over_is_not_read_at_all(body_limit):
    size = 10 * LIMIT  # beyond the drain bound of 2 x the limit
    upload = Upload(b"x" * size)
    call(body_limit.BodySizeLimitMiddleware(never_called, LIMIT), scope_for(size), upload)
    assert_413_problem(upload)
    assert upload.read == 0
    assert upload.headers()[b"connection"] == b"close"


def test_the_drain_bound_is_at_most_one_mebibyte(body_limit):
    limit = 1024 * 1024  # 2 x the limit would be 2 MiB
    size = limit + 1024 * 1024 + 1
    upload = Upload(b"x" * size, chunk=64 * 1024)
    call(body_limit.BodySizeLimitMiddleware(never_called, limit), scope_for(size), upload)
    assert upload.sent[0]["status"] == 413
    assert upload.read == 0


def test_expect_100_continue_gets_its_413_without_a_go_ahead(body_limit):
    upload = Upload(b"x" * (LIMIT + 1))
    middleware = body_limit.BodySizeLimitMiddleware(never_called, LIMIT)
    call(middleware, scope_for(LIMIT + 1, expect=b"100-continue"), upload)
    assert_413_problem(upload)
    assert upload.read == 0  # reading is what would send "100 Continue"
    assert upload.headers()[b"connection"] == b"close"


def test_a_streamed_body_stops_being_read_at_the_limit(body_limit):
    upload = Upload(b"x" * (20 * LIMIT), chunk=256)
    call(body_limit.BodySizeLimitMiddleware(reads_everything, LIMIT), scope_for(None), upload)
    assert_413_problem(upload)
    assert upload.read == LIMIT + 256  # the first chunk over the limit, no more
    assert b"connection" not in upload.headers()


def test_bodies_within_the_limit_reach_the_app(body_limit):
    upload = Upload(b"x" * LIMIT)
    call(body_limit.BodySizeLimitMiddleware(reads_everything, LIMIT), scope_for(LIMIT), upload)
    assert upload.sent[0]["status"] == 204
    assert upload.read == LIMIT


def test_over_real_http_oversize_uploads_get_their_413_never_a_reset(body_limit):
    """The flake of issue 8: a 413 sent with Connection: close while the client was still
    uploading reached it as "connection reset" about one time in ten."""
    app = FastAPI()

    @app.post("/notes")
    async def create(request: Request) -> dict:
        return {"size": len(await request.body())}

    app.add_middleware(body_limit.BodySizeLimitMiddleware, max_body_bytes=16 * 1024)
    body = b"x" * (16 * 1024 + 4096)
    with ServedApp(app) as served, httpx.Client(base_url=served.url, timeout=10) as client:
        for _ in range(50):
            response = client.post("/notes", content=body)
            assert response.status_code == 413
            assert response.headers["content-type"] == "application/problem+json"
        # The same connection still works: the body was read, not left on the wire.
        assert client.post("/notes", content=b"{}").json() == {"size": 2}
