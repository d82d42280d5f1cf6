"""Every test of this example runs offline: the conftest's guard refuses the network."""

from __future__ import annotations

import socket

import pytest


def test_a_connection_beyond_loopback_is_refused():
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="network guard"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed


def test_a_name_lookup_is_refused_and_loopback_is_not():
    with pytest.raises(ConnectionRefusedError, match="name lookup of 'example.com'"):
        socket.getaddrinfo("example.com", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)
