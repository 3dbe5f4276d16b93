"""Free loopback ports, for servers and subprocesses of the tests."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
