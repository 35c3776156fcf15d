"""A benchmark's local server in a child process, so its CPU does not share the client's GIL.

The child prints its base URL on one line and serves until its stdin closes.
"""

from __future__ import annotations

import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVER_START_S = 15.0  # at most, for the child to report its address


class ServerProcess:
    def __init__(self, module: str, *args: str) -> None:
        command = [sys.executable, "-m", module, "--serve", *args]
        self._proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.base_url = self._read_address()

    def _read_address(self) -> str:
        assert self._proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            if not selector.select(SERVER_START_S):
                self.close()
                raise RuntimeError(f"the benchmark server did not start within {SERVER_START_S:g}s")
        line = self._proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError(f"the benchmark server failed to start (it said {line!r})")
        return line

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def serve_until_stdin_closes(server: Any) -> None:
    """The child's side: start `server` (a tests.servers server), print its base URL, serve
    until the parent closes stdin."""
    with server:
        print(server.base_url, flush=True)
        sys.stdin.read()
