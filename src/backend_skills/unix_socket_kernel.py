"""A kernel manager whose kernel talks over Unix sockets, for every kernel the tests start.

Over TCP, jupyter_client picks each of a kernel's five ports by binding port 0 and letting
it go, and the kernel binds it a moment later. In the parallel suite a notebook's server
(uvicorn, NATS, a test's own) binding port 0 in that moment can take it, and the kernel
dies before it answers ("Kernel died before replying to kernel_info"). Unix sockets in a
folder of the kernel's own have no such race. The folder is short and absolute: a
socket's path is limited to 107 bytes, and the kernel runs in another working directory.
papermill's kernels (runner.CourseKernel) and nbval's (the repository's conftest.py) use it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import KernelManager
from traitlets import default


class UnixSocketKernelManager(KernelManager):
    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        return str(Path(tempfile.mkdtemp(prefix="bsl-kernel-")) / "channel")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(Path(self.ip).parent, ignore_errors=True)
