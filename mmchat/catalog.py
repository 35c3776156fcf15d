"""The catalog: every model mmchat knows of, with its limits, prices and tags.

Built from the bundled `data/catalog.yaml` (for the providers that talk to
those services) with the user's `models:` entries merged over it field by
field. A model of a configured provider works without any entry; its price is
then unknown (None), which is never shown or summed as 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mmchat.config import Config, ModelConfig, Price, ProviderConfig
# is_local(provider): whether it runs on this machine, as its type says (its models cost 0,
# tagged `local`); the routing and the engine ask it here.
from mmchat import provider_types
from mmchat.provider_types import is_local
from mmchat.services import known_service
from mmchat.types import Usage

if TYPE_CHECKING:
    from mmchat.price_refresh import RefreshedPrices

FREE = Price(input=0.0, cached_input=0.0, cache_write=0.0, output=0.0, reasoning=0.0)


@dataclass(frozen=True)
class ModelInfo:
    address: str  # provider/model-id
    provider: str
    model_id: str
    display_name: str
    context: int | None
    max_output: int | None
    price: Price | None  # None = unknown (never shown as 0); local servers get FREE
    tags: tuple[str, ...]
    params: dict[str, Any]  # default generation parameters for this model
    source: str  # 'bundled' | 'config' | 'discovered' | 'unlisted' (resolved without any entry)
    tier: int | None = None  # 1 light, 2 standard, 3 strong when the catalog or config says; else derived


class UnknownModel(LookupError):
    """A model address that no configured provider can serve (one line, says what to fix)."""


@dataclass(frozen=True)
class _Bundle:
    as_of: str
    source: str
    models: dict[str, ModelConfig]

    @property
    def services(self) -> frozenset[str]:
        return frozenset(address.split("/", 1)[0] for address in self.models)


@lru_cache(maxsize=1)
def _bundle() -> _Bundle:
    from importlib import resources

    import yaml

    from mmchat.yaml_nodes import fast_loader

    text = resources.files("mmchat").joinpath("data/catalog.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=fast_loader())
    models = {}
    for address, entry in raw["models"].items():
        price = entry.get("price")
        models[address] = ModelConfig(
            address=address,
            display_name=entry.get("display_name"),
            context=entry.get("context"),
            max_output=entry.get("max_output"),
            price=Price(**{k: float(v) for k, v in price.items()}) if price else None,
            tags=tuple(entry.get("tags", ())),
            tier=entry.get("tier"),
            params=dict(entry.get("params", {})),
        )
    sources = raw["source"]
    return _Bundle(str(raw["prices_as_of"]), ", ".join(sources) if isinstance(sources, list) else str(sources), models)


def cost_usd(usage: Usage, price: Price | None) -> float | None:
    """The cost of `usage` in USD, or None when the price (of any item used) is unknown.

    Cached input falls back to the input price when the provider's cache price
    is unknown, as do cache writes; reasoning is billed at the reasoning price
    or else the output price.
    """
    if price is None:
        return None
    items = (
        (usage.input_tokens, price.input),
        (usage.cached_input_tokens, price.cached_input if price.cached_input is not None else price.input),
        (usage.cache_write_tokens, price.cache_write if price.cache_write is not None else price.input),
        (usage.output_tokens, price.output),
        (usage.reasoning_tokens, price.reasoning if price.reasoning is not None else price.output),
    )
    total = 0.0
    for tokens, per_million in items:
        if tokens:
            if per_million is None:
                return None
            total += tokens * per_million
    return total / 1_000_000


def _merge_price(base: Price | None, override: Price | None) -> Price | None:
    if override is None or base is None:
        return override or base
    return Price(**{f.name: _first(getattr(override, f.name), getattr(base, f.name)) for f in fields(Price)})


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


class Catalog:
    def __init__(self, config: Config, entries: dict[str, ModelInfo], prices_as_of: str, prices_source: str) -> None:
        self._config = config
        self._entries = entries
        self.prices_as_of = prices_as_of
        self.prices_source = prices_source

    @classmethod
    def build(cls, config: Config, refreshed: RefreshedPrices | None = None) -> Catalog:
        """The bundled entries of the configured services, with `refreshed` prices
        (from `mmchat models --refresh-prices`) over them and the user's entries over both."""
        bundle = _bundle()
        entries: dict[str, ModelInfo] = {}
        fresh = 0
        for name, provider in config.providers.items():
            service = _bundled_service(provider, bundle.services)
            if service is None:
                continue
            prefix = f"{service}/"
            for address, entry in bundle.models.items():
                if address.startswith(prefix):
                    model_id = address[len(prefix):]
                    info = _apply(_blank(provider, model_id, "bundled"), entry)
                    if refreshed is not None:
                        price, context = refreshed.lookup(service, model_id)
                        if price is not None:
                            fresh += 1
                            info = replace(info, price=_merge_price(info.price, price), context=context or info.context)
                    entries[f"{name}/{model_id}"] = info
        for name, provider in config.providers.items():  # the models an in-process provider serves
            ptype = provider_types.get(provider.type)
            if ptype.models is not None:
                for model_id in ptype.models(provider):
                    entries[f"{name}/{model_id}"] = replace(
                        _blank(provider, model_id, "provider"), context=provider.context or ptype.context
                    )
        for address, entry in config.models.items():
            name, _, model_id = address.partition("/")
            base = entries.get(address) or _blank(config.providers[name], model_id, "config")
            entries[address] = replace(_apply(base, entry), source="config")
        as_of, source = bundle.as_of, bundle.source
        if fresh and refreshed is not None:
            as_of = f"{refreshed.as_of} for {fresh} models (refreshed), {bundle.as_of} for the rest"
            source = f"{refreshed.source}; {bundle.source}"
        return cls(config, entries, as_of, source)

    def get(self, address: str) -> ModelInfo | None:
        return self._entries.get(address)

    def resolve(self, address: str) -> ModelInfo:
        """The entry for `address`, or a bare one (price unknown) for any model of a configured provider."""
        known = self._entries.get(address)
        if known is not None:
            return known
        return _blank(self._provider_of(address), address.partition("/")[2], "unlisted")

    def models(self) -> list[ModelInfo]:
        """All entries, sorted by provider, then model id."""
        return sorted(self._entries.values(), key=lambda m: (m.provider, m.model_id))

    def add_discovered(
        self, provider: str, model_ids: Iterable[str], contexts: Mapping[str, int] | None = None
    ) -> None:
        """Add the models a provider listed; existing entries are kept as they are, except that
        an unknown context is filled from `contexts` (model id → what the server takes)."""
        pconfig = self._provider_of(f"{provider}/x")
        contexts = contexts or {}
        for model_id in model_ids:
            address = f"{provider}/{model_id}"
            if not model_id:
                continue
            entry = self._entries.get(address) or _blank(pconfig, model_id, "discovered")
            if entry.context is None and contexts.get(model_id):
                entry = replace(entry, context=contexts[model_id])
            self._entries[address] = entry

    def add_provider(self, provider: ProviderConfig) -> None:
        """A provider found while running (a local server): its models can be added now.
        The config's providers are the engine's too, so it can be reached at once."""
        self._config.providers.setdefault(provider.name, provider)

    def _provider_of(self, address: str) -> ProviderConfig:
        name, slash, model_id = address.partition("/")
        if not slash or not name or not model_id:
            raise UnknownModel(f"'{address}' is not a model address: write provider/model-id, e.g. openai/gpt-4.1-mini")
        provider = self._config.providers.get(name)
        if provider is None:
            names = ", ".join(self._config.providers) or "none"
            raise UnknownModel(f"unknown provider '{name}' in model '{address}': configured providers are {names}")
        return provider


def _bundled_service(provider: ProviderConfig, services: frozenset[str]) -> str | None:
    """The bundled service whose entries apply to `provider`: the one it talks to, or
    the one it is named after (unless it is a local server, which serves its own models)."""
    service = known_service(provider)
    if service is not None and service.name in services:
        return service.name
    if provider.name in services and not is_local(provider):
        return provider.name
    return None


def _blank(provider: ProviderConfig, model_id: str, source: str) -> ModelInfo:
    local = is_local(provider)
    return ModelInfo(
        address=f"{provider.name}/{model_id}",
        provider=provider.name,
        model_id=model_id,
        display_name=model_id,
        context=provider.context,  # an in-process model's window; None for a server's
        max_output=None,
        price=FREE if local else None,
        tags=("local",) if local else (),
        params={},
        source=source,
    )


def _apply(base: ModelInfo, entry: ModelConfig) -> ModelInfo:
    """`entry`'s fields over `base`'s; a local model keeps its 'local' tag."""
    tags = base.tags if entry.tags is None else entry.tags
    if "local" in base.tags and "local" not in tags:
        tags = (*tags, "local")
    return replace(
        base,
        display_name=entry.display_name or base.display_name,
        context=_first(entry.context, base.context),
        max_output=_first(entry.max_output, base.max_output),
        price=_merge_price(base.price, entry.price),
        tags=tags,
        tier=_first(entry.tier, base.tier),
        params={**base.params, **entry.params},
    )
