"""The subcommands behind `mmchat COMMAND`, one module each."""

from __future__ import annotations

import argparse
import importlib

_MODULES = {
    "ask": "mmchat.commands.ask",
    "compare": "mmchat.commands.compare",
    "stats": "mmchat.commands.stats",
    "bench": "mmchat.commands.bench",
    "models": "mmchat.commands.models",
    "keys": "mmchat.commands.keys",
    "history": "mmchat.commands.history",
    "config": "mmchat.commands.config",
    "route": "mmchat.commands.route",
}


def run(args: argparse.Namespace) -> int:
    return importlib.import_module(_MODULES[args.command]).run(args)


def start_tui(args: argparse.Namespace) -> int:
    from mmchat.commands.setup import build_catalog, load, open_store

    config = load(args)  # a broken config is reported before the screen takes over
    from mmchat.model_lists import add_cached_lists, default_cache
    from mmchat.tui.app import MmchatApp
    from mmchat.tui.service import ChatService

    catalog = build_catalog(config)
    model_lists = default_cache()
    add_cached_lists(catalog, config, model_lists)  # models providers listed before
    store = open_store()
    try:
        from mmchat.session.autoroute import AutoRoute

        # A bad routing rule is one ConfigError line (file, line, rule) before the screen takes over.
        auto = AutoRoute(config, catalog, store)
        MmchatApp(ChatService(config, store, catalog, auto=auto, model_lists=model_lists)).run()
    finally:
        store.close()
    return 0
