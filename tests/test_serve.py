"""ServedApp: a real uvicorn on 127.0.0.1, started and stopped from Python."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from backend_skills.serve import ServedApp


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
