"""Fixtures: the models of tests/routing/helpers.py's config."""

from __future__ import annotations

import pytest

from mmchat.catalog import ModelInfo
from mmchat.config import Config
from tests.routing.helpers import load


@pytest.fixture(scope="session")
def config() -> Config:
    return load()[0]


@pytest.fixture(scope="session")
def models() -> list[ModelInfo]:
    return load()[1]


@pytest.fixture(scope="session")
def cloud_models(models: list[ModelInfo]) -> list[ModelInfo]:
    """The same models without the local ones."""
    return [m for m in models if "local" not in m.tags]
