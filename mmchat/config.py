"""mmchat's configuration: typed settings loaded from YAML and the environment.

(Data classes first; the loader and validator below them.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ProviderType = Literal["openai", "anthropic", "gemini", "ollama"]

# The root each protocol documents; protocol paths are appended to it.
DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com/v1beta",
    "ollama": "http://localhost:11434",
}


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `first_token` runs from sending the request to the first event;
    `idle` is the longest gap allowed between two chunks of a stream."""

    connect: float = 10.0
    first_token: float = 60.0
    idle: float = 30.0


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    type: ProviderType
    base_url: str
    api_key_env: str | None = None
    api_key_cmd: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    # Retries of a retryable error before the first token (the engine's loop).
    max_retries: int = 2


@dataclass(frozen=True)
class Price:
    """USD per million tokens; None where the provider charges no such item
    or the price is unknown (see Catalog for the difference)."""

    input: float | None = None
    cached_input: float | None = None
    cache_write: float | None = None
    output: float | None = None
    reasoning: float | None = None  # defaults to the output price when None


@dataclass(frozen=True)
class ModelConfig:
    """A `models:` entry from the user's config (all fields optional overrides)."""

    address: str  # provider/model-id
    display_name: str | None = None
    context: int | None = None
    max_output: int | None = None
    price: Price | None = None
    tags: tuple[str, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    models: dict[str, ModelConfig] = field(default_factory=dict)
    default_model: str | None = None
    source: Path | None = None  # the file it was read from, None when built from the environment
