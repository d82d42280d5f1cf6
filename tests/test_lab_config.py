"""The shipped JupyterLab config: a real server started with it fetches no news, no updates."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from backend_skills.paths import repo_root


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    root, port, token = repo_root(), free_port(), "course-test"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / "jupyter"),
        "JUPYTERLAB_SETTINGS_DIR": str(root / "jupyter" / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", params={"token": token}, timeout=5)
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/api/status").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "jupyter lab did not start"
        time.sleep(0.3)
    yield client
    server.terminate()
    server.wait(timeout=20)


def test_news_and_update_checks_are_off(lab):
    assert lab.get("/lab/api/news").json() == {"news": []}
    assert lab.get("/lab/api/update").json() == {"notification": None}
    settings = lab.get("/lab/api/settings/@jupyterlab/apputils-extension:notification").json()
    assert settings["settings"]["fetchNews"] == "false"
    assert settings["settings"]["checkForUpdates"] is False
    assert lab.get("/lab/tree/notebooks/00-start-here.ipynb").status_code == 200
