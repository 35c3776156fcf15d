"""The first screen when no provider is configured: what to do instead of an empty chat."""

from __future__ import annotations

import textwrap
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from mmchat.keys import KNOWN_SERVICES
from mmchat.tui.widgets.footer import KeyFooter


def guide_text(config_path: Path | None) -> str:
    env_vars = ", ".join(v for s in KNOWN_SERVICES.values() for v in s.env_vars)
    where = str(config_path) if config_path else "the default config file (see `mmchat config path`)"
    # Short lines: the guide fits a 80-column terminal.
    reads = textwrap.wrap(f"(mmchat reads {env_vars})", 64, initial_indent="     ", subsequent_indent="      ")
    return "\n".join(
        [
            "No provider is configured yet, so there is no model to chat with.",
            "",
            "Do one of these, then start mmchat again:",
            "",
            "  1. Set an API key in your environment, for example",
            "       export OPENAI_API_KEY=sk-...",
            *reads,
            "",
            "  2. Store a key in the system keyring:",
            "       mmchat keys set openai",
            "     (or anthropic, gemini, openrouter, groq)",
            "",
            "  3. Start a local server such as Ollama and point mmchat at it:",
            "       ollama serve",
            "       export OLLAMA_HOST=127.0.0.1:11434",
            "",
            f"Providers can also be written in {where};",
            "`mmchat config check` tells which file was read and what is wrong with it.",
        ]
    )


class WelcomeScreen(Screen[None]):
    def __init__(self, config_path: Path | None) -> None:
        super().__init__()
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Center():
            with Vertical(id="welcome"):
                yield Static(Content("Welcome to mmchat"), id="welcome-title")
                yield Static(Content(guide_text(self.config_path)), id="welcome-guide")
        yield KeyFooter()
