"""Prompt history recall: Up walks back through earlier prompts, Down forward to what was being typed."""

from __future__ import annotations

from collections.abc import Callable

MAX_ENTRIES = 500


class PromptHistory:
    def __init__(self, load: Callable[[], list[str]] | None = None) -> None:
        self.load = load  # earlier sessions' prompts, oldest first; read on the first recall
        self._entries: list[str] = []
        self._loaded = False
        self._at: int | None = None  # index being shown; None = the draft
        self._draft = ""

    def add(self, prompt: str) -> None:
        """Remember a sent prompt (as the newest) and go back to an empty draft."""
        self._remember(prompt)
        self._at = None
        self._draft = ""

    def _remember(self, prompt: str) -> None:
        if not prompt.strip():
            return
        if prompt in self._entries:
            self._entries.remove(prompt)
        self._entries.append(prompt)
        del self._entries[:-MAX_ENTRIES]

    def _ensure_loaded(self) -> None:
        if self._loaded or self.load is None:
            return
        self._loaded = True
        session, self._entries = self._entries, []
        for prompt in [*self.load(), *session]:
            self._remember(prompt)

    def older(self, current: str) -> str | None:
        """The prompt before the one shown (saving `current` as the draft first), or None at the oldest."""
        self._ensure_loaded()
        if self._at is None:
            if not self._entries:
                return None
            self._draft = current
            self._at = len(self._entries) - 1
        elif self._at == 0:
            return None
        else:
            self._at -= 1
        return self._entries[self._at]

    def newer(self) -> str | None:
        """The prompt after the one shown, the draft after the newest, or None when already at the draft."""
        if self._at is None:
            return None
        if self._at == len(self._entries) - 1:
            self._at = None
            return self._draft
        self._at += 1
        return self._entries[self._at]
