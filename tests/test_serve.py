"""ServedApp: a real uvicorn on 127.0.0.1, started and stopped from Python."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import httpx
import pytest
from fastapi import FastAPI

from backend_skills.serve import ServedApp, ServerWatch


def test_serves_on_loopback_and_stops():
    app = FastAPI()

    @app.get("/ping")
    def ping():
        return {"pong": True}

    with ServedApp(app) as served:
        assert served.url.startswith("http://127.0.0.1:")
        url = served.url
        assert httpx.get(f"{url}/ping").json() == {"pong": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ping", timeout=1)


def test_refuses_non_loopback_hosts():
    with pytest.raises(ValueError, match="loopback"):
        ServedApp(FastAPI(), host="0.0.0.0")


def test_server_watch_sees_a_running_server_and_its_absence_after_stop():
    watch = ServerWatch()
    served = ServedApp(FastAPI()).start()
    port = served.port
    left = watch.leftovers()
    assert f"port {port} listening" in left
    assert any(line.startswith("thread 'uvicorn'") for line in left)
    served.stop()
    assert watch.leftovers() == []


def test_server_watch_sees_a_child_process_until_it_is_reaped():
    watch = ServerWatch()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert any(line.startswith(f"process {child.pid} ") for line in watch.leftovers())
    finally:
        child.kill()
        child.wait()
    assert watch.leftovers() == []


def test_server_watch_leaves_the_event_loops_pooled_workers_to_the_kernel():
    watch = ServerWatch()
    loop = asyncio.new_event_loop()  # the kernel's loop stays open, as this one does
    try:
        loop.run_until_complete(asyncio.to_thread(sum, [1, 2]))
        assert any(thread.name.startswith("asyncio_") for thread in threading.enumerate())
        assert watch.leftovers() == []
    finally:
        loop.close()
