"""`mmchat config check|path`."""

from __future__ import annotations

import argparse

from mmchat.commands.setup import load


def run(args: argparse.Namespace) -> int:
    if args.config_command == "path":
        from mmchat.paths import default_config_path

        print(args.config or default_config_path())
        return 0
    config = load(args)
    source = config.source or "no file: built from the environment"
    print(f"config OK ({source}): {len(config.providers)} providers, {len(config.models)} models, "
          f"default model {config.default_model or 'none'}")
    return 0
