"""The status line: the mode (pinned model), its provider, and that provider's last known health."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class StatusLine(Static):
    def show(self, model: str | None, provider: str | None, health: str | None) -> None:
        if model is None:
            self.update(Content("no model chosen: press Ctrl+O or type /model"))
            return
        parts = [f"pinned: {model}", f"provider: {provider}"]
        if health:
            parts.append(health)
        self.update(Content(" · ".join(parts)))
