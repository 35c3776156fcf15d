"""`mmchat models`: the catalog as a table, optionally checked against each provider,
with the local model servers found on this machine (discovery) and their chat models."""

from __future__ import annotations

import argparse
import asyncio
import sys

from mmchat.catalog import Catalog, ModelInfo
from mmchat.commands.setup import build_catalog, load
from mmchat.config import Config
from mmchat.engine.sinks import MemorySink
from mmchat.engine.turn import Engine
from mmchat.model_lists import ModelListCache, add_cached_lists, default_cache
from mmchat.providers.discovery import FoundServer, Placement, discover, join, place
from mmchat.providers.errors import ProviderError
from mmchat.routing import load_routing
from mmchat.routing.estimate import TIER_NAMES, tier_of, tier_scale


def _price(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _row(model: ModelInfo, tier: tuple[int, str], reach: str) -> list[str]:
    price = model.price
    return [
        model.address,
        f"{model.context:,}" if model.context else "?",
        _price(price.input if price else None),
        _price(price.output if price else None),
        f"{TIER_NAMES[tier[0]]} ({tier[1]})",
        ",".join(model.tags),
        reach,
    ]


def _tiers(config: Config, models: list[ModelInfo]) -> dict[str, tuple[int, str]]:
    """Each model's routing tier and where it comes from (the routing section's `tiers`, the
    model's `tier:`, a tier tag, or its price relative to the catalog)."""
    patterns = load_routing(config, models).tiers
    scale = tier_scale(models)
    return {m.address: tier_of(m, patterns, scale) for m in models}


async def _reachability(config: Config, catalog: Catalog, cache: ModelListCache) -> dict[str, str]:
    """Each provider's answer to a model listing: 'yes', or why not (one line).
    The ids it lists join the catalog and the cache."""
    engine = Engine(config, MemorySink(), catalog)  # its providers only: no turn runs

    async def check(name: str) -> tuple[str, str]:
        try:
            ids = await engine.provider(name).list_models()
        except ProviderError as exc:
            return name, f"no: {exc.message}"
        catalog.add_discovered(name, ids)
        cache.put(name, config.providers[name].base_url, ids)
        return name, "yes"

    try:
        results = await asyncio.gather(*(check(name) for name in config.providers))
    finally:
        await engine.aclose()
    return dict(results)


def _discovery_ports(config: Config, args: argparse.Namespace) -> tuple[int, ...]:
    """The ports to probe: none when discovery is off (`--no-discovery`, `discovery: {enabled: false}`)."""
    discovery = config.discovery
    if getattr(args, "no_discovery", False) or not discovery.enabled:
        return ()
    return tuple(discovery.ports)


async def _look(
    config: Config, catalog: Catalog, cache: ModelListCache, check: bool, ports: tuple[int, ...]
) -> tuple[dict[str, str], list[FoundServer]]:
    """The providers' reachability (with --check) and the local servers found, both at once;
    discovery gives up on what has not answered within its bound."""

    async def nothing() -> dict[str, str]:
        return {}

    async def no_servers() -> list[FoundServer]:
        return []

    reach, found = await asyncio.gather(
        _reachability(config, catalog, cache) if check else nothing(),
        discover(ports, timeout=config.discovery.timeout) if ports else no_servers(),
    )
    return reach, found


def _server_lines(found: list[FoundServer], placements: list[Placement], ports: tuple[int, ...]) -> list[str]:
    """One line per local server found: its kind, where, its chat models and what became of them."""
    if not found:
        return [f"local servers: none answered on 127.0.0.1, ports {', '.join(map(str, ports))}"]
    where = {p.server.port: p for p in placements}
    rows = []
    for server in found:
        placed = where.get(server.port)
        if placed is None:
            fate = ""
        elif placed.new:
            fate = f"as provider {placed.name}"
        else:
            fate = f"already configured as {placed.name}"
        rows.append([server.kind, server.base_url, server.summary(), fate])
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["local servers found (--no-discovery or discovery: {enabled: false} turns this off):"]
    for row in rows:
        lines.append(("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3]).rstrip())
    return lines


def run(args: argparse.Namespace) -> int:
    config = load(args)
    if args.refresh_prices:
        if refresh_prices(args.prices_from) != 0:
            return 1
    catalog = build_catalog(config)
    cache = default_cache()
    ports = _discovery_ports(config, args)
    reach: dict[str, str] = {}
    found: list[FoundServer] = []
    if args.check or ports:
        reach, found = asyncio.run(_look(config, catalog, cache, args.check, ports))
    if not args.check:
        add_cached_lists(catalog, config, cache)
    placements = place(found, config.providers)
    join(catalog, placements)
    for p in placements:
        reach.setdefault(p.name, "yes")  # it answered just now
    models = catalog.models()
    tiers = _tiers(config, models)
    rows = [["MODEL", "CONTEXT", "IN $/M", "OUT $/M", "TIER", "TAGS", "REACHABLE"]]
    rows += [_row(m, tiers[m.address], reach.get(m.provider, "not checked")) for m in models]
    if len(rows) == 1:
        print("No models: configure a provider (see config.example.yaml) or set an API key variable.")
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
        print(f"prices as of {catalog.prices_as_of} ({catalog.prices_source}); '?' = unknown")
    if ports:
        print("\n".join(_server_lines(found, placements, ports)))
    return 0


def refresh_prices(source: str | None) -> int:
    """Fetch and cache fresher prices; on failure say why in one line and keep the old ones."""
    from mmchat import price_refresh

    path = price_refresh.default_path()
    try:
        prices = price_refresh.fetch(source or price_refresh.DEFAULT_SOURCE)
    except price_refresh.RefreshError as exc:
        print(f"mmchat: prices not refreshed: {exc}; the bundled prices stay in use", file=sys.stderr)
        return 1
    price_refresh.save(prices, path)
    print(f"refreshed the prices of {len(prices.prices)} models from {prices.source} (cached in {path})")
    return 0
