"""What most subcommands need first: the config and the database."""

from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from mmchat.config import Config
from mmchat.config_load import load_config
from mmchat.store import BenchResult, BenchRun, Store

if TYPE_CHECKING:
    from mmchat.catalog import Catalog


def load(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def open_store() -> Store:
    from mmchat.keys import redact
    from mmchat.paths import database_path

    store = Store(database_path(), redact=redact)
    store.mark_stale_pending()
    return store


def open_bench_store() -> Store | None:
    """The bench runs' store, or None when no run was ever made (reading creates no file)."""
    from mmchat.keys import redact
    from mmchat.paths import bench_database_path

    path = bench_database_path()
    return Store(path, redact=redact) if path.exists() else None


def read_bench_run(run_id: int) -> tuple[BenchRun, list[BenchResult]] | None:
    """A stored bench run and its results; None when there is no such run."""
    store = open_bench_store()
    if store is None:
        return None
    try:
        return store.bench_run(run_id), store.bench_results(run_id)
    except LookupError:
        return None
    finally:
        store.close()


def build_catalog(config: Config) -> Catalog:
    """The catalog with the prices last refreshed by `mmchat models --refresh-prices`, if any."""
    from mmchat import price_refresh
    from mmchat.catalog import Catalog

    return Catalog.build(config, price_refresh.load(price_refresh.default_path()))
