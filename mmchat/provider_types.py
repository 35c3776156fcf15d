"""The registry of provider types: what each `type:` of the config is.

A provider type is a wire protocol or a runtime (openai, anthropic, gemini,
ollama; an in-process model). Its entry says, without loading its code:

- its default base URL (None for a type that is not reached over HTTP);
- whether a provider of the type is local (runs on this machine: the catalog
  prices its models at 0 and tags them `local`, and the privacy lock keeps a
  private conversation on such providers only);
- whether it needs an API key (by default: unless it is local);
- its factory, the class or function that builds the provider, given as an
  import path ("package.module:Name") so that the foundations never import the
  providers layer, or as a callable.

The config validates `type:` against this registry and the catalog asks it
which providers are local; `mmchat.providers.build_provider` calls the factory.
A new type is one module and one `register(...)` call.

A factory is called as `factory(config, api_key, client=client)`: `client` is
the shared `httpx.AsyncClient` (or None), which only HTTP types use; any other
type accepts the keyword and ignores it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mmchat.services import KNOWN_SERVICES

if TYPE_CHECKING:
    from mmchat.config import ProviderConfig

Factory = Callable[..., Any]  # (config, api_key, *, client=None) -> a Provider
ConfigTest = Callable[["ProviderConfig"], bool]


def on_this_machine(config: ProviderConfig) -> bool:
    """True when the provider's base URL is this machine: localhost, a *.localhost
    name, 0.0.0.0 or a loopback address (127.x, ::1). The locality of an HTTP type."""
    host = (urlsplit(config.base_url).hostname or "").lower()
    if host in ("localhost", "0.0.0.0") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ProviderType:
    name: str
    factory: str | Factory  # "package.module:Name", imported on first use, or a callable
    default_base_url: str | None
    local: ConfigTest  # is a provider of this type, so configured, on this machine?
    needs_key: ConfigTest  # does it need an API key?
    note: str = ""  # a few words shown beside the name in the config's list of types
    # The models a provider of the type serves, known without asking it (an in-process model),
    # and their context window when the config gives none; None: the provider lists its own.
    models: Callable[[ProviderConfig], tuple[str, ...]] | None = None
    context: int | None = None

    @property
    def in_process(self) -> bool:
        """Run in this process (no URL): it takes no key, so none is looked up for it."""
        return self.default_base_url is None

    def load_factory(self) -> Factory:
        """The factory itself (its module is imported now when given as a path)."""
        if not isinstance(self.factory, str):
            return self.factory
        from importlib import import_module

        module, _, name = self.factory.partition(":")
        return getattr(import_module(module), name)


class UnknownProviderType(LookupError):
    """A `type:` no registered provider type has (one line: says which types there are)."""


_TYPES: dict[str, ProviderType] = {}


def register(
    name: str,
    factory: str | Factory,
    *,
    default_base_url: str | None = None,
    local: bool | ConfigTest = on_this_machine,
    needs_key: bool | ConfigTest | None = None,
    note: str = "",
    replace: bool = False,
    models: Callable[[ProviderConfig], tuple[str, ...]] | None = None,
    context: int | None = None,
) -> ProviderType:
    """Add the provider type `name` (the value of `type:` in the config).

    `local` and `needs_key` are a fixed answer or a test of a ProviderConfig;
    `needs_key` defaults to "unless it is local". Registering a name twice is an
    error unless `replace` is set.
    """
    if name in _TYPES and not replace:
        raise ValueError(f"provider type {name!r} is already registered")
    is_local = _as_test(local)
    if needs_key is None:
        needs = lambda config: not is_local(config)  # noqa: E731
    else:
        needs = _as_test(needs_key)
    entry = ProviderType(name, factory, default_base_url, is_local, needs, note, models, context)
    _TYPES[name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a registered type (tests that add one take it away again)."""
    _TYPES.pop(name, None)


def names() -> tuple[str, ...]:
    """The registered type names, in the order they were registered."""
    return tuple(_TYPES)


def get(name: str) -> ProviderType:
    entry = _TYPES.get(name)
    if entry is None:
        raise UnknownProviderType(f"unknown provider type {name!r}: the types are {', '.join(_TYPES)}")
    return entry


def is_local(config: ProviderConfig) -> bool:
    """Whether the provider runs on this machine, as its type says (price 0, tagged `local`,
    allowed for a private conversation)."""
    return get(config.type).local(config)


def needs_key(config: ProviderConfig) -> bool:
    """Whether the provider cannot work without an API key, as its type says."""
    return get(config.type).needs_key(config)


def _as_test(value: bool | ConfigTest) -> ConfigTest:
    if isinstance(value, bool):
        return lambda config: value
    return value


# --- the built-in types -------------------------------------------------------

register(
    "openai",
    "mmchat.providers.openai:OpenAIProvider",
    default_base_url=KNOWN_SERVICES["openai"].base_url,
    note="any OpenAI-compatible server",
)
register(
    "anthropic",
    "mmchat.providers.anthropic:AnthropicProvider",
    default_base_url=KNOWN_SERVICES["anthropic"].base_url,
)
register(
    "gemini",
    "mmchat.providers.gemini:GeminiProvider",
    default_base_url=KNOWN_SERVICES["gemini"].base_url,
)
# An Ollama provider counts as local wherever its URL points (the rule since mmchat's first version).
register("ollama", "mmchat.providers.ollama:OllamaProvider", default_base_url="http://localhost:11434", local=True)
# A GGUF model run in this process by llama.cpp (the `local` extra): no URL, no key; with no
# `path:` the embedded model. Its `path`, `threads` and `context` are read by the provider.
EMBEDDED_MODEL_ID = "qwen2.5-coder-1.5b"  # the embedded model (mmchat.providers.local_model.EMBEDDED)
# 4,096 tokens: a few turns of history or a page of code. Each 1,024 tokens of context
# cost the embedded model 28 MB of KV cache (the full 32k: +0.9 GB); a full 4k prompt
# already takes ~50 s to read on two threads, so a larger default would mostly buy waits.
LOCAL_CONTEXT = 4096


def _local_models(config: ProviderConfig) -> tuple[str, ...]:
    """A GGUF file's stem, or the embedded model's id."""
    return (PurePath(config.path).stem if config.path else EMBEDDED_MODEL_ID,)


register(
    "local",
    "mmchat.providers.local:LocalProvider",
    local=True,
    needs_key=False,
    note="a GGUF model run in-process (pip install 'mmchat[local]')",
    models=_local_models,
    context=LOCAL_CONTEXT,
)
