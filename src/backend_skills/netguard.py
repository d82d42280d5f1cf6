"""Keep notebook kernels offline: any connection beyond loopback raises and is logged.

Installed into kernels by an IPython startup file (see `kernel_environment`), so nbval,
papermill and `make course` runs fail when a notebook, or a library it calls, reaches out.
Attempts are also appended to a log file, which catches libraries that swallow the error.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

LOG_ENV = "BACKEND_SKILLS_NETGUARD_LOG"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
STARTUP_SCRIPT = "from backend_skills import netguard\nnetguard.install()\n"


class OfflineViolation(ConnectionRefusedError):
    """A connection to a non-loopback address from a course kernel."""


def is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _refuse(what: str) -> None:
    message = f"netguard: {what} blocked: course notebooks may reach 127.0.0.1 only"
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(message + "\n")
    raise OfflineViolation(message)


def _check_address(family: int, address: object) -> None:
    if family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not is_loopback(address[0]):
            _refuse(f"connection to {address[0]}:{address[1]}")


def install() -> None:
    """Patch socket connect, connect_ex and getaddrinfo in this process (idempotent)."""
    if getattr(socket, "_backend_skills_guarded", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        _check_address(self.family, address)
        return original_connect(self, address)

    def connect_ex(self, address):
        _check_address(self.family, address)
        return original_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if not is_loopback(name) and name not in {"", "0.0.0.0", "::"}:
                _refuse(f"name lookup of {name!r}")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    socket._backend_skills_guarded = True


def kernel_environment(base: Path | None = None) -> dict[str, str]:
    """Environment variables that make new IPython kernels install the guard at start-up."""
    base = Path(base or tempfile.mkdtemp(prefix="bsl-netguard-"))
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-backend-skills-netguard.py").write_text(STARTUP_SCRIPT, encoding="utf-8")
    log = base / "violations.log"
    log.touch()
    return {"IPYTHONDIR": str(base / "ipython"), LOG_ENV: str(log)}


def violations(environment: dict[str, str]) -> list[str]:
    log = Path(environment[LOG_ENV])
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []
