"""The `local` provider type: registered, local, keyless, configured by path/threads/context.
These tests need neither the extra nor the model: nothing is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mmchat import provider_types
from mmchat.catalog import is_local
from mmchat.config import parse_config
from mmchat.providers import Provider, build_provider
from mmchat.provider_types import LOCAL_CONTEXT
from mmchat.providers.local import LocalProvider, available_cpus
from mmchat.providers.local_model import EMBEDDED

CONFIG_PATH = Path("/home/me/.config/mmchat/config.yaml")


def test_the_type_is_local_needs_no_key_and_no_url():
    entry = provider_types.get("local")
    assert entry.default_base_url is None
    config = parse_config("providers:\n  local:\n    type: local\n", CONFIG_PATH, env={}).providers["local"]
    assert is_local(config) and provider_types.is_local(config) and not provider_types.needs_key(config)
    assert entry.load_factory() is LocalProvider


def test_the_embedded_model_by_default():
    config = parse_config("providers:\n  local:\n    type: local\n", CONFIG_PATH, env={}).providers["local"]
    provider = build_provider(config, None)
    assert isinstance(provider, LocalProvider) and isinstance(provider, Provider)
    assert provider.model_id == EMBEDDED.id == "qwen2.5-coder-1.5b"
    assert provider.threads == available_cpus() and provider.context == LOCAL_CONTEXT
    assert not provider.loaded and provider.http_endpoint() is None and provider.counters() == {}


def test_a_gguf_file_with_threads_and_context():
    text = "providers:\n  mine:\n    type: local\n    path: ~/models/Llama-3.2-1B-Instruct-Q8_0.gguf\n    threads: 3\n    context: 8192\n"
    provider = build_provider(parse_config(text, CONFIG_PATH, env={}).providers["mine"], None)
    assert provider.path == Path("~/models/Llama-3.2-1B-Instruct-Q8_0.gguf").expanduser()
    assert provider.model_id == "Llama-3.2-1B-Instruct-Q8_0"  # the file's stem
    assert (provider.threads, provider.context) == (3, 8192)


def test_importing_the_provider_loads_no_runtime():
    """The registry imports the module when the provider is built, before the first screen:
    llama.cpp is imported only by prepare(), in a worker thread."""
    code = "import sys, mmchat.providers.local; print('xllamacpp' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
