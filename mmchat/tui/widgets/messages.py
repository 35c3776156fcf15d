"""One message of the conversation, a model-switch marker and a notice line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from mmchat import format as fmt
from mmchat.routing import Decision
from mmchat.sanitize import printable
from mmchat.store import StoredMessage
from mmchat.types import TurnMetrics
from mmchat.tui.widgets.route import RouteLine, shows_route, stored_attempt_notes
from mmchat.tui.widgets.streaming_markdown import StreamingMarkdown


def text(value: str) -> Content:
    """Model or user text as literal content: no markup, no control characters."""
    return Content(printable(value))


class UserMessage(Static, can_focus=True):
    FOCUS_ON_CLICK = False  # focused from the keyboard (Shift+Tab from the prompt), so a click never leaves the prompt

    def __init__(self, prompt: str) -> None:
        super().__init__(text(prompt), classes="message user")
        self.prompt = prompt

    @property
    def copy_text(self) -> str:
        return printable(self.prompt)


class Marker(Static):
    """A line where the conversation moved to another model."""

    def __init__(self, model: str) -> None:
        super().__init__(_switched(model), classes="marker")

    def show_model(self, model: str) -> None:
        self.update(_switched(model))


def _switched(model: str) -> Content:
    return text(f"── switched to {model} ──")


class Notice(Static):
    """A one-line note from the app (context trimmed, retrying, …)."""

    def __init__(self, note: str, *, kind: str = "info") -> None:
        super().__init__(text(note), classes=f"notice {kind}")


def stored_metrics(message: StoredMessage) -> TurnMetrics | None:
    if message.usage is None or message.latency_ms is None:
        return None
    return TurnMetrics(message.ttft_ms, message.latency_ms, message.tokens_per_s, message.usage, message.cost_usd)


class AssistantMessage(Vertical, can_focus=True):
    """An answer: the routing decision's line (when the router chose), a line per fallback,
    a header naming the model (and, once done, its figures), the text, any problem."""

    FOCUS_ON_CLICK = False
    # Focused, the arrows show the other answers to its prompt (retries), when there are some.
    BINDINGS = [
        Binding("left", "screen.other_answer(-1)", "Earlier answer", show=False),
        Binding("right", "screen.other_answer(1)", "Later answer", show=False),
    ]

    def __init__(self, model: str, *, stored: StoredMessage | None = None) -> None:
        super().__init__(classes="message assistant")
        self.model = model
        self.message_id: int | None = stored.id if stored else None  # the stored answer, once the engine made it
        self._stored = stored  # shown finished on mount, for an answer read from the store
        self.alternatives: tuple[int, int] | None = None  # (place, how many) among the answers to its prompt
        self._summary = model
        self.header = Static(text(model), classes="message-header")
        self.body = StreamingMarkdown()
        self.problem = Static("", classes="message-problem")
        self.problem.display = False
        self.state = "streaming"  # complete | interrupted | error
        self._problem_text = ""
        self.route: RouteLine | None = None
        decision = Decision.from_dict(stored.decision) if stored is not None else None
        if decision is not None and shows_route(decision):
            self.route = RouteLine(decision)

    def compose(self) -> ComposeResult:
        if self.route is not None:
            yield self.route
        if self._stored is not None:
            for note in stored_attempt_notes(self._stored.attempts, self._stored.model):
                yield Notice(note, kind="warning")
        yield self.header
        yield self.body
        yield self.problem

    @property
    def text(self) -> str:
        return self.body.text

    @property
    def copy_text(self) -> str:
        return printable(self.body.text)

    def feed(self, delta: str) -> None:
        self.body.feed(delta)

    async def show_route(self, decision: Decision) -> None:
        """Put the router's '→ model · why' line above the answer (not for a pinned turn)."""
        if shows_route(decision) and self.route is None:
            self.route = RouteLine(decision)
            await self.mount(self.route, before=self.header)

    async def add_note(self, note: str) -> None:
        """A retry or fallback line, above the header."""
        await self.mount(Notice(note, kind="warning"), before=self.header)

    async def fell_back(self, note: str, model: str) -> None:
        """The turn moved on to `model` (no text had come yet): say why, and name it in the header."""
        await self.add_note(note)
        self.model = model
        self._show_header(model)

    async def complete(self, metrics: TurnMetrics | None) -> None:
        await self.body.finish()
        self._end("complete", metrics)

    async def fail(self, reason: str, metrics: TurnMetrics | None, *, interrupted: bool) -> None:
        """Mark the answer interrupted (its partial text kept) or failed, with the reason in words."""
        await self.body.finish()
        state = "interrupted" if interrupted else "error"
        self._end(state, metrics)
        label = "Interrupted" if interrupted else "Failed"
        self._problem_text = f"{label}: {reason}"
        self.problem.update(text(self._problem_text))
        self.problem.display = True

    def offer(self, hint: str | None) -> None:
        """Say under the problem what the user can do about it (None: take the hint away,
        once this is no longer the latest answer)."""
        if self.problem.display:
            self.problem.update(text(self._problem_text if hint is None else f"{self._problem_text}\n{hint}"))

    def _end(self, state: str, metrics: TurnMetrics | None) -> None:
        self.state = state
        self.remove_class("streaming")
        self.add_class(state)
        summary = fmt.turn_summary(self.model, metrics) if metrics else self.model
        self._show_header(summary)

    def show_alternatives(self, alternatives: tuple[int, int] | None) -> None:
        """Mark the header '‹2/3›' when other answers to the same prompt exist."""
        self.alternatives = alternatives
        self._show_header(self._summary)

    def _show_header(self, summary: str) -> None:
        self._summary = summary
        mark = f"‹{self.alternatives[0]}/{self.alternatives[1]}› " if self.alternatives else ""
        self.header.update(text(mark + summary))

    @classmethod
    def from_stored(cls, message: StoredMessage) -> AssistantMessage:
        widget = cls(message.model or "unknown model", stored=message)
        widget.feed(message.content)
        return widget

    async def on_mount(self) -> None:
        stored = self._stored
        if stored is None:
            self.add_class("streaming")
            return
        metrics = stored_metrics(stored)
        if stored.status in ("interrupted", "error"):
            await self.fail(stored.error or "no reason recorded", metrics, interrupted=stored.status == "interrupted")
        else:
            await self.complete(metrics)
