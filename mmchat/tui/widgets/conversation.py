"""The scrolling conversation: messages in order, following the end while it grows."""

from __future__ import annotations

from textual.containers import VerticalScroll

from mmchat.store import StoredMessage
from mmchat.tui.widgets.messages import AssistantMessage, Marker, Notice, UserMessage


class ConversationView(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last_model: str | None = None  # the model of the latest answer

    def on_mount(self) -> None:
        self.anchor()

    async def add_user(self, prompt: str) -> UserMessage:
        widget = UserMessage(prompt)
        await self.mount(widget)
        return widget

    async def add_assistant(self, model: str) -> AssistantMessage:
        if self.last_model is not None and model != self.last_model:
            await self.mount(Marker(model))
        self.last_model = model
        widget = AssistantMessage(model)
        await self.mount(widget)
        self.anchor()
        return widget

    async def add_notice(self, note: str, *, kind: str = "info") -> None:
        await self.mount(Notice(note, kind=kind))

    async def show_history(self, messages: list[StoredMessage]) -> None:
        """Replace what is shown with `messages` (a stored conversation's path)."""
        await self.remove_children()
        self.last_model = None
        widgets = []
        for message in messages:
            if message.role == "user":
                widgets.append(UserMessage(message.content))
            elif message.role == "assistant":
                model = message.model or "unknown model"
                if self.last_model is not None and model != self.last_model:
                    widgets.append(Marker(model))
                self.last_model = model
                widgets.append(AssistantMessage.from_stored(message))
        if widgets:
            await self.mount_all(widgets)
        self.anchor()
