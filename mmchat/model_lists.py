"""The model ids each provider listed, cached on disk so the picker and `mmchat models`
show them without asking the network every time."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmchat.catalog import Catalog
    from mmchat.config import Config

DEFAULT_TTL_S = 24 * 3600


class ModelListCache:
    """One small JSON file: {provider: {"fetched_at": unix seconds, "ids": [...]}}.

    Keyed by provider name and base URL, so pointing a provider elsewhere invalidates it.
    """

    def __init__(self, path: Path, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.path = path
        self.ttl_s = ttl_s
        self._data: dict[str, dict] | None = None

    def _load(self) -> dict[str, dict]:
        if self._data is None:
            try:
                self._data = json.loads(self.path.read_text())
                if not isinstance(self._data, dict):
                    self._data = {}
            except (OSError, ValueError):
                self._data = {}  # missing or corrupt: it is only a cache
        return self._data

    def get(self, provider: str, base_url: str, now: float | None = None) -> list[str] | None:
        """The cached ids, or None when there are none or they are older than the TTL."""
        entry = self._load().get(f"{provider} {base_url}")
        if not entry:
            return None
        age = (now if now is not None else time.time()) - entry.get("fetched_at", 0)
        return list(entry.get("ids", [])) if age <= self.ttl_s else None

    def put(self, provider: str, base_url: str, ids: list[str], now: float | None = None) -> None:
        data = self._load()
        data[f"{provider} {base_url}"] = {"fetched_at": now if now is not None else time.time(), "ids": ids}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


def default_cache() -> ModelListCache:
    from mmchat.paths import cache_dir

    return ModelListCache(cache_dir() / "model-lists.json")


def add_cached_lists(catalog: Catalog, config: Config, cache: ModelListCache) -> None:
    """Put every provider's fresh cached model ids into `catalog`."""
    for name, provider in config.providers.items():
        catalog.add_discovered(name, cache.get(name, provider.base_url) or [])
