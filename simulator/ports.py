"""Loopback ports for the simulated servers (RTSP, 一网管 receiver, a private broker)."""

import socket


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
