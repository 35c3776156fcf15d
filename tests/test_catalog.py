from __future__ import annotations

import datetime
import re
from importlib import resources

import pytest
import yaml

from mmchat.catalog import FREE, Catalog, UnknownModel, cost_usd, is_local
from mmchat import provider_types
from mmchat.config import Config, ModelConfig, Price, ProviderConfig
from mmchat.services import KNOWN_SERVICES
from mmchat.types import Usage


def provider(name: str, type_: str = "openai", base_url: str | None = None) -> ProviderConfig:
    return ProviderConfig(name=name, type=type_, base_url=base_url or provider_types.get(type_).default_base_url)


def config(*providers: ProviderConfig, models: dict[str, ModelConfig] | None = None) -> Config:
    return Config(providers={p.name: p for p in providers}, models=models or {})


LAB = provider("lab", base_url="http://127.0.0.1:8080/v1")


# --- the bundled catalog ------------------------------------------------------------


def test_bundled_catalog_is_complete_and_dated():
    raw = yaml.safe_load(resources.files("mmchat").joinpath("data/catalog.yaml").read_text(encoding="utf-8"))
    datetime.date.fromisoformat(raw["prices_as_of"])
    assert raw["source"] and all(url.startswith("https://") for url in raw["source"])
    allowed = {"display_name", "context", "max_output", "price", "tags", "params"}
    for address, entry in raw["models"].items():
        service, _, model_id = address.partition("/")
        assert service in KNOWN_SERVICES and model_id, address
        assert set(entry) <= allowed, address
        price = entry["price"]
        assert set(price) <= {"input", "cached_input", "cache_write", "output", "reasoning"}, address
        assert price["input"] > 0 and price["output"] >= price["input"], address
        for limit in ("context", "max_output"):
            assert entry.get(limit) is None or (isinstance(entry[limit], int) and entry[limit] > 0), address
        assert entry["tags"] and all(re.fullmatch(r"[a-z][a-z-]*", t) for t in entry["tags"]), address


def test_every_family_the_brief_names_is_bundled():
    catalog = Catalog.build(config(*(provider(n, s.type, s.base_url) for n, s in KNOWN_SERVICES.items())))
    for address in (
        "openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano", "openai/gpt-4o", "openai/gpt-4o-mini",
        "openai/o3", "openai/o4-mini", "openai/gpt-5", "openai/gpt-5-mini", "openai/gpt-5-nano",
        "anthropic/claude-opus-4-0", "anthropic/claude-sonnet-4-0", "anthropic/claude-3-5-haiku-latest",
        "gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash", "gemini/gemini-2.5-flash-lite",
    ):
        info = catalog.get(address)
        assert info is not None and info.source == "bundled" and info.price is not None, address
    assert any(m.provider == "groq" for m in catalog.models())
    assert any(m.provider == "openrouter" for m in catalog.models())
    assert catalog.prices_as_of and "https://" in catalog.prices_source


def test_bundled_entries_apply_to_the_provider_of_that_name_only():
    catalog = Catalog.build(config(provider("openai"), LAB))
    mini = catalog.get("openai/gpt-4.1-mini")
    assert mini is not None
    assert (mini.context, mini.max_output) == (1047576, 32768)
    assert mini.price == Price(input=0.40, cached_input=0.10, output=1.60)
    assert catalog.get("anthropic/claude-sonnet-4-5") is None  # anthropic is not configured
    assert catalog.get("lab/gpt-4.1-mini") is None


def test_a_provider_talking_to_a_service_gets_its_entries_under_its_own_name():
    catalog = Catalog.build(config(provider("work", base_url="https://api.openai.com/v1")))
    assert catalog.get("work/gpt-4o") is not None
    assert catalog.get("work/gpt-4o").price.input == 2.50  # type: ignore[union-attr]


def test_openrouter_uses_its_own_ids():
    catalog = Catalog.build(config(provider("openrouter", base_url="https://openrouter.ai/api/v1")))
    info = catalog.resolve("openrouter/openai/gpt-4.1-mini")
    assert (info.provider, info.model_id, info.source) == ("openrouter", "openai/gpt-4.1-mini", "bundled")
    assert info.price is not None and info.price.input == 0.40


def test_a_local_server_named_like_a_service_gets_no_bundled_entries():
    local_openai = provider("openai", base_url="http://localhost:8080/v1")
    catalog = Catalog.build(config(local_openai))
    assert catalog.models() == []
    info = catalog.resolve("openai/gpt-4.1")
    assert info.price == FREE and info.tags == ("local",)


# --- config overrides ----------------------------------------------------------------


def test_config_entries_override_bundled_ones_field_by_field():
    override = ModelConfig(
        address="openai/gpt-4.1-mini",
        display_name="mini",
        price=Price(input=0.30),
        tags=("fast",),
        params={"temperature": 0.2},
    )
    catalog = Catalog.build(config(provider("openai"), models={override.address: override}))
    info = catalog.resolve("openai/gpt-4.1-mini")
    assert info.source == "config"
    assert info.display_name == "mini"
    assert info.context == 1047576  # kept from the bundle
    assert info.price == Price(input=0.30, cached_input=0.10, output=1.60)
    assert info.tags == ("fast",)
    assert info.params == {"temperature": 0.2}


def test_local_models_cost_nothing_and_are_tagged_local():
    entry = ModelConfig(address="lab/qwen3-8b", context=32768, tags=("code",))
    catalog = Catalog.build(config(LAB, models={entry.address: entry}))
    info = catalog.resolve("lab/qwen3-8b")
    assert info.price == FREE
    assert info.tags == ("code", "local")
    assert info.context == 32768 and info.source == "config"
    assert cost_usd(Usage(input_tokens=1000, output_tokens=1000), info.price) == 0.0


def test_a_price_set_for_a_local_model_is_kept():
    entry = ModelConfig(address="lab/big", price=Price(input=0.01))
    info = Catalog.build(config(LAB, models={entry.address: entry})).resolve("lab/big")
    assert info.price == Price(input=0.01, cached_input=0.0, cache_write=0.0, output=0.0, reasoning=0.0)


# --- resolving addresses ---------------------------------------------------------------


def test_any_model_of_a_configured_provider_resolves_with_unknown_price():
    catalog = Catalog.build(config(provider("openai"), LAB))
    info = catalog.resolve("openai/gpt-9-preview")
    assert (info.provider, info.model_id, info.display_name) == ("openai", "gpt-9-preview", "gpt-9-preview")
    assert info.price is None and info.context is None and info.source == "unlisted"
    assert catalog.get("openai/gpt-9-preview") is None
    assert cost_usd(Usage(input_tokens=10), info.price) is None


def test_unknown_provider_says_which_are_configured():
    catalog = Catalog.build(config(provider("openai"), LAB))
    with pytest.raises(UnknownModel) as caught:
        catalog.resolve("foo/bar")
    assert str(caught.value) == "unknown provider 'foo' in model 'foo/bar': configured providers are openai, lab"


@pytest.mark.parametrize("address", ["gpt-4o", "openai/", "/gpt-4o", ""])
def test_malformed_addresses_are_refused(address):
    with pytest.raises(UnknownModel, match="provider/model-id"):
        Catalog.build(config(provider("openai"))).resolve(address)


def test_models_are_sorted_by_provider_then_id():
    catalog = Catalog.build(config(provider("openai"), provider("anthropic", "anthropic")))
    listed = [(m.provider, m.model_id) for m in catalog.models()]
    assert listed == sorted(listed)
    assert {p for p, _ in listed} == {"openai", "anthropic"}


def test_discovered_models_are_added_without_replacing_entries():
    catalog = Catalog.build(config(provider("openai"), LAB))
    catalog.add_discovered("lab", ["qwen3-8b", "llama-3.2-3b"])
    catalog.add_discovered("openai", ["gpt-4.1", "gpt-4.1-2025-04-14"])
    assert catalog.get("lab/qwen3-8b").source == "discovered"  # type: ignore[union-attr]
    assert catalog.get("lab/qwen3-8b").price == FREE  # type: ignore[union-attr]
    assert catalog.get("openai/gpt-4.1").source == "bundled"  # type: ignore[union-attr]
    snapshot = catalog.get("openai/gpt-4.1-2025-04-14")
    assert snapshot is not None and snapshot.price is None
    assert "lab/llama-3.2-3b" in [m.address for m in catalog.models()]
    with pytest.raises(UnknownModel):
        catalog.add_discovered("nope", ["x"])


# --- local or not ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "base_url", "local"),
    [
        ("ollama", "http://gpu-box.lan:11434", True),
        ("openai", "http://127.0.0.1:8080/v1", True),
        ("openai", "http://127.3.2.1:8080/v1", True),
        ("openai", "http://localhost:1234/v1", True),
        ("openai", "http://[::1]:8000/v1", True),
        ("openai", "https://api.openai.com/v1", False),
        ("openai", "http://10.0.0.5:8080/v1", False),
        ("anthropic", "https://api.anthropic.com", False),
    ],
)
def test_is_local(type_, base_url, local):
    assert is_local(provider("p", type_, base_url)) is local


# --- cost ----------------------------------------------------------------------------


def test_cost_sums_every_kind_of_token():
    price = Price(input=2.0, cached_input=0.5, cache_write=2.5, output=8.0, reasoning=10.0)
    usage = Usage(
        input_tokens=1_000_000, cached_input_tokens=2_000_000, cache_write_tokens=400_000,
        output_tokens=500_000, reasoning_tokens=100_000,
    )
    assert cost_usd(usage, price) == pytest.approx(2.0 + 1.0 + 1.0 + 4.0 + 1.0)


def test_cost_fallbacks_for_missing_item_prices():
    price = Price(input=1.0, output=4.0)  # no cache or reasoning prices
    usage = Usage(input_tokens=1_000_000, cached_input_tokens=1_000_000, output_tokens=0, reasoning_tokens=500_000)
    # cached input at the input price; reasoning at the output price
    assert cost_usd(usage, price) == pytest.approx(1.0 + 1.0 + 2.0)


def test_cost_is_unknown_rather_than_zero():
    assert cost_usd(Usage(input_tokens=10, output_tokens=10), None) is None
    assert cost_usd(Usage(input_tokens=10, output_tokens=10), Price(input=1.0)) is None
    assert cost_usd(Usage(input_tokens=1_000_000), Price(input=1.0)) == pytest.approx(1.0)


def test_a_provider_found_while_running_joins_with_its_models_and_their_contexts():
    cfg = config(provider("lab", base_url="http://127.0.0.1:8080/v1"))
    catalog = Catalog.build(cfg)
    catalog.add_discovered("lab", ["small"], {"small": 8192})
    found = ProviderConfig(name="ollama", type="ollama", base_url="http://127.0.0.1:11434")
    catalog.add_provider(found)
    catalog.add_discovered("ollama", ["llama3.2", "qwen3"], {"llama3.2": 4096})
    assert cfg.providers["ollama"] is found  # the engine, which reads the same config, can reach it
    assert catalog.resolve("lab/small").context == 8192
    llama = catalog.resolve("ollama/llama3.2")
    assert (llama.context, llama.price, llama.tags) == (4096, FREE, ("local",))
    assert catalog.resolve("ollama/qwen3").context is None  # the server did not say
    catalog.add_discovered("lab", ["small"], {"small": 4096})  # a known context is kept
    assert catalog.resolve("lab/small").context == 8192
