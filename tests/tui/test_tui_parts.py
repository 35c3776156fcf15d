"""The interface's plain parts: slash commands, model filtering, theme files, live figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.catalog import FREE, ModelInfo
from mmchat.config import Price
from mmchat.tui.live import LiveTurn
from mmchat.tui.screens.model_picker import context_text, filter_models, price_text
from mmchat.tui.slash import SlashCommand, parse_slash
from mmchat.tui.themes import BUNDLED_DIR, ThemeError, load_theme, load_themes


def model(address: str, *, price: Price | None = None, tags: tuple[str, ...] = (), context: int | None = None) -> ModelInfo:
    provider, _, model_id = address.partition("/")
    return ModelInfo(address, provider, model_id, model_id, context, None, price, tags, {}, "config")


def test_slash_commands():
    assert parse_slash("/model openai/gpt-4o") == SlashCommand("model", "openai/gpt-4o")
    assert parse_slash("/MODEL") == SlashCommand("model", "")
    assert parse_slash("/clear") == SlashCommand("clear", "")
    assert parse_slash("/theme  mmchat-light ") == SlashCommand("theme", "mmchat-light")
    assert parse_slash("/nonsense") is None


def test_model_filter_is_fuzzy_and_grouped_by_provider():
    models = [
        model("openai/gpt-4o-mini"),
        model("anthropic/claude-sonnet-4", tags=("code",)),
        model("openai/o3-mini", tags=("reasoning",)),
        model("ollama/llama3.2", tags=("local",)),
    ]
    assert [m.address for m in filter_models(models, "")] == [
        "anthropic/claude-sonnet-4", "ollama/llama3.2", "openai/gpt-4o-mini", "openai/o3-mini",
    ]
    assert [m.address for m in filter_models(models, "mini")] == ["openai/gpt-4o-mini", "openai/o3-mini"]
    assert [m.address for m in filter_models(models, "reasoning")] == ["openai/o3-mini"]
    assert [m.address for m in filter_models(models, "clsn")] == ["anthropic/claude-sonnet-4"]
    assert filter_models(models, "zzzz") == []


def test_price_and_context_texts():
    assert price_text(model("a/b", price=Price(input=2.5, output=10.0))) == "$2.5 / $10"
    assert price_text(model("a/b", price=FREE)) == "free"
    assert price_text(model("a/b")) == "price unknown"
    assert context_text(128_000) == "128k ctx"
    assert context_text(1_000_000) == "1M ctx"
    assert context_text(None) == "ctx ?"


def test_bundled_themes_cover_dark_light_and_high_contrast():
    themes, problems = load_themes([BUNDLED_DIR])
    assert problems == []
    by_name = {t.name: t for t in themes}
    assert {"mmchat-dark", "mmchat-light", "mmchat-high-contrast", "mmchat-solarized"} <= set(by_name)
    assert by_name["mmchat-light"].dark is False
    assert by_name["mmchat-high-contrast"].background == "#000000"


def test_a_broken_theme_file_is_named_and_the_others_still_load(tmp_path: Path):
    (tmp_path / "good.yaml").write_text("name: mine\nprimary: '#112233'\n")
    (tmp_path / "typo.yaml").write_text("name: bad\nprimary: '#112233'\nforground: '#ffffff'\n")
    (tmp_path / "colour.yaml").write_text("name: worse\nprimary: not-a-colour\n")
    themes, problems = load_themes([tmp_path])
    assert [t.name for t in themes] == ["mine"]
    assert len(problems) == 2
    assert any("typo.yaml" in p and "forground" in p for p in problems)
    assert any("colour.yaml" in p and "primary" in p for p in problems)
    with pytest.raises(ThemeError, match="needs at least 'name' and 'primary'"):
        (tmp_path / "empty.yaml").write_text("dark: true\n")
        load_theme(tmp_path / "empty.yaml")


def test_live_figures_are_estimates_until_the_engine_reports():
    now = [100.0]
    live = LiveTurn(model("local/m", price=Price(input=1.0, output=2.0)), input_estimate=1000, clock=lambda: now[0])
    now[0] = 100.25
    live.received("x" * 400)
    now[0] = 101.25
    rows = dict(live.lines())
    assert rows["TTFT"] == "250 ms"
    assert rows["elapsed"] == "1.2 s"
    assert rows["speed"] == "~100 tok/s"
    assert rows["tokens"] == "~1,000 in / ~100 out"
    assert rows["cost"] == "~$0.0012"
