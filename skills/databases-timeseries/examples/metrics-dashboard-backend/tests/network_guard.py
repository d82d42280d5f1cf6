"""The offline guard of the examples' and scripts' tests (a canonical copy; see copies.yaml).

``with NetworkGuard() as attempts:`` refuses every connection and name lookup beyond
loopback with ConnectionRefusedError and records it in ``attempts``, so a library that
swallows the error is still caught. A conftest wraps each test in it (an autouse fixture)
or hands the class to tests that assert on the attempts. Loopback stays open: the tests'
own servers run on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() in {"localhost", "localhost.localdomain", "ip6-localhost"}:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class NetworkGuard:
    """Within `with NetworkGuard() as attempts:`, every connection or name lookup beyond
    loopback raises ConnectionRefusedError and is appended to attempts, so a library that
    swallows the error is still caught."""

    def __enter__(self) -> list[str]:
        self.attempts: list[str] = []
        self.saved = (socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo)
        connect, connect_ex, getaddrinfo = self.saved

        def refuse(what: str) -> None:
            self.attempts.append(what)
            raise ConnectionRefusedError(f"network guard: {what} refused (tests are offline)")

        def check(sock: socket.socket, address: object) -> None:
            inet = sock.family in (socket.AF_INET, socket.AF_INET6)
            if inet and isinstance(address, tuple) and not _is_loopback(address[0]):
                refuse(f"connection to {address[0]}:{address[1]}")

        def guarded_connect(sock, address):
            check(sock, address)
            return connect(sock, address)

        def guarded_connect_ex(sock, address):
            check(sock, address)
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else host
            if name not in (None, "", "0.0.0.0", "::") and not _is_loopback(name):
                refuse(f"name lookup of {name!r}")
            return getaddrinfo(host, *args, **kwargs)

        socket.socket.connect = guarded_connect
        socket.socket.connect_ex = guarded_connect_ex
        socket.getaddrinfo = guarded_getaddrinfo
        return self.attempts

    def __exit__(self, *exc_info) -> None:
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = self.saved
