"""The stats screen: your own leaderboard (the tables and the chart of `mmchat stats`)
over the chat. Esc or q closes it.

Read once, when it opens, in a thread: `ChatService.leaderboard` reads the store on a
connection of its own, so a long history never holds up the interface nor shares the
engine's connection.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from mmchat.session import leaderboard
from mmchat.session.leaderboard import HOW_TO_VOTE, Leaderboard
from mmchat.store import StoreError
from mmchat.tui.service import ChatService

TITLE = "Your leaderboard: ratings from your votes, figures from your answers  (Esc closes)"


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StatsScreen {
        align: center middle;
    }
    #stats {
        width: 95%;
        max-width: 120;
        height: 90%;
        background: $surface;
        border: thick $primary;
        padding: 0 1;
    }
    #stats-title {
        text-style: bold;
        color: $primary;
        margin-bottom: 1;
    }
    #stats-body {
        width: auto;
    }
    """
    BINDINGS = [Binding("escape,q", "dismiss(None)", "Close", show=False)]

    def __init__(self, service: ChatService) -> None:
        super().__init__()
        self.service = service
        self.board: Leaderboard | None = None  # None until read

    def compose(self) -> ComposeResult:
        with ScrollableContainer(id="stats"):
            yield Static(Content(TITLE), id="stats-title")
            yield Static(Content("reading the votes…"), id="stats-body")

    def on_mount(self) -> None:
        self.run_worker(self._read, thread=True, group="stats", exit_on_error=False)

    def _read(self) -> None:
        try:
            board = self.service.leaderboard()
        except StoreError as e:
            self.app.call_from_thread(self._show_text, f"cannot read the leaderboard: {e}")
            return
        self.app.call_from_thread(self._show, board)

    def _show(self, board: Leaderboard) -> None:
        self.board = board
        self._draw()

    def _show_text(self, text: str) -> None:
        if self.is_attached:  # closed before the read ended: nothing to show
            self.query_one("#stats-body", Static).update(Content(text))

    def on_resize(self) -> None:
        if self.board is not None:
            self.call_after_refresh(self._draw)  # the chart fits the new width

    def _draw(self) -> None:
        if self.board is None:
            return
        if not self.board.rows:
            self._show_text(HOW_TO_VOTE.capitalize() + "\n\nNo answers yet either.")
            return
        width = self.query_one("#stats", ScrollableContainer).content_region.width
        lines = leaderboard.report(self.board, chart_width=max(width, 40))
        if not self.board.votes:
            lines = [HOW_TO_VOTE.capitalize(), "", *lines]
        self._show_text("\n".join(lines))
