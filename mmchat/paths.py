"""Where mmchat keeps its files: the platform's config, data and cache dirs.

Each can be overridden from the environment (tests rely on this):
MMCHAT_CONFIG (the config file itself), MMCHAT_DATA_DIR, MMCHAT_CACHE_DIR.
Nothing here touches the disk except `ensure_private_dir`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "mmchat"


def _override(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else None


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The directory holding the config file (MMCHAT_CONFIG's parent when that is set)."""
    explicit = _override(env, "MMCHAT_CONFIG")
    if explicit is not None:
        return explicit.parent
    import platformdirs

    return platformdirs.user_config_path(APP_NAME)


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    import platformdirs

    return _override(env, "MMCHAT_DATA_DIR") or platformdirs.user_data_path(APP_NAME)


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    import platformdirs

    return _override(env, "MMCHAT_CACHE_DIR") or platformdirs.user_cache_path(APP_NAME)


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    return _override(env, "MMCHAT_CONFIG") or config_dir(env) / "config.yaml"


def database_path(env: Mapping[str, str] = os.environ) -> Path:
    return data_dir(env) / "mmchat.db"


BENCH_FILE = "bench.db"  # the bench runs' own store, in the chat history's folder


def bench_database_path(env: Mapping[str, str] = os.environ) -> Path:
    """The bench runs' own store, beside the chat history: their answers never mix with it."""
    return bench_beside(database_path(env))


def bench_beside(history: Path) -> Path:
    """The bench store beside the chat history at `history`."""
    return history.parent / BENCH_FILE


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only; an existing dir is left as it is."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path
