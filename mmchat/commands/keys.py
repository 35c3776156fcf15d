"""`mmchat keys set|delete|list`: API keys in the system keyring, never in files."""

from __future__ import annotations

import argparse
import getpass
import sys

from mmchat import keys
from mmchat.commands.setup import load


def _read_key(provider: str) -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass(f"API key for {provider} (input hidden): ").strip()


def run(args: argparse.Namespace) -> int:
    config = load(args)
    if args.keys_command == "list":
        usable, why = keys.keyring_status()
        print(f"keyring: {why}")
        for name, provider in config.providers.items():
            print(f"{name}: {keys.key_source(provider)}")
        return 0
    if args.provider not in config.providers:
        names = ", ".join(config.providers) or "none"
        print(f"mmchat: unknown provider '{args.provider}': configured providers are {names}", file=sys.stderr)
        return 2
    if args.keys_command == "set":
        key = _read_key(args.provider)
        if not key:
            print("mmchat: no key given: nothing stored", file=sys.stderr)
            return 2
        keys.set_key(args.provider, key)
        print(f"stored the key for {args.provider} in the keyring")
    else:
        keys.delete_key(args.provider)
        print(f"deleted the key for {args.provider} from the keyring")
    return 0
