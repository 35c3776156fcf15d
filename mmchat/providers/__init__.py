"""Providers: one module per wire protocol or runtime, all behind the Provider protocol
(`protocol.py`); the HTTP ones share `base.HTTPProvider`.

Which class serves a config's `type:` is the registry's answer (`mmchat.provider_types`):
`build_provider` looks the type up and calls its factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mmchat import provider_types
from mmchat.providers.protocol import Provider

if TYPE_CHECKING:
    import httpx

    from mmchat.config import ProviderConfig

__all__ = ["Provider", "build_provider"]


def build_provider(
    config: ProviderConfig, api_key: str | None, client: httpx.AsyncClient | None = None
) -> Provider:
    """The provider for `config`, made by its type's factory; a shared `client` pools
    HTTP connections (types not reached over HTTP ignore it)."""
    try:
        ptype = provider_types.get(config.type)
    except provider_types.UnknownProviderType:
        raise ValueError(
            f"provider {config.name!r}: unknown type {config.type!r} (use {', '.join(provider_types.names())})"
        ) from None
    return ptype.load_factory()(config, api_key, client=client)
