"""Fixtures: a store on a real database file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmchat.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mmchat.db"


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)
