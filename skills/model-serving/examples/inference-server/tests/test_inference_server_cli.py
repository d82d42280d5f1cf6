"""python -m inference_server: arguments checked before anything loads, and a real start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from inference_server.__main__ import main

EXAMPLE_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "--port must be 0..65535"),
        (["--port", "eighty"], "invalid int value"),
        (["--max-batch-size", "0"], "--max-batch-size must be at least 1"),
        (["--embedding-batch-size", "-3"], "--embedding-batch-size must be at least 1"),
        (["--embedding-max-wait-ms", "-1"], "--embedding-max-wait-ms must be 0 or more"),
        (["--api-key-env", "INFERENCE_SERVER_TEST_UNSET"], "is unset or empty"),
        (["--verbose"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("INFERENCE_SERVER_TEST_UNSET", raising=False)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_module_serves_until_stopped():
    """A real process: ready within the load time, a key required, stopped by SIGTERM."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE_DIR), "INFERENCE_TEST_KEY": "k-123"}
    command = [sys.executable, "-m", "inference_server", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--api-key-env", "INFERENCE_TEST_KEY"],
        cwd=EXAMPLE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if httpx.get(url + "/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass  # not listening yet
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.1)
        headers = {"Authorization": "Bearer k-123"}
        models = httpx.get(url + "/v1/models", headers=headers).json()["data"]
        assert [m["id"] for m in models] == ["tiny-transformer", "wordllama-l2_supercat-256"]
        assert httpx.get(url + "/v1/models").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught (since 0.29).
    assert process.returncode == -signal.SIGTERM
    assert "Application shutdown complete" in process.stderr.read()
    bad = subprocess.run(
        [*command, "--max-batch-size", "0"],
        cwd=EXAMPLE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
