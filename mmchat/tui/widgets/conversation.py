"""The scrolling conversation: messages in order, following the end while it grows.

A stored conversation opens with only its last HISTORY_WINDOW messages
mounted (more while they do not fill the pane); scrolling to the top mounts
the previous batch, so a conversation of thousands of messages opens at once.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from mmchat.store import StoredMessage
from mmchat.tui.widgets.messages import AssistantMessage, Marker, Notice, UserMessage
from mmchat.tui.widgets.streaming_markdown import warm_up

HISTORY_WINDOW = 20  # messages mounted when a conversation opens, and per batch after
FOCUS_REACH = 60  # how far back a search hit may be and still be mounted when the conversation opens


class EarlierLine(Static):
    """The top line while earlier messages are not shown yet."""


class ConversationView(VerticalScroll):
    # The scrollbar's column is kept even before there is anything to scroll, so the
    # text's width does not change (and every message is not rendered again) when it appears.
    DEFAULT_CSS = """
    ConversationView { scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.last_model: str | None = None  # the model of the latest answer
        self.last_answer: AssistantMessage | None = None
        self.last_prompt: str | None = None  # the prompt the latest answer answers
        self._earlier: list[StoredMessage] = []  # stored messages not mounted yet, oldest first
        self._earlier_line: EarlierLine | None = None
        self._alternatives: dict[int, tuple[int, int]] = {}  # of the shown conversation
        self._loading = False

    def on_mount(self) -> None:
        self.anchor()
        # Off the UI thread, so the first code block of an answer does not wait for its highlighter.
        self.call_after_refresh(self.run_worker, warm_up, thread=True, group="warm-up-markdown")

    @property
    def earlier_count(self) -> int:
        return len(self._earlier)

    async def add_user(self, prompt: str) -> UserMessage:
        widget = UserMessage(prompt)
        self.last_prompt = prompt
        await self.mount(widget)
        return widget

    async def add_assistant(self, model: str) -> AssistantMessage:
        if self.last_model is not None and model != self.last_model:
            await self.mount(Marker(model))
        self.last_model = model
        widget = AssistantMessage(model)
        self.last_answer = widget
        await self.mount(widget)
        self.anchor()
        return widget

    async def add_notice(self, note: str, *, kind: str = "info") -> None:
        await self.mount(Notice(note, kind=kind))

    async def show_history(
        self, messages: list[StoredMessage], window: int = HISTORY_WINDOW, *, focus: int | None = None,
        alternatives: dict[int, tuple[int, int]] | None = None,
    ) -> bool:
        """Replace what is shown with `messages` (a stored conversation's path), mounting only the last `window`.

        With `focus` (a message id, say a search hit) the window reaches back to that
        message, at most FOCUS_REACH messages, and the view scrolls to it. Returns
        whether the focused message is shown. `alternatives` (answer id → (place, how many))
        marks the answers that have others.
        """
        self._alternatives = alternatives or {}
        self.workers.cancel_group(self, "earlier")  # a batch still loading belongs to what was shown
        self._loading = False
        await self.remove_children()
        self._earlier_line = None
        at = next((i for i, m in enumerate(messages) if m.id == focus), None)
        if at is not None and len(messages) - at <= FOCUS_REACH:
            window = max(window, len(messages) - at)
        split = max(0, len(messages) - window)
        self._earlier, shown = messages[:split], messages[split:]
        widgets, self.last_model = _widgets(shown, _last_model(self._earlier), self._alternatives)
        self.last_answer = next((w for w in reversed(widgets) if isinstance(w, AssistantMessage)), None)
        self.last_prompt = next((w.prompt for w in reversed(widgets) if isinstance(w, UserMessage)), None)
        if self._earlier:
            self._earlier_line = EarlierLine(classes="notice earlier")
            widgets.insert(0, self._earlier_line)
            self._label_earlier()
        if widgets:
            await self.mount_all(widgets)
        hit = next((w for w in widgets if w.id == f"message-{focus}"), None) if focus is not None else None
        self.call_after_refresh(self._fill)
        if hit is None:
            self.anchor()
            return False
        hit.add_class("hit")
        self.call_after_refresh(lambda: self.scroll_to_widget(hit, animate=False, top=True))
        return True

    def _label_earlier(self) -> None:
        if self._earlier_line is not None:
            n = len(self._earlier)
            self._earlier_line.update(Content(f"↑ {n} earlier message{'s' if n != 1 else ''}: scroll up to show them"))

    async def show_earlier(self, window: int = HISTORY_WINDOW) -> int:
        """Mount the previous batch of stored messages above the shown ones; returns how many."""
        try:
            line = self._earlier_line
            if not self._earlier or line is None or line.parent is not self:
                return 0
            split = max(0, len(self._earlier) - window)
            batch, self._earlier = self._earlier[split:], self._earlier[:split]
            widgets, _ = _widgets(batch, _last_model(self._earlier), self._alternatives)
            from_bottom = self.max_scroll_y - self.scroll_y
            await self.mount_all(widgets, after=line)
            if self._earlier:
                self._label_earlier()
            else:
                await line.remove()
                self._earlier_line = None
            # Keep the messages that were on screen where they were.
            self.call_after_refresh(lambda: self.scroll_to(y=self.max_scroll_y - from_bottom, animate=False))
            self.call_after_refresh(self._fill)
            return len(batch)
        finally:
            self._loading = False

    def request_earlier(self) -> None:
        """Show the previous batch soon (once: requests while one is loading are dropped)."""
        if self._earlier and not self._loading:
            self._loading = True
            self.run_worker(self.show_earlier, group="earlier")

    def _fill(self) -> None:
        """While the shown messages do not fill the pane there is nothing to scroll: show more."""
        if self._earlier and self.max_scroll_y == 0:
            self.request_earlier()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value <= 0 < old_value:
            self.request_earlier()


def _last_model(messages: list[StoredMessage]) -> str | None:
    return next((m.model or "unknown model" for m in reversed(messages) if m.role == "assistant"), None)


def _widgets(
    messages: list[StoredMessage], last_model: str | None, alternatives: dict[int, tuple[int, int]]
) -> tuple[list[Widget], str | None]:
    """Widgets for stored `messages`, with a marker wherever the model changes after `last_model`."""
    widgets: list[Widget] = []
    for message in messages:
        widget: Widget
        if message.role == "user":
            widget = UserMessage(message.content)
        elif message.role == "assistant":
            model = message.model or "unknown model"
            if last_model is not None and model != last_model:
                widgets.append(Marker(model))
            last_model = model
            widget = AssistantMessage.from_stored(message)
            widget.show_alternatives(alternatives.get(message.id))
        else:
            continue
        widget.id = f"message-{message.id}"
        widgets.append(widget)
    return widgets, last_model
