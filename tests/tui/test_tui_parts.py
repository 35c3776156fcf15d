"""The interface's plain parts: slash commands, model filtering, theme files, live figures, prompt history, keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmchat.catalog import FREE, ModelInfo
from mmchat.config import Price
from mmchat.tui.history import PromptHistory
from mmchat.tui.keymap import BINDING_IDS, key_label
from mmchat.engine.events import TurnFinished, TurnStarted
from mmchat.session.view import TurnView
from mmchat.tui.widgets.sidebar import figure_rows
from mmchat.types import TextDelta, TurnMetrics, Usage
from mmchat.tui.screens.help import help_text
from mmchat.tui.screens.model_picker import context_text, filter_models, price_text
from mmchat.tui.slash import COMMANDS, SlashCommand, parse_slash
from mmchat.tui.themes import BUNDLED_DIR, ThemeError, load_theme, load_themes
from mmchat.tui.widgets.route import stored_attempt_notes


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
    now = [98.0]
    info = model("local/m", price=Price(input=1.0, output=2.0))
    view = TurnView(info, clock=lambda: now[0])
    now[0] = 100.0  # the view was made before the model was loaded: its request starts now
    view.apply(TurnStarted(1, 2, 3, info, 1000, 0))
    now[0] = 100.25
    view.apply(TextDelta("x" * 400))
    now[0] = 101.25
    rows = dict(figure_rows(info.address, view.figures()))
    assert rows["TTFT"] == "250 ms"
    assert rows["elapsed"] == "1.2 s"
    assert rows["speed"] == "~100 tok/s"
    assert rows["tokens"] == "~1,000 in / ~100 out"
    assert rows["cost"] == "~$0.0012"
    metrics = TurnMetrics(240.0, 1300.0, 98.0, Usage(input_tokens=990, output_tokens=101), 0.0012)
    view.apply(TurnFinished(3, "stop", metrics))
    rows = dict(figure_rows(info.address, view.figures()))
    assert (view.status, rows["speed"], rows["tokens"]) == ("complete", "98 tok/s", "990 in / 101 out")


def test_bundled_themes_are_package_data_linked_to_the_top_level_folder():
    import tomllib

    import mmchat

    repo = Path(mmchat.__file__).resolve().parent.parent
    assert BUNDLED_DIR == Path(mmchat.__file__).resolve().parent / "data" / "themes"
    assert sorted(p.name for p in BUNDLED_DIR.glob("*.yaml")) == sorted(p.name for p in (repo / "themes").glob("*.yaml"))
    package_data = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["mmchat"]
    assert "data/themes/*.yaml" in package_data


def test_prompt_history_walks_back_and_returns_to_the_draft():
    loads = []

    def stored() -> list[str]:
        loads.append(1)
        return ["old one", "shared"]

    history = PromptHistory(stored)
    history.add("shared")  # sent in this session: the newest, not duplicated
    history.add("newest")
    assert history.newer() is None
    assert history.older("my draft") == "newest"
    assert history.older("ignored") == "shared"
    assert history.older("ignored") == "old one"
    assert history.older("ignored") is None
    assert history.newer() == "shared"
    assert history.newer() == "newest"
    assert history.newer() == "my draft"
    assert history.newer() is None
    assert history.older("") == "newest"
    assert loads == [1]  # the store is read once, on the first recall
    assert PromptHistory().older("x") is None


def test_key_labels_and_the_help_text_follow_the_keymap():
    assert key_label("ctrl+o") == "Ctrl+O"
    assert key_label("f2,ctrl+shift+g") == "F2 / Ctrl+Shift+G"
    assert key_label("escape,question_mark") == "Esc / ?"
    text = help_text({"retry": "f5"})
    retry_line = next(line for line in text.splitlines() if line.rstrip().endswith(" retry"))
    assert "F5" in retry_line and "Ctrl+R" not in retry_line
    assert len(set(BINDING_IDS)) == len(BINDING_IDS)
    for usage, _ in COMMANDS.values():
        assert usage in text
    # In a narrow help each row wraps under its own text, the binding id in brackets.
    narrow = help_text({}, width=60).splitlines()
    assert all(len(line) <= 60 for line in narrow)
    at = next(i for i, line in enumerate(narrow) if line.startswith("  F8 "))
    rest = []
    for line in narrow[at + 1:]:
        if not line.startswith(" " * 25):
            break
        rest.append(line)
    assert rest and rest[-1].endswith("[retry_next]")
    assert help_text({}, width=200) == help_text({})  # wide enough: one line a row


def test_commands_with_a_few_words_refuse_others_with_their_usage():
    assert SlashCommand("auto", "maybe").problem() == "/auto maybe: use /auto, /auto on or /auto off"
    assert SlashCommand("retry", "twice").problem() == "/retry twice: use /retry or /retry next"
    assert SlashCommand("answer", "PREV").problem() is None and SlashCommand("answer", "").problem() is None
    assert SlashCommand("export", "pdf").problem() is None  # free argument: the command itself answers


def test_new_slash_commands():
    assert parse_slash("/export json") == SlashCommand("export", "json")
    assert parse_slash("/search two words") == SlashCommand("search", "two words")
    assert parse_slash("/history") == SlashCommand("history", "")
    assert parse_slash("/retry") == SlashCommand("retry", "")
    assert parse_slash("/help") == SlashCommand("help", "")


def test_stored_attempts_become_retry_and_fallback_lines_in_order() -> None:
    attempts = [
        {"model": "one/big", "attempt": 1, "kind": "rate_limited", "error": "one: slow down", "retry_in_s": 1.25},
        {"model": "one/big", "attempt": 2, "kind": "server_error", "error": "one: fell over"},
        {"model": "two/mid", "attempt": 0, "kind": "circuit_open", "error": "two: skipped after repeated failures"},
        {"model": "three/small", "attempt": 1, "kind": "dropped", "error": "three: the connection dropped"},
    ]
    assert stored_attempt_notes(attempts, "three/small") == [
        "↻ one/big failed (slow down) — try 2 in 1.2 s",
        "↪ one/big failed (fell over) — trying two/mid",
        "↪ two/mid failed (skipped after repeated failures) — trying three/small",
        # three/small's own failure is the answer's problem line, not a note
    ]
    assert stored_attempt_notes([], "one/big") == []

