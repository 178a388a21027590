"""A read buffer under paho's socket, so a burst of MQTT messages costs one ``recv``, not six
per message.

paho reads a packet a byte at a time (command, each remaining-length byte, then the body),
and aiomqtt calls paho's ``loop_read`` once per readable event, so every message costs an
event-loop turn and about six ``recv`` system calls. Under the socket, this buffer takes
what the kernel has in one call and serves paho's small reads from memory. aiomqtt's
reader callback already keeps calling ``loop_read`` while the socket reports ``pending()``
bytes (its workaround for TLS sockets, paho issue #131), so a whole burst is parsed in
one turn of the event loop; ``pending`` here is what the buffer holds plus what a TLS
socket holds decrypted.
"""

import asyncio
from typing import Any

import aiomqtt

CHUNK_BYTES = 32 * 1024
"""At most this much is read, and parsed, in one turn of the event loop: about 150 sensor
messages, a few milliseconds, so the alarm connection's turn is never far off."""


class BufferedSocket:
    """Wraps paho's socket: ``recv`` from a buffer refilled in large reads; the rest passes
    through unchanged."""

    def __init__(self, sock: Any, chunk: int = CHUNK_BYTES) -> None:
        self._sock = sock
        self._chunk = chunk
        self._data = b""
        self._at = 0

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes; raises what the socket raises when nothing is buffered."""
        if self._at >= len(self._data):
            data = self._sock.recv(max(size, self._chunk))
            if len(data) <= size:
                return bytes(data)
            self._data, self._at = data, 0
        end = min(self._at + size, len(self._data))
        piece = self._data[self._at : end]
        self._at = end
        return piece

    def pending(self) -> int:
        """Bytes readable without a system call."""
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._data) - self._at + int(inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def buffer_reads(client: aiomqtt.Client) -> None:
    """Put a read buffer under a connected client's socket (a no-op when not connected).

    Call it between two reads of the event loop (any time in a coroutine): paho keeps its
    partial-packet state of its own, so the byte stream it sees is unchanged.
    """
    paho = client._client
    sock = paho._sock
    if sock is not None and not isinstance(sock, BufferedSocket):
        paho._sock = BufferedSocket(sock)


class HeldReads:
    """Lets a connected client's socket reads be held while more urgent work runs.

    aiomqtt reads the socket from an event-loop reader; here that reader is replaced by an
    equal one that can be taken off the loop and put back. While held, the broker's messages
    wait in the kernel (TCP flow control), and the loop's turns are short: the alarm lane's
    database round trips (about 28 for one incident on SQLite) each wait for one turn.
    """

    def __init__(self, client: aiomqtt.Client) -> None:
        self._client = client
        self._paho = client._client
        self._fd: int | None = None
        self._held = False

    def install(self) -> None:
        """Take over the reader of the connected client (call in the loop, after connecting)."""
        sock = self._paho._sock
        if sock is None:
            return
        loop = asyncio.get_running_loop()
        self._fd = sock.fileno()
        loop.remove_reader(self._fd)
        loop.add_reader(self._fd, self._read)

    def hold(self) -> None:
        """Stop reading until ``release``."""
        if self._fd is not None and not self._held:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._held = True

    def release(self) -> None:
        """Read again (unless the connection has gone meanwhile)."""
        if not self._held:
            return
        self._held = False
        sock = self._paho._sock
        if self._fd is not None and sock is not None and sock.fileno() == self._fd:
            asyncio.get_running_loop().add_reader(self._fd, self._read)

    def _read(self) -> None:
        # As aiomqtt's own reader: parse while bytes are buffered; a failure ends the client.
        try:
            while True:
                self._paho.loop_read()
                pending = getattr(self._paho._sock, "pending", None)
                if pending is None or not pending():
                    break
        except Exception as exc:  # a broken connection: aiomqtt raises it at its next wait
            disconnected = self._client._disconnected
            if not disconnected.done():
                disconnected.set_exception(exc)
