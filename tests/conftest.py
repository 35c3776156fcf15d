"""Shared fixtures: local servers speaking each provider's wire format (tests/servers)."""

from __future__ import annotations

from collections.abc import Iterator

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
