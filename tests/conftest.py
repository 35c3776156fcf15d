"""Shared fixtures: local servers speaking each provider's wire format (tests/servers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import AnthropicServer, GeminiServer, OllamaServer, OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicServer]:
    with AnthropicServer() as server:
        yield server


@pytest.fixture
def gemini_server() -> Iterator[GeminiServer]:
    with GeminiServer() as server:
        yield server


@pytest.fixture
def ollama_server() -> Iterator[OllamaServer]:
    with OllamaServer() as server:
        yield server


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private home for the `mmchat` command: its data, cache and config dirs live here."""
    (tmp_path / "data").mkdir()
    return tmp_path
