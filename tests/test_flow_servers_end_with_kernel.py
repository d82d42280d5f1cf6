"""A notebook's served app outlives Run All and ends with its kernel.

The api-patterns notebooks serve their app with `ServedApp` (uvicorn in a daemon thread)
and leave it running, so a learner can keep playing with the flow after Run All. That is
only safe if shutting the kernel down (what JupyterLab's "Shut Down Kernel" does) takes
the server with it: no orphaned process, no port left listening. This test runs a flow
notebook in a real kernel, finds the port the notebook printed among the kernel process's
own listening sockets, shuts the kernel down and checks both are gone.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from backend_skills import netguard
from backend_skills.paths import notebooks_dir

pytestmark = pytest.mark.notebook

NOTEBOOK = notebooks_dir() / "02-api-patterns" / "01-choosing-a-paradigm.ipynb"
SERVED = re.compile(r"serving on http://127\.0\.0\.1:(\d+)")
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's state column


def listening_ports(pid: int) -> set[int]:
    """Ports the process PID itself listens on (its socket inodes matched to /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:  # the fd closed while we read the folder
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == LISTEN and inode in inodes:
            ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_served_app_keeps_running_after_run_all_and_stops_with_the_kernel(monkeypatch):
    for key, value in netguard.kernel_environment().items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        printed = "".join(
            output.get("text", "") for cell in nb.cells for output in cell.get("outputs", [])
        )
        match = SERVED.search(printed)
        assert match, "the notebook prints the URL it serves on"
        port = int(match.group(1))
        pid = client.km.provisioner.pid
        threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
        # After Run All the server is still there, in the kernel process, for the learner.
        assert port in listening_ports(pid)
        assert threads > 1  # the kernel's main thread and at least uvicorn's
        assert not refuses(port)
        # What "Shut Down Kernel" asks for. nbclient's manager is asynchronous: a bare call
        # only made a coroutine, and the context's exit killed the kernel instead.
        run_sync(client.km.shutdown_kernel)(now=False)
        assert not Path(f"/proc/{pid}").exists(), "the kernel process is gone"
        assert refuses(port), "nothing listens on the served port any more"
