"""Serve an ASGI app for real on 127.0.0.1 from a notebook or a test, and stop it after.

The server runs uvicorn in a background thread with its own event loop, so it works inside
a Jupyter kernel whose main thread already runs a loop. `ServerWatch` proves a notebook
stopped everything it started.
"""

from __future__ import annotations

import threading
import time

import psutil
import uvicorn


class ServedApp:
    """`with ServedApp(app) as served: httpx.get(served.url + "/items")`."""

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 15):
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError("the course serves on loopback only (127.0.0.1)")
        self.config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="auto"
        )
        self.server = uvicorn.Server(self.config)
        self.startup_timeout = startup_timeout
        self.thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.config.host}:{self.port}"

    def start(self) -> ServedApp:
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn stopped during start-up (is the port taken?)")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"uvicorn did not start within {self.startup_timeout} s")
            time.sleep(0.01)
        # port=0 asks the OS for a free port; read back the one it gave.
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.port = None

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# The kernel's event loop keeps its default executor's worker threads (named asyncio_N)
# for reuse after an `await asyncio.to_thread(...)`: they belong to the kernel, like its own
# sockets, and end with it.
KERNEL_LOOP_WORKERS = "asyncio_"


class ServerWatch:
    """What a notebook started and left running: listening ports, child processes, threads.

    Take one at the start (``watch = ServerWatch()``) and assert at the end that
    ``watch.leftovers() == []``. The kernel's own sockets (ZeroMQ listens on loopback too)
    are in the first snapshot, so only what the notebook added counts.
    """

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.ports = self._listening_ports()
        self.children = {child.pid for child in self.process.children(recursive=True)}
        self.threads = {thread.ident for thread in threading.enumerate()}

    def _listening_ports(self) -> set[int]:
        return {
            connection.laddr.port
            for connection in self.process.net_connections(kind="inet")
            if connection.status == psutil.CONN_LISTEN
        }

    def leftovers(self) -> list[str]:
        """One line per port, process or thread started since the snapshot and still there."""
        found = [f"port {port} listening" for port in sorted(self._listening_ports() - self.ports)]
        for child in self.process.children(recursive=True):
            if child.pid not in self.children and child.is_running():
                if child.status() != psutil.STATUS_ZOMBIE:
                    found.append(f"process {child.pid} ({child.name()}) running")
        found += [
            f"thread {thread.name!r} alive"
            for thread in threading.enumerate()
            if thread.ident not in self.threads
            and thread.is_alive()
            and not thread.name.startswith(KERNEL_LOOP_WORKERS)
        ]
        return found
