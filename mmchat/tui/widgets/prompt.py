"""The prompt: multi-line; Enter sends, Ctrl+J (or Shift+Enter where the terminal tells it apart) adds a line.

Up on the first line and Down on the last walk through earlier prompts; '?'
in an empty prompt opens the help screen.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from mmchat.tui.history import PromptHistory

NEWLINE_KEYS = ("ctrl+j", "shift+enter")


class PromptInput(TextArea):
    class Submitted(Message):
        def __init__(self, prompt: PromptInput, value: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.value = value

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.placeholder = "Message (Enter sends, Ctrl+J new line, Up recalls, /help)"
        self.recall = PromptHistory()

    def show_recalled(self, text: str) -> None:
        self.text = text
        self.move_cursor(self.document.end)

    async def _on_key(self, event: events.Key) -> None:
        key = event.key
        if key == "enter":
            event.stop()
            event.prevent_default()
            if self.text.strip():
                self.post_message(self.Submitted(self, self.text))
            return
        if key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        if event.character == "?" and not self.text:
            event.stop()
            event.prevent_default()
            await self.app.run_action("help")
            return
        row = self.cursor_location[0]
        if key == "up" and row == 0:
            recalled = self.recall.older(self.text)
            if recalled is not None:
                event.stop()
                event.prevent_default()
                self.show_recalled(recalled)
                return
        if key == "down" and row == self.document.line_count - 1:
            recalled = self.recall.newer()
            if recalled is not None:
                event.stop()
                event.prevent_default()
                self.show_recalled(recalled)
                return
        await super()._on_key(event)
