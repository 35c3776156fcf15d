"""A compare in the chat: one prompt's answers from several models, side by side.

The answers stream at once into columns, each headed by its model (or "Model A",
"Model B", … in shuffled order when blind) and its live figures; a failing model
shows its error in its own column and the others go on. Below ~40 cells a column
the columns become tabs, each tab with its answer's status. Esc stops every
answer (each keeps what it received, marked interrupted), then leaves.

Once they ended: a summary (first token, finished first, cheapest, longest,
errors); a vote (1–6 the winner, t a tie, x all bad; n writes a one-line note
first) stored with `record_vote`, which in a blind compare reveals the models and
flags an answer that named its own model or vendor; Enter goes on with the winner,
or with the focused column: the conversation follows that answer and the others
stay as its alternatives (‹2/3› in the chat).
"""

from __future__ import annotations

import asyncio
import random
import string
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static, Tab, Tabs

from mmchat import format as fmt
from mmchat.engine.events import Retrying, TurnFailed, TurnFinished, TurnStarted
from mmchat.keys import redact
from mmchat.sanitize import printable
from mmchat.session.compare import MARKER_LABELS, ComparePlan, markers, names_its_maker
from mmchat.session.view import TurnView
from mmchat.tui.widgets.footer import KeyFooter
from mmchat.tui.widgets.route import retry_note
from mmchat.tui.widgets.streaming_markdown import StreamingMarkdown
from mmchat.types import TextDelta

if TYPE_CHECKING:
    from mmchat.tui.service import ChatService

COLUMN_CELLS = 40  # narrower than this a column, the columns become tabs
TICK_S = 0.1  # the figures' pace while the answers stream
STATUS_MARK = {"waiting": "…", "streaming": "▸", "complete": "✓", "interrupted": "◼", "error": "✗"}


def figures_line(view: TurnView, *, blind: bool) -> str:
    """'▸ streaming · TTFT 320 ms · 85 tok/s · 412 tokens · $0.0012'; blind: the status and
    tokens only (speed and cost would tell the model)."""
    f = view.figures()
    approx = "~" if f.estimated else ""
    parts = [f"{STATUS_MARK.get(view.status, '')} {view.status}"]
    if not blind:
        if f.ttft_ms is not None:
            parts.append(f"TTFT {fmt.duration_ms(f.ttft_ms)}")
        if f.tokens_per_s is not None:
            parts.append(f"{f.tokens_per_s:.0f} tok/s")
    parts.append(f"{approx}{f.output_tokens:,} tokens")
    if not blind:
        parts.append("cost unknown" if f.cost_usd is None else approx + fmt.cost(f.cost_usd))
    return " · ".join(parts)


class CompareColumn(Vertical, can_focus=True):
    """One answer of the compare: its title, live figures, text and error."""

    def __init__(self, position: int, title: str, view: TurnView, *, blind: bool) -> None:
        super().__init__(id=f"column-{position}", classes="compare-column")
        self.position = position  # from 0, left to right (its key is position + 1)
        self.title_text = title
        self.view = view
        self.blind = blind
        self._followed_to = 0.0  # where the text's end was when the column last followed it

    def compose(self) -> ComposeResult:
        yield Static(Content(f"{self.position + 1}  {self.title_text}"), classes="compare-title")
        yield Static(Content(figures_line(self.view, blind=self.blind)), classes="compare-figures")
        with VerticalScroll(classes="compare-body"):
            yield StreamingMarkdown(classes="compare-text")
        yield Static("", classes="compare-error")

    @property
    def text(self) -> str:
        return self.query_one(StreamingMarkdown).text

    def feed(self, text: str) -> None:
        self.query_one(StreamingMarkdown).feed(text)

    def tick(self) -> None:
        self.query_one(".compare-figures", Static).update(Content(figures_line(self.view, blind=self.blind)))
        # Follow the text as it grows, unless the reader scrolled up since the last tick.
        # (An anchored container would keep a short answer at the bottom of its column.)
        body = self.query_one(VerticalScroll)
        if body.scroll_y >= self._followed_to - 1:
            body.scroll_end(animate=False, immediate=True)
        self._followed_to = body.max_scroll_y

    def note(self, line: str) -> None:
        self.query_one(".compare-error", Static).update(Content(printable(line)))

    def ended(self) -> None:
        """Show the final figures, and why the answer did not complete; the text's last block
        is closed (drawn in the background: the other columns go on meanwhile)."""
        self.run_worker(self.query_one(StreamingMarkdown).finish(), group="finish", exit_on_error=False)
        self.tick()
        self.add_class(f"-{self.view.status}")
        if self.view.status != "complete":
            self.note(f"{self.view.status}: {self.view.error or ''}")
        else:
            self.note("")

    def reveal(self, title: str) -> None:
        """After a blind vote: the model's name and every figure."""
        self.blind = False
        self.title_text = title
        self.query_one(".compare-title", Static).update(Content(f"{self.position + 1}  {title}"))
        self.tick()


class CompareScreen(Screen[int | None]):
    """Runs `plan` (of ChatService.plan_compare) in the service's conversation; dismissed
    with the id of the answer chosen to go on from, or None (the first answer is followed)."""

    BINDINGS = [
        Binding("escape", "stop_or_close", "Stop / back", priority=True),
        # Moving between columns is handled at once, before the key travels to the focused column.
        Binding("tab", "app.focus_next", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", show=False, priority=True),
        *(Binding(str(n), f"vote({n})", f"{n}", show=False) for n in range(1, 7)),
        Binding("t", "vote_kind('tie')", "Tie"),
        Binding("x", "vote_kind('all_bad')", "All bad"),
        Binding("n", "note", "Note"),
        Binding("enter", "go_on", "Go on with"),
        Binding("left", "tab(-1)", show=False),
        Binding("right", "tab(1)", show=False),
    ]

    def __init__(self, service: ChatService, plan: ComparePlan, *, blind: bool = False,
                 shuffle: random.Random | None = None) -> None:
        super().__init__()
        self.service = service
        self.plan = plan
        self.blind = blind
        self.order = list(range(len(plan.decisions)))  # position on screen → index in the plan
        if blind:
            (shuffle or random.Random()).shuffle(self.order)
        self.answering = service.compare(plan)
        self.views = self.answering.views
        self.voted: str | None = None  # the vote's kind once recorded
        self.winner: int | None = None  # the position voted best
        self.flagged: list[int] = []  # positions whose answer named its model or vendor (blind)

    @property
    def letters(self) -> list[str]:
        return list(string.ascii_uppercase[: len(self.order)])

    def title_of(self, position: int, *, revealed: bool = False) -> str:
        model = self.plan.models[self.order[position]]
        if self.blind and not revealed:
            return f"Model {self.letters[position]}"
        if self.blind:
            flag = "  ⚑ names its maker" if position in self.flagged else ""
            return f"{self.letters[position]} = {model}{flag}"
        return model

    def compose(self) -> ComposeResult:
        yield Static(Content(self._heading()), id="compare-heading")
        yield Tabs(*(Tab(self.title_of(p), id=f"tab-{p}") for p in range(len(self.order))), id="compare-tabs")
        with Horizontal(id="compare-columns"):
            for position, index in enumerate(self.order):
                yield CompareColumn(position, self.title_of(position), self.views[index], blind=self.blind)
        yield Static("", id="compare-summary")
        yield Input(placeholder="a one-line note for your vote (Enter keeps it)", id="compare-note")
        yield KeyFooter()

    def _heading(self, *, revealed: bool = False) -> str:
        """'compare of 3 answers · estimated $0.01 for 3 answers · the prompt'; blind, no cost
        until the vote reveals the models."""
        prompt = " ".join(printable(self.plan.prompt).split())
        if len(prompt) > 80:
            prompt = prompt[:79] + "…"
        what = f"blind compare of {len(self.order)} answers" if self.blind else f"compare of {len(self.order)} answers"
        if revealed:
            what += ", revealed"
        cost = "" if self.blind and not revealed else f" · {self.plan.cost_line()}"
        return f"{what}{cost} · {prompt}"

    @property
    def columns(self) -> list[CompareColumn]:
        return list(self.query(CompareColumn))

    def on_mount(self) -> None:
        self.query_one("#compare-note", Input).display = False
        self._timer = self.set_interval(TICK_S, self._tick)
        self.compare_worker = self.run_worker(self._run(), group="compare", exit_on_error=False)
        self._layout(self.size.width)

    def on_resize(self) -> None:
        self._layout(self.size.width)

    def _layout(self, width: int) -> None:
        """Columns when each gets COLUMN_CELLS, else tabs (one answer shown at a time)."""
        tabs = width < COLUMN_CELLS * len(self.order)
        self.set_class(tabs, "-tabs")
        self.query_one(Tabs).display = tabs
        if tabs:
            self._show_tab(self.query_one(Tabs).active or "tab-0")
        else:
            for column in self.columns:
                column.display = True

    def _show_tab(self, tab_id: str) -> None:
        active = int(tab_id.removeprefix("tab-"))
        for column in self.columns:
            column.display = column.position == active

    @on(Tabs.TabActivated)
    def _tab_chosen(self, event: Tabs.TabActivated) -> None:
        if self.has_class("-tabs") and event.tab.id:
            self._show_tab(event.tab.id)

    def action_tab(self, step: int) -> None:
        if self.has_class("-tabs"):
            tabs = self.query_one(Tabs)
            tabs.action_next_tab() if step > 0 else tabs.action_previous_tab()

    # -- running ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.compare_worker.is_running

    async def _run(self) -> None:
        columns = {self.order[c.position]: c for c in self.columns}
        for model in self.plan.models:
            if self.service.session.needs_load(model):
                self.notify(f"loading {'a model' if self.blind else model} into memory…")
            await self.service.warmed(model)
        try:
            async for index, event in self.answering:
                kind = type(event)
                if kind is TextDelta:
                    columns[index].feed(event.text)
                elif kind is TurnStarted:
                    self.service.started(event)
                elif kind is Retrying:
                    columns[index].note(retry_note(self.plan.models[index], event.reason, event.attempt, event.delay_s))
                elif kind is TurnFinished or kind is TurnFailed:
                    columns[index].ended()
        except asyncio.CancelledError:
            self._stopped(columns)
            raise
        except Exception as exc:  # the compare could not start (a provider cannot be built…)
            for view in self.views:
                view.interrupted(redact(str(exc)))
        finally:
            self._timer.pause()
            self._ended(columns)

    def _stopped(self, columns: dict[int, CompareColumn]) -> None:
        """Esc: each answer keeps what it received (stored, marked interrupted); text that had
        arrived but was not shown yet is shown."""
        for index, view in enumerate(self.views):
            if view.done:
                continue
            stored = self.service.message(view.answer_id) if view.answer_id is not None else None
            column = columns[index]
            if stored is not None and stored.content.startswith(column.text):
                column.feed(stored.content[len(column.text):])
            view.interrupted((stored.error if stored else None) or "cancelled by the user")

    def _ended(self, columns: dict[int, CompareColumn]) -> None:
        self._tick()
        for column in columns.values():
            column.ended()
        if self.blind:
            self.flagged = [
                p for p, i in enumerate(self.order)
                if self.views[i].status == "complete" and names_its_maker(self.plan.models[i], self.views[i].text)
            ]
        self._show_summary()
        self.refresh_bindings()

    def _tick(self) -> None:
        tabs = self.query_one(Tabs)
        for column in self.columns:
            column.tick()
            if tabs.display:
                view = column.view
                tab = tabs.query_one(f"#tab-{column.position}", Tab)
                tab.label = f"{self.title_of(column.position)} {STATUS_MARK.get(view.status, '')}"

    def _show_summary(self) -> None:
        """Who was first, fastest, cheapest, longest; the errors; what the keys do now."""
        marks = markers([self.views[i] for i in self.order])
        hidden = self.blind and self.voted is None
        parts = []
        for label in MARKER_LABELS:
            if hidden and label == "cheapest":
                continue
            who = [self._label_of(p, hidden=hidden) for p, m in enumerate(marks) if label in m]
            if who:
                parts.append(f"{label}: {who[0]}")
        failed = [p for p, i in enumerate(self.order) if self.views[i].status != "complete"]
        if failed:
            parts.append("not complete: " + ", ".join(f"{p + 1} ({self.views[self.order[p]].status})" for p in failed))
        lines = [" · ".join(parts) or "no answer completed"]
        if self.voted is None and self._completed() >= 2:
            n = len(self.order)
            lines.append(f"vote: 1–{n} the best · t tie · x all bad · n note first · Enter go on with the focused answer")
        elif self.voted is not None:
            lines.append(f"voted: {self._verdict()} · Enter goes on with "
                         + ("the winner" if self.winner is not None else "the focused answer"))
        self.query_one("#compare-summary", Static).update(Content("\n".join(lines)))

    def _label_of(self, position: int, *, hidden: bool) -> str:
        """The answer's letter while blind, else its model."""
        return self.letters[position] if hidden else self.plan.models[self.order[position]]

    def _completed(self) -> int:
        return sum(view.status == "complete" for view in self.views)

    def _verdict(self) -> str:
        if self.voted == "winner" and self.winner is not None:
            return f"{self.winner + 1} is best"
        return {"tie": "a tie", "all_bad": "all bad"}.get(self.voted or "", "")

    # -- keys --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("vote", "vote_kind", "note", "go_on"):
            return not self.running  # shown (and working) once the answers ended
        if action == "tab":
            return self.has_class("-tabs")
        return True

    def action_stop_or_close(self) -> None:
        note = self.query_one("#compare-note", Input)
        if note.display and note.has_focus:
            note.display = False
            return
        if self.running:
            self.compare_worker.cancel()
            self.notify("stopped: each answer is kept as far as it came, marked interrupted")
            return
        self.dismiss(None)

    def action_note(self) -> None:
        if self.voted is not None:
            self.notify("the vote is recorded: a note goes with the vote", severity="warning")
            return
        note = self.query_one("#compare-note", Input)
        note.display = True
        note.focus()

    @on(Input.Submitted, "#compare-note")
    def _note_written(self, event: Input.Submitted) -> None:
        self.set_focus(None)
        self.notify("note kept: it goes with your vote (1–6, t, x)")

    def action_vote(self, number: int) -> None:
        position = number - 1
        if position >= len(self.order):
            return
        if self.views[self.order[position]].status != "complete":
            self.notify(f"answer {number} did not complete: vote among the completed ones", severity="warning")
            return
        self._record("winner", position)

    def action_vote_kind(self, kind: str) -> None:
        self._record(kind, None)

    def _record(self, kind: str, winner: int | None) -> None:
        if self.voted is not None:
            self.notify(f"already voted: {self._verdict()}", severity="warning")
            return
        shown = [p for p, i in enumerate(self.order) if self.views[i].status == "complete"]
        if len(shown) < 2:
            self.notify("a vote needs at least 2 completed answers", severity="warning")
            return
        ids = {p: self.views[self.order[p]].answer_id for p in shown}
        user_message_id = self.views[self.order[shown[0]]].user_message_id
        if user_message_id is None or any(answer_id is None for answer_id in ids.values()):
            return
        note = self.query_one("#compare-note", Input)
        self.service.record_vote(
            user_message_id, [ids[p] for p in shown],  # type: ignore[misc]
            winner=ids[winner] if winner is not None else None, kind=kind, note=note.value.strip() or None,
            blind=self.blind, self_naming=[ids[p] for p in self.flagged if p in ids],  # type: ignore[misc]
        )
        note.display = False
        self.voted, self.winner = kind, winner
        if self.blind:
            tabs = self.query_one(Tabs)
            for column in self.columns:
                title = self.title_of(column.position, revealed=True)
                column.reveal(title)
                tabs.query_one(f"#tab-{column.position}", Tab).label = title
            self.query_one("#compare-heading", Static).update(Content(self._heading(revealed=True)))
        self.notify(f"vote recorded: {self._verdict()}")
        self._show_summary()

    def action_go_on(self) -> None:
        """Go on with the winner, else the focused column (or the tab shown)."""
        position = self.winner
        if position is None:
            focused = self.focused
            while focused is not None and not isinstance(focused, CompareColumn):
                focused = focused.parent  # type: ignore[assignment]
            if isinstance(focused, CompareColumn):
                position = focused.position
            elif self.has_class("-tabs"):
                position = int((self.query_one(Tabs).active or "tab-0").removeprefix("tab-"))
        if position is None:
            self.notify("vote for the best answer (1–6), or focus an answer (Tab) to go on with it", severity="warning")
            return
        view = self.views[self.order[position]]
        if view.answer_id is None:
            self.notify("that answer was not stored: choose another", severity="warning")
            return
        self.service.choose_answer(view.answer_id)
        self.dismiss(view.answer_id)
