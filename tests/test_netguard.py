"""The kernel network guard, exercised in a fresh interpreter (it patches sockets)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from backend_skills import netguard

PROBE = textwrap.dedent("""
    import socket, sys
    from backend_skills import netguard
    netguard.install()
    results = []
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    results.append("loopback ok")
    for target in [("192.0.2.1", 80), ("10.1.2.3", 443)]:
        try:
            socket.create_connection(target, timeout=1)
            results.append("REACHED " + target[0])
        except netguard.OfflineViolation:
            results.append("blocked " + target[0])
    try:
        socket.getaddrinfo("example.com", 443)
        results.append("RESOLVED")
    except netguard.OfflineViolation:
        results.append("lookup blocked")
    print(";".join(results))
""")


def test_guard_allows_loopback_and_blocks_the_rest(tmp_path):
    env = netguard.kernel_environment(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
        timeout=60,
    )
    assert result.stdout.strip() == (
        "loopback ok;blocked 192.0.2.1;blocked 10.1.2.3;lookup blocked"
    ), result.stderr
    assert len(netguard.violations(env)) == 3  # logged even when a caller swallows it


def test_loopback_names():
    assert netguard.is_loopback("127.0.0.1") and netguard.is_loopback("127.8.9.10")
    assert netguard.is_loopback("::1") and netguard.is_loopback("localhost")
    assert netguard.is_loopback("::ffff:127.0.0.1")
    assert not netguard.is_loopback("192.168.1.1") and not netguard.is_loopback("pypi.org")


def test_kernel_environment_writes_an_ipython_startup_file(tmp_path):
    env = netguard.kernel_environment(tmp_path)
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    assert env["IPYTHONDIR"] == str(tmp_path / "ipython")
    assert "netguard.install()" in next(startup.glob("*.py")).read_text()
