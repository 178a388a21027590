"""The read buffer under paho's socket: the same bytes, in the sizes paho asks for."""

import socket

import pytest

from ingest.mqtt_socket import BufferedSocket


def test_small_reads_come_from_one_large_read_and_pending_says_what_is_left() -> None:
    left, right = socket.socketpair()
    with left, right:
        right.setblocking(False)
        left.sendall(b"\x30\x05hello\x30\x03abc")
        buffered = BufferedSocket(right, chunk=1024)
        assert buffered.recv(1) == b"\x30"
        assert buffered.pending() == 11
        assert buffered.recv(1) == b"\x05"
        assert buffered.recv(5) == b"hello"
        assert buffered.recv(2) == b"\x30\x03"
        assert buffered.recv(10) == b"abc"  # a short read at the end, as from a socket
        assert buffered.pending() == 0
        with pytest.raises(BlockingIOError):
            buffered.recv(1)  # nothing buffered, nothing in the kernel: as the socket says
        assert buffered.fileno() == right.fileno()  # everything else passes through


def test_a_read_larger_than_the_buffer_passes_straight_through() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"x" * 100)
        buffered = BufferedSocket(right, chunk=16)
        assert buffered.recv(100) == b"x" * 100
        assert buffered.pending() == 0


def test_end_of_stream_reads_as_empty_bytes() -> None:
    left, right = socket.socketpair()
    with right:
        left.sendall(b"ab")
        left.close()
        buffered = BufferedSocket(right, chunk=16)
        assert buffered.recv(1) == b"a"
        assert buffered.recv(1) == b"b"
        assert buffered.recv(1) == b""
