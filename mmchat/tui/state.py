"""What the interface remembers between runs (the theme, auto-route or pinned), in a small JSON file of the data dir.

This is not the config file the user writes by hand: mmchat rewrites it freely.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = "tui-state.json"


def default_state_path() -> Path:
    from mmchat.paths import data_dir

    return data_dir() / STATE_FILE


def load_state(path: Path) -> dict[str, Any]:
    """The remembered state; a missing or unreadable file means nothing is remembered."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write `state` atomically (raises OSError when the data dir cannot be written)."""
    from mmchat.export import write_private
    from mmchat.paths import ensure_private_dir

    ensure_private_dir(path.parent)
    write_private(path, json.dumps(state, indent=2, sort_keys=True) + "\n")
