"""The conversations list: browse, open, rename, delete; typing searches every message (FTS5)."""

from __future__ import annotations

import time

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from mmchat import format as fmt
from mmchat.export import UNTITLED
from mmchat.sanitize import printable
from mmchat.store import ConversationSummary
from mmchat.tui.keymap import bindings
from mmchat.tui.service import SEARCH_MARKS, ChatService
from mmchat.tui.widgets.footer import KeyFooter

LIST_LIMIT = 500
MODELS_WIDTH = 28  # keeps a row on one line in a 110-column list


def title_of(summary: ConversationSummary) -> str:
    return printable(summary.title or summary.preview or UNTITLED)


def summary_row(summary: ConversationSummary, current: int | None) -> Content:
    mark = "●" if summary.id == current else " "
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(summary.updated_at))
    models = ", ".join(summary.models) or "no answer"
    if len(models) > MODELS_WIDTH:
        models = models[: MODELS_WIDTH - 1] + "…"
    return Content(
        f"{mark} {title_of(summary):<40.40} {when} {summary.message_count:>5} msgs {fmt.cost(summary.total_cost_usd):>9}  "
        f"{printable(models)}"
    )


def snippet_content(title: str, role: str, snippet: str) -> Content:
    """A search hit: the conversation's title, and under it the snippet with the matched words
    highlighted (its own line, so a narrow list cuts the title's line, not the match)."""
    parts: list[str | tuple[str, str]] = [(f"{title[:40]}", "bold"), f"\n  {role}: "]
    start, end = SEARCH_MARKS
    for i, piece in enumerate(snippet.split(start)):
        if i == 0:
            parts.append(printable(piece))
            continue
        found, _, rest = piece.partition(end)
        parts.append((printable(found), "bold reverse"))
        parts.append(printable(rest))
    return Content.assemble(*parts)


class ConversationsScreen(ModalScreen[int | None]):
    """Returns the id of the conversation to open, or None when closed."""

    BINDINGS = [
        *bindings("conversations"),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, service: ChatService, query: str = "") -> None:
        super().__init__()
        self.service = service
        self.initial_query = query
        self.targets: dict[str, int] = {}  # option id → conversation id
        self.summaries: dict[int, ConversationSummary] = {}
        self.chosen_message: int | None = None  # the search hit opened, if one was

    def compose(self) -> ComposeResult:
        with Vertical(id="conversations"):
            yield Static("Conversations  (type words to search every message)", id="conversations-title")
            yield Input(
                value=self.initial_query, placeholder="search all messages…", select_on_focus=False, id="conversations-filter"
            )
            yield OptionList(id="conversations-list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_rows(self.initial_query)
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self.show_rows(event.value)

    @property
    def query_text(self) -> str:
        return self.query_one(Input).value

    def show_rows(self, query: str) -> None:
        self.summaries = {s.id: s for s in self.service.conversations(LIST_LIMIT)}
        self.targets = {}
        rows: list[Option] = []
        if not query.strip():
            for summary in self.summaries.values():
                rows.append(Option(summary_row(summary, self.service.conversation_id), id=f"c{summary.id}"))
                self.targets[f"c{summary.id}"] = summary.id
            empty = "no conversation yet"
        else:
            for message, snippet in self.service.search(query):
                summary = self.summaries.get(message.conversation_id) or self.service.conversation(message.conversation_id)
                rows.append(Option(snippet_content(title_of(summary), message.role, snippet), id=f"m{message.id}"))
                self.targets[f"m{message.id}"] = message.conversation_id
                self.summaries[summary.id] = summary
            empty = "no message matches"
        if not rows:
            rows.append(Option(Content(empty), disabled=True))
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(rows)
        options.highlighted = 0 if self.targets else None

    def chosen(self) -> int | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return self.targets.get(options.get_option_at_index(options.highlighted).id or "")

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted)
    def _open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.open(options.get_option_at_index(options.highlighted).id or "")

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.open(event.option.id or "")

    def open(self, option_id: str) -> None:
        conversation_id = self.targets.get(option_id)
        if conversation_id is not None:
            self.chosen_message = int(option_id[1:]) if option_id.startswith("m") else None
            self.dismiss(conversation_id)

    def action_rename(self) -> None:
        from mmchat.tui.screens.dialogs import AskText

        conversation_id = self.chosen()
        if conversation_id is None:
            return
        summary = self.summaries[conversation_id]

        def renamed(title: str | None) -> None:
            if title:
                self.service.rename_conversation(conversation_id, title)
                self.show_rows(self.query_text)
                self.notify(f"renamed to “{printable(title)}”")

        self.app.push_screen(AskText("New title:", summary.title or ""), renamed)

    def action_delete(self) -> None:
        from mmchat.tui.screens.dialogs import Confirm

        conversation_id = self.chosen()
        if conversation_id is None:
            return
        summary = self.summaries[conversation_id]

        def answered(yes: bool | None) -> None:
            if yes:
                self.service.delete_conversation(conversation_id)
                self.show_rows(self.query_text)
                self.notify(f"deleted “{title_of(summary)}”")

        question = f"Delete “{title_of(summary)}” and its {summary.message_count} messages? This cannot be undone."
        self.app.push_screen(Confirm(question), answered)
