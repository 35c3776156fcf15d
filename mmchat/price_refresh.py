"""Fresher prices from a public machine-readable source, cached; never required.

`mmchat models --refresh-prices` reads OpenRouter's public model list (no key
needed): each entry gives USD per token for prompt, completion, cache reads and
writes, and a context length. The prices are matched to the bundled catalog's
models (OpenAI, Anthropic, Gemini, OpenRouter) and kept in the cache dir; the
catalog puts them between its bundled prices and the user's own `models:`
entries, which always win. Without the file everything works as before.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mmchat.config import Price

DEFAULT_SOURCE = "https://openrouter.ai/api/v1/models"
FETCH_TIMEOUT_S = 10.0

# The bundled services as OpenRouter names their vendors.
_VENDOR = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}


class RefreshError(Exception):
    """The source could not be read or understood (one line; the old prices stay)."""


@dataclass(frozen=True)
class RefreshedPrices:
    fetched_at: float  # unix seconds
    source: str
    prices: dict[str, Price]  # OpenRouter's model id (normalised) → price per million tokens
    contexts: dict[str, int]

    def lookup(self, service: str, model_id: str) -> tuple[Price | None, int | None]:
        """The price and context of a bundled `service`'s model (openai, anthropic, gemini, openrouter)."""
        if service == "openrouter":
            key = _normal(model_id)
        elif service in _VENDOR:
            key = _normal(f"{_VENDOR[service]}/{model_id}")
        else:
            return None, None
        return self.prices.get(key), self.contexts.get(key)

    @property
    def as_of(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.fetched_at))


def _normal(model_id: str) -> str:
    # OpenRouter writes versions with dots (claude-haiku-4.5) where vendors use dashes.
    return model_id.lower().replace(".", "-")


def parse(data: Any, source: str, fetched_at: float) -> RefreshedPrices:
    """OpenRouter's `{"data": [{"id", "pricing": {...}, "context_length"}]}` (USD per token)."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise RefreshError(f"{source} did not answer with a model list ({{'data': [...]}})")
    prices: dict[str, Price] = {}
    contexts: dict[str, int] = {}
    for entry in data["data"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        pricing = entry.get("pricing") or {}
        price = Price(
            input=_per_million(pricing.get("prompt")),
            cached_input=_per_million(pricing.get("input_cache_read")),
            cache_write=_per_million(pricing.get("input_cache_write")),
            output=_per_million(pricing.get("completion")),
            reasoning=_per_million(pricing.get("internal_reasoning")) or None,
        )
        if price.input is None or price.output is None or price.input < 0 or price.output < 0:
            continue  # variable-priced routers (-1) and entries without prices
        key = _normal(entry["id"])
        prices[key] = price
        if isinstance(entry.get("context_length"), int) and entry["context_length"] > 0:
            contexts[key] = entry["context_length"]
    if not prices:
        raise RefreshError(f"{source} listed no priced models")
    return RefreshedPrices(fetched_at, source, prices, contexts)


def _per_million(value: Any) -> float | None:
    try:
        per_token = float(value)
    except (TypeError, ValueError):
        return None
    return round(per_token * 1_000_000, 6)


def fetch(source: str = DEFAULT_SOURCE, timeout_s: float = FETCH_TIMEOUT_S) -> RefreshedPrices:
    import httpx

    try:
        response = httpx.get(source, timeout=timeout_s, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise RefreshError(f"could not reach {source} ({type(exc).__name__}: {exc or 'no details'})") from None
    if response.status_code != 200:
        raise RefreshError(f"{source} answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise RefreshError(f"{source} did not answer with JSON") from None
    return parse(data, source, time.time())


def save(prices: RefreshedPrices, path: Path) -> None:
    payload = {
        "fetched_at": prices.fetched_at,
        "source": prices.source,
        "prices": {k: {f: v for f, v in asdict(p).items() if v is not None} for k, p in prices.prices.items()},
        "contexts": prices.contexts,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, path)


def load(path: Path) -> RefreshedPrices | None:
    """The cached prices, or None when there are none (a corrupt file counts as none)."""
    try:
        raw = json.loads(path.read_text())
        return RefreshedPrices(
            float(raw["fetched_at"]),
            str(raw["source"]),
            {k: Price(**v) for k, v in raw["prices"].items()},
            {k: int(v) for k, v in raw.get("contexts", {}).items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def default_path() -> Path:
    from mmchat.paths import cache_dir

    return cache_dir() / "prices.json"
