"""Running the real `mmchat` command in a subprocess with a private home, and configs the CLI and end-to-end tests share."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from contextlib import ExitStack
from pathlib import Path

KEY = "sk-cli-secret-abcdef0123456789"


def write_config(home: Path, text: str) -> Path:
    path = home / "config.yaml"
    path.write_text(text)
    return path


def private_env(home: Path, config: Path | None = None) -> dict[str, str]:
    """An environment where mmchat's config, data, cache and keyring are the test's own."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "MMCHAT_DATA_DIR": str(home / "data"),
        "MMCHAT_CACHE_DIR": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "xdg"),
        "LAB_KEY": KEY,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if config is not None:
        env["MMCHAT_CONFIG"] = str(config)
    return env


def mmchat(home: Path, *args: str, stdin: str | None = None, config: Path | None = None) -> subprocess.CompletedProcess:
    env = private_env(home, config)
    return subprocess.run(
        [sys.executable, "-m", "mmchat", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def two_provider_config(home: Path, server) -> Path:
    """`one` and `two` both on the local test server; questions go to one/big first."""
    providers = "".join(
        f"  {name}:\n    type: openai\n    base_url: {server.base_url}\n    max_retries: 0\n"
        "    timeouts: {connect: 2, first_token: 2, idle: 2}\n"
        for name in ("one", "two")
    )
    return write_config(
        home,
        f"providers:\n{providers}models:\n  one/big: {{context: 32000, tags: [strong]}}\n"
        "  two/small: {context: 32000, tags: [small]}\ndefault_model: one/big\n"
        "routing:\n  rules:\n    - name: big first\n      when: {contains: question}\n      then: {use: one/big}\n",
    )


def on_terminal(
    home: Path, conf: Path, *args: str, answers: list[tuple[str, str]] = (), width: int = 160
) -> tuple[int, str, str]:
    """Runs `mmchat *args` with stdin and stderr a terminal and stdout a pipe; each
    (`wait`, `send`) of `answers` types `send` once `wait` is on the screen. The status, the
    screen (stderr, with the typing echoed) and stdout."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    with ExitStack() as cleanup:
        command = subprocess.Popen(
            [sys.executable, "-m", "mmchat", *args],
            stdin=secondary, stdout=subprocess.PIPE, stderr=secondary, env=private_env(home, conf),
            # The terminal its own, as in a shell: Ctrl+C typed on it interrupts the command.
            start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        cleanup.callback(command.kill)
        os.close(secondary)
        screen, pending, deadline = b"", list(answers), time.monotonic() + 30
        while time.monotonic() < deadline:
            if pending and pending[0][0].encode() in screen.rpartition(b"\n")[2]:
                os.write(primary, pending.pop(0)[1].encode())
            ready, _, _ = select.select([primary], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            screen += data
        os.close(primary)
        out, _ = command.communicate(timeout=30)
    return command.returncode, screen.decode().replace("\r\n", "\n"), out.decode()
