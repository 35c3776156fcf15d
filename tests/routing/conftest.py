"""Fixtures: the models of tests/routing/helpers.py's config."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="session")
def four_models() -> list[ModelInfo]:
    """The routing evaluation's four-model catalog (benchmarks/routing_set/four_models.yaml)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "routing_set" / "four_models.yaml"
    return load(path.read_text())[1]
