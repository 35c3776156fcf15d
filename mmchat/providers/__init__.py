"""Providers: one module per wire protocol, all behind the `Provider` interface."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from mmchat.config import ProviderConfig
    from mmchat.providers.base import Provider


def build_provider(
    config: ProviderConfig, api_key: str | None, client: httpx.AsyncClient | None = None
) -> Provider:
    """The Provider for `config.type`; pass a shared `client` to pool connections."""
    if config.type == "openai":
        from mmchat.providers.openai import OpenAIProvider as cls
    elif config.type == "anthropic":
        from mmchat.providers.anthropic import AnthropicProvider as cls
    elif config.type == "gemini":
        from mmchat.providers.gemini import GeminiProvider as cls
    elif config.type == "ollama":
        from mmchat.providers.ollama import OllamaProvider as cls
    else:
        raise ValueError(
            f"provider {config.name!r}: unknown type {config.type!r}"
            " (use openai, anthropic, gemini or ollama)"
        )
    return cls(config, api_key, client)
