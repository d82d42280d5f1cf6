"""Serve an ASGI app for real in tests: uvicorn on 127.0.0.1 in a background thread.

conftest.py loads this file under a module name of its own example (every example has a
copy, and ``sys.modules`` keeps one module per name), and tests get what it serves through
fixtures, never by importing conftest. The course keeps this file the same in every
example that serves over HTTP; change it there (see ``backend-skills sync-examples``).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


class LiveServer:
    """``with LiveServer(app) as server: httpx.get(server.url + "/health")``.

    ``config`` goes to ``uvicorn.Config`` (``lifespan``, ``log_level``, ...). Pass ``sock``
    (see ``loopback_socket``) to serve on a port chosen before the app was built.
    """

    def __init__(self, app: ASGIApp, *, sock: socket.socket | None = None, **config: Any) -> None:
        # port=0: the OS picks a free port, so parallel runs never collide.
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **config))
        sockets = {"sockets": [sock]} if sock is not None else {}
        self.thread = threading.Thread(target=self.server.run, kwargs=sockets, daemon=True)
        self.url = ""

    def start(self, timeout: float = 10) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def loopback_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1, for an app that must know its own URL
    before it is served (an OAuth issuer, a WebAuthn origin)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class MountedApp:
    """An ASGI app that forwards to whichever app the current test mounted: one server for
    the whole session serves a fresh app per test (starting uvicorn costs ~0.2 s)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no app mounted"
        await self.app(scope, receive, send)
