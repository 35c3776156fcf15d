"""Fixtures for the interface's tests: a real store, a real engine, local servers."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mmchat.config import Budget, Config, Discovery, ModelConfig, ProviderConfig, Timeouts
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
    routing: str | None = None,
    route: str | None = None,
    discovery: Discovery | None = None,
) -> MmchatApp:
    """The app over a real engine and store; keys never come from the keyring or the environment.

    `routing` is the config's `routing:` section as YAML (its key included). The remembered
    state (theme, `route`: 'auto' or 'pinned') lives next to the test's database, never in
    the user's data dir; without `route` the app starts as on a first run. Local servers are
    not looked for unless `discovery` says where (the machine's own would change the screen).
    """
    from mmchat.engine.turn import Engine

    config = Config(
        providers={p.name: p for p in providers}, models=models or {}, default_model=default_model, keymap=keys or {},
        budget=budget or Budget(), routing=routing_node(routing),
        source=store.db_path.parent / "config.yaml" if routing else None,
        discovery=discovery or Discovery(enabled=False),
    )
    engine = Engine(config, store, key_lookup=lambda provider: None)
    service = ChatService(config, store, engine=engine)
    state_path = store.db_path.parent / "tui-state.json"
    if route is not None:
        state_path.write_text(json.dumps({"route": route}))
    return MmchatApp(service, theme_dirs=[BUNDLED_DIR], state_path=state_path)


def routing_node(text: str | None):
    """The composed node of a `routing:` section, as mmchat.config keeps it (None: no section)."""
    if text is None:
        return None
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    return next(value for key, value in root.value if key.value == "routing")


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
