"""Fixtures for the interface's tests: a real store, a real engine, local servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mmchat.config import Budget, Config, ModelConfig, ProviderConfig, Timeouts
from mmchat.store import Store
from mmchat.tui.app import MmchatApp
from mmchat.tui.service import ChatService
from mmchat.tui.themes import BUNDLED_DIR

QUICK = Timeouts(connect=0.5, first_token=2.0, idle=2.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "mmchat.db") as s:
        yield s


def make_app(
    store: Store,
    providers: list[ProviderConfig],
    *,
    default_model: str | None = None,
    models: dict[str, ModelConfig] | None = None,
    keys: dict[str, str] | None = None,
    budget: Budget | None = None,
) -> MmchatApp:
    """The app over a real engine and store; keys never come from the keyring or the environment.

    The remembered state (the theme) lives next to the test's database, never in the user's data dir.
    """
    from mmchat.engine import Engine

    config = Config(
        providers={p.name: p for p in providers}, models=models or {}, default_model=default_model, keys=keys or {},
        budget=budget or Budget(),
    )
    engine = Engine(config, store, key_lookup=lambda provider: None)
    service = ChatService(config, store, engine=engine)
    return MmchatApp(service, theme_dirs=[BUNDLED_DIR], state_path=store.db_path.parent / "tui-state.json")


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def until(pilot, condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Let the app run until `condition()` holds (fails the test after `limit` seconds)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not condition():
        if loop.time() > end:
            raise AssertionError("the app never reached the expected state")
        await pilot.pause(0.02)
