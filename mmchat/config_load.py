"""Where the config comes from: the file given (--config), $MMCHAT_CONFIG, the default
file, or else the environment and the keyring.

`mmchat.config` validates; this module reads the file and asks the keyring which
services have a key stored, so that the config itself does no I/O.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mmchat import keys
from mmchat.config import Config, ConfigError, ProviderConfig, parse_config, pick_default, providers_from_env
from mmchat.yaml_nodes import read_text

EMBEDDED_RUNTIME = "xllamacpp"  # the local extra's in-process llama.cpp (mmchat.providers.local)


def load_config(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Config:
    """Read the config: `path` (from --config) > $MMCHAT_CONFIG > the default file.

    A missing default file is fine: the providers then come from the
    environment (API key variables, keys in the keyring, OLLAMA_HOST), as they
    do when the file has no `providers:` section.
    """
    from mmchat.paths import default_config_path

    chosen = Path(path) if path else None
    if chosen is None and env.get("MMCHAT_CONFIG", "").strip():
        chosen = Path(env["MMCHAT_CONFIG"].strip()).expanduser()
    if chosen is None:
        chosen = default_config_path(env)
        if not chosen.exists():
            return config_from_env(env)
    if not chosen.exists():
        raise ConfigError("file not found: check the path given with --config or MMCHAT_CONFIG", path=chosen)
    if not chosen.is_file():
        raise ConfigError("not a file: give the path of a YAML config file", path=chosen)
    return parse_config(read_text(chosen), chosen, env, stored_keys=keys.stored_providers, embedded=embedded_provider(env))


def config_from_env(env: Mapping[str, str] = os.environ, source: Path | None = None) -> Config:
    """A config with the providers whose keys the environment or keyring hold, and the
    embedded model when the local extra is installed."""
    providers = providers_from_env(env, keys.stored_providers, embedded_provider(env))
    return Config(providers=providers, default_model=pick_default(providers, {}), source=source)


def embedded_provider(env: Mapping[str, str] = os.environ) -> ProviderConfig | None:
    """The embedded model's provider (`local`, type local) when the local extra's runtime is
    installed, unless MMCHAT_EMBEDDED=0 says not to use it. A module lookup, no import."""
    from importlib.util import find_spec

    if env.get("MMCHAT_EMBEDDED", "").strip() == "0" or find_spec(EMBEDDED_RUNTIME) is None:
        return None
    return ProviderConfig(name="local", type="local", base_url="")
