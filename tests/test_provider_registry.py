"""The registry of provider types: a type that is not HTTP joins with one class and one entry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from mmchat import provider_types
from mmchat.catalog import FREE, Catalog, is_local
from mmchat.config import Config, ConfigError, ProviderConfig, parse_config
from mmchat.providers import Provider, build_provider
from mmchat.providers.base import HTTPProvider
from mmchat.types import ChatMessage, ChatRequest, Finish, StreamEvent, TextDelta, Usage

CONFIG_PATH = Path("/home/me/.config/mmchat/config.yaml")


class EchoProvider:
    """An in-process provider: answers with the last message, word by word. No HTTP, no key."""

    def __init__(self, config: ProviderConfig, api_key: str | None, *, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.name = config.name
        self.api_key = api_key
        self.client = client
        self.prepared = False
        self.closed = False

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        words = request.messages[-1].content.split()
        for i, word in enumerate(words):
            yield TextDelta(word if i == 0 else f" {word}")
        yield Usage(input_tokens=len(words), output_tokens=len(words))
        yield Finish("stop")

    async def list_models(self) -> list[str]:
        return ["echo-small", "echo-large"]

    def prepare(self) -> None:
        self.prepared = True

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def echo_type() -> Iterator[provider_types.ProviderType]:
    entry = provider_types.register("echo", EchoProvider, local=True, note="an in-process echo")
    yield entry
    provider_types.unregister("echo")


def echo_config(name: str = "mine") -> ProviderConfig:
    return ProviderConfig(name=name, type="echo", base_url="")


async def test_an_in_process_type_is_built_and_streams_through_the_protocol(echo_type):
    provider = build_provider(echo_config(), None)
    assert isinstance(provider, EchoProvider) and isinstance(provider, Provider)
    assert not isinstance(provider, HTTPProvider)
    provider.prepare()
    request = ChatRequest(model="echo-small", messages=(ChatMessage("user", "hello local world"),))
    events = [event async for event in provider.stream(request)]
    assert events == [
        TextDelta("hello"), TextDelta(" local"), TextDelta(" world"),
        Usage(input_tokens=3, output_tokens=3), Finish("stop"),
    ]
    assert await provider.list_models() == ["echo-small", "echo-large"]
    await provider.aclose()
    assert provider.prepared and provider.closed


async def test_the_shared_client_is_passed_as_a_keyword_the_type_may_ignore(echo_type):
    async with httpx.AsyncClient() as client:
        provider = build_provider(echo_config(), None, client)
    assert provider.client is client and provider.api_key is None


def test_the_type_says_it_is_local_and_needs_no_key(echo_type):
    config = echo_config()
    assert is_local(config) and provider_types.is_local(config)
    assert not provider_types.needs_key(config)


def test_the_catalog_prices_its_models_at_zero_and_tags_them_local(echo_type):
    catalog = Catalog.build(Config(providers={"mine": echo_config()}))
    catalog.add_discovered("mine", ["echo-small"])
    for info in (catalog.resolve("mine/echo-large"), catalog.get("mine/echo-small")):
        assert info is not None and info.price == FREE and "local" in info.tags


def test_the_config_accepts_the_registered_type(echo_type):
    text = "providers:\n  mine:\n    type: echo\nmodels:\n  mine/echo-small: {}\ndefault_model: mine/echo-small\n"
    config = parse_config(text, CONFIG_PATH, env={})
    assert config.providers["mine"] == echo_config()  # no base URL: the type is not reached over HTTP
    assert config.default_model == "mine/echo-small"


def test_an_unknown_type_is_one_line_with_the_closest_registered_one(echo_type):
    with pytest.raises(ConfigError) as caught:
        parse_config("providers:\n  mine:\n    type: ecko\n", CONFIG_PATH, env={})
    error = caught.value
    assert (error.line, error.key) == (3, "providers.mine.type")
    assert str(error).startswith(f"{CONFIG_PATH}:3: providers.mine.type: unknown type 'ecko'; did you mean 'echo'? ")
    assert "use one of openai, anthropic, gemini, ollama, local, echo" in str(error)
    assert "echo = an in-process echo" in str(error) and "\n" not in str(error)


def test_without_the_entry_the_type_is_unknown_everywhere():
    with pytest.raises(ConfigError, match="unknown type 'echo'"):
        parse_config("providers:\n  mine:\n    type: echo\n", CONFIG_PATH, env={})
    with pytest.raises(ValueError, match="unknown type 'echo' \\(use openai, anthropic, gemini, ollama, local\\)"):
        build_provider(echo_config(), None)
    with pytest.raises(provider_types.UnknownProviderType):
        is_local(echo_config())


def test_a_factory_given_as_an_import_path_is_imported_on_first_use():
    provider_types.register("echo-by-path", f"{__name__}:EchoProvider", local=True)
    try:
        config = ProviderConfig(name="p", type="echo-by-path", base_url="")
        assert isinstance(build_provider(config, None), EchoProvider)
    finally:
        provider_types.unregister("echo-by-path")


def test_a_key_is_needed_unless_the_type_says_otherwise():
    remote = ProviderConfig(name="r", type="openai", base_url="https://api.openai.com/v1")
    lab = ProviderConfig(name="lab", type="openai", base_url="http://127.0.0.1:8080/v1")
    ollama = ProviderConfig(name="o", type="ollama", base_url="http://gpu-box.lan:11434")
    assert provider_types.needs_key(remote) and not provider_types.needs_key(lab)
    assert not provider_types.needs_key(ollama) and provider_types.is_local(ollama)
    provider_types.register("keyless-remote", EchoProvider, local=False, needs_key=False)
    try:
        config = ProviderConfig(name="k", type="keyless-remote", base_url="")
        assert not provider_types.needs_key(config) and not provider_types.is_local(config)
    finally:
        provider_types.unregister("keyless-remote")


def test_a_name_is_registered_once_unless_replaced(echo_type):
    with pytest.raises(ValueError, match="already registered"):
        provider_types.register("echo", EchoProvider)
    replaced = provider_types.register("echo", EchoProvider, local=False, replace=True)
    assert provider_types.get("echo") is replaced and not is_local(echo_config())


def test_the_built_in_types_and_their_defaults():
    assert provider_types.names()[:4] == ("openai", "anthropic", "gemini", "ollama")
    assert provider_types.get("openai").default_base_url == "https://api.openai.com/v1"
    assert provider_types.get("ollama").default_base_url == "http://localhost:11434"
    for name in ("openai", "anthropic", "gemini", "ollama"):
        assert issubclass(provider_types.get(name).load_factory(), HTTPProvider)
        config = ProviderConfig(name=name, type=name, base_url=provider_types.get(name).default_base_url)
        assert isinstance(build_provider(config, "a-key"), Provider)  # the protocol the engine sees
