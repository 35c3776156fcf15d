"""Refreshing prices from a public list: parsing, the catalog's layering, the CLI over a real socket."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mmchat import price_refresh
from mmchat.catalog import Catalog
from mmchat.config import Config, ModelConfig, Price, ProviderConfig
from tests.servers.sockets import closed_port
from tests.cli_helpers import mmchat, write_config

LIST = {
    "data": [
        {
            "id": "anthropic/claude-haiku-4.5",
            "context_length": 200000,
            "pricing": {"prompt": "0.0000008", "completion": "0.000004", "input_cache_read": "0.00000008",
                        "input_cache_write": "0.000001"},
        },
        {"id": "openai/gpt-4.1-mini", "context_length": 1047576, "pricing": {"prompt": "0.0000005", "completion": "0.000002"}},
        {"id": "openrouter/auto", "pricing": {"prompt": "-1", "completion": "-1"}},  # variable price: skipped
        {"id": "broken", "pricing": {"prompt": "n/a"}},
    ]
}


@pytest.fixture
def price_list() -> Iterator[str]:
    body = json.dumps(LIST).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/models"
    server.shutdown()
    server.server_close()


def test_the_list_is_read_per_million_tokens_and_unpriced_entries_are_skipped():
    prices = price_refresh.parse(LIST, "test", 0.0)
    assert prices.lookup("anthropic", "claude-haiku-4-5") == (
        Price(input=0.8, cached_input=0.08, cache_write=1.0, output=4.0), 200000
    )
    assert prices.lookup("openrouter", "openai/gpt-4.1-mini")[0].input == 0.5
    assert prices.lookup("openrouter", "openrouter/auto") == (None, None)
    assert prices.lookup("ollama", "llama3") == (None, None)
    with pytest.raises(price_refresh.RefreshError, match="did not answer with a model list"):
        price_refresh.parse({"models": []}, "test", 0.0)


def test_refreshed_prices_sit_between_the_bundled_ones_and_the_users():
    config = Config(
        providers={
            "anthropic": ProviderConfig(name="anthropic", type="anthropic", base_url="https://api.anthropic.com"),
            "openai": ProviderConfig(name="openai", type="openai", base_url="https://api.openai.com/v1"),
        },
        models={"openai/gpt-4.1-mini": ModelConfig("openai/gpt-4.1-mini", price=Price(input=0.1))},
    )
    refreshed = price_refresh.parse(LIST, "https://example.test/models", 86400.0)
    catalog = Catalog.build(config, refreshed)
    assert catalog.get("anthropic/claude-haiku-4-5").price.output == 4.0
    mini = catalog.get("openai/gpt-4.1-mini").price
    assert (mini.input, mini.output) == (0.1, 2.0)  # the user's input price wins; output comes from the list
    assert catalog.prices_as_of.startswith("1970-01-02 for 2 models (refreshed)")
    assert Catalog.build(config).get("anthropic/claude-haiku-4-5").price.output == 5.0  # bundled without it


def test_the_cache_file_round_trips_and_a_corrupt_one_counts_as_none(tmp_path):
    prices = price_refresh.parse(LIST, "src", 5.0)
    path = tmp_path / "prices.json"
    price_refresh.save(prices, path)
    assert price_refresh.load(path) == prices
    path.write_text("{not json")
    assert price_refresh.load(path) is None
    assert price_refresh.load(tmp_path / "missing.json") is None


def test_the_cli_refreshes_caches_and_lists_the_new_prices(home, price_list):
    config = write_config(home, "providers:\n  anthropic:\n    api_key_env: LAB_KEY\n")
    done = mmchat(home, "models", "--refresh-prices", "--prices-from", price_list, config=config)
    assert done.returncode == 0, done.stderr
    assert "refreshed the prices of 2 models" in done.stdout
    assert (home / "cache" / "prices.json").exists()
    haiku = next(line for line in done.stdout.splitlines() if line.startswith("anthropic/claude-haiku-4-5"))
    assert "0.8" in haiku.split() and "4" in haiku.split()
    assert "(refreshed)" in mmchat(home, "models", config=config).stdout


def test_an_unreachable_list_keeps_the_bundled_prices_and_says_so(home):
    config = write_config(home, "providers:\n  anthropic:\n    api_key_env: LAB_KEY\n")
    done = mmchat(home, "models", "--refresh-prices", "--prices-from", f"http://127.0.0.1:{closed_port()}/x", config=config)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "could not reach" in done.stderr
    assert "bundled prices stay in use" in done.stderr
    assert not (home / "cache" / "prices.json").exists()
