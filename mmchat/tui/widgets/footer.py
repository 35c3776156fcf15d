"""The key footer, rebuilt only when what it shows changes.

Textual's Footer rebuilds all its keys on every binding refresh, and a screen
refreshes its bindings several times as a turn starts (the worker's states,
focus moves): each rebuild took 15-45 ms of the UI loop, just when the first
token is on its way.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class KeyFooter(Footer):
    """A Footer whose rebuilds are skipped when the keys it shows (and whether each is
    enabled) are the ones it already shows; refreshes queued together then cost one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[str, str, str, bool], ...] | None = None

    async def recompose(self) -> None:
        if not self.is_attached:  # its screen was dismissed meanwhile
            return
        shown = tuple(
            (binding.key, binding.description, binding.action, enabled)
            for _, binding, enabled, _ in self.screen.active_bindings.values()
            if binding.show
        )
        if shown != self._shown:
            self._shown = shown
            await super().recompose()
