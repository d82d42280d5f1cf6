"""contract.py drives a real uvicorn server on 127.0.0.1, as the course's suite does."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import uvicorn

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def contract() -> ModuleType:
    # Loaded under a name of its own: every API example in the course has a contract.py.
    spec = importlib.util.spec_from_file_location("task_api_contract", EXAMPLE_DIR / "contract.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served(contract, tmp_path) -> Iterator[tuple[object, httpx.Client]]:
    app = contract.make_app(tmp_path)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield app, client
    server.should_exit = True
    thread.join(timeout=10)


def test_contract_hooks_over_real_http(contract, served) -> None:
    app, client = served
    alice, bob = (contract.access_token(client, name) for name in contract.USERS)
    auth = {"Authorization": f"Bearer {alice}"}

    method, path = contract.WRITE_OPERATION
    written = client.request(method, path, json=contract.valid_write_body(), headers=auth)
    assert written.status_code == 201

    location = contract.create_owned_object(client, alice, "label-7f3a")
    assert "label-7f3a" in client.get(location, headers=auth).text
    stolen = client.get(location, headers={"Authorization": f"Bearer {bob}"})
    assert stolen.status_code in (403, 404)
    assert "label-7f3a" not in stolen.text

    expired = contract.expired_access_token(app, "alice")
    rejected = client.get(location, headers={"Authorization": f"Bearer {expired}"})
    assert rejected.status_code == 401
    assert rejected.headers["WWW-Authenticate"].startswith("Bearer")

    too_big = client.post(
        path,
        content=b"x" * (contract.MAX_BODY_BYTES + 1),
        headers={**auth, "content-type": "application/json"},
    )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
