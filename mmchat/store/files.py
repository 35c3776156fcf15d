"""The database's files on disk and the processes that write them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from mmchat.store.records import StoreError

STALE_FOREIGN_S = 24 * 3600  # how long a pending answer written on another host may still be streaming


def prepare_private_file(path: Path) -> None:
    """Creates the parent dir (0700) and the database file (0600) if missing.

    SQLite gives the -wal and -shm files the database file's permissions.
    """
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
            path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise StoreError(f"cannot create {e.filename or path}: {e.strerror}") from e
    os.close(fd)
    tighten_modes(path)


def tighten_modes(path: Path) -> None:
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            pass


def writer() -> str:
    """This process, as recorded on the pending answers it streams."""
    return f"{socket.gethostname()}:{os.getpid()}"


def writer_alive(writer: str | None, age_s: float) -> bool:
    """Whether the process that wrote a pending answer may still be streaming it."""
    if not writer:
        return False  # written before writers were recorded
    host, _, pid = writer.rpartition(":")
    if host != socket.gethostname():
        return age_s < STALE_FOREIGN_S
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, run by another user
    except (ValueError, OverflowError):
        return False  # not a process id
    return True
