"""Addresses that fail in specific ways: nothing listening, or never accepting."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager


def closed_port() -> int:
    """A loopback port with nothing listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port whose accept queue is full: a new connection attempt hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.05)  # let the fillers' handshakes land in the queue before the real attempt
    try:
        yield port
    finally:
        for sock in (*fillers, listener):
            sock.close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and reads requests but never answers."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:  # the accept timed out (or the listener is closed)
                continue
            accepted.append(conn)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(1)
        for sock in (*accepted, listener):
            sock.close()
