"""The Provider protocol: what the engine sees of any provider, HTTP or in-process.

A provider is one configured endpoint or runtime (`config`, named `name`):

- `stream(request)` answers one ChatRequest as an async iterator of StreamEvents:
  TextDelta / ReasoningDelta as they come, then Usage (when the provider reports
  it) and last Finish. It raises a `mmchat.providers.errors.ProviderError`
  subclass on failure; closing the iterator (or cancelling its task) stops the
  answer at once.
- `list_models()` returns the model ids it serves (raises ProviderError).
- `prepare()` does ahead of time, off the clock, what its first request would
  (clients, imports, loading a model); it may block, so callers run it in a
  worker thread.
- `aclose()` releases what it holds; the provider is not used afterwards.

What a provider *is* — local or not, needing an API key or not — is said by its
type in `mmchat.provider_types` (`is_local(config)`, `needs_key(config)`), so it is
known before the provider is built. HTTP providers share `mmchat.providers.base.HTTPProvider`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from mmchat.config import ProviderConfig
    from mmchat.types import ChatRequest, StreamEvent


@runtime_checkable
class Provider(Protocol):
    name: str
    config: ProviderConfig

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def list_models(self) -> list[str]: ...

    def prepare(self) -> None: ...

    async def aclose(self) -> None: ...
