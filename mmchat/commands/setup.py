"""What most subcommands need first: the config and the database."""

from __future__ import annotations

import argparse

from mmchat.config import Config, load_config
from mmchat.store import Store


def load(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def open_store() -> Store:
    from mmchat.keys import redact
    from mmchat.paths import database_path

    store = Store(database_path(), redact=redact)
    store.mark_stale_pending()
    return store
